// xpol sign-bundle BUNDLE.json --key NAME.key [--at RFC3339] [-o OUT.json]
// xpol sign-bundle BUNDLE.json --verify --bundle-signers KEYRING --bundle-quorum M
//
// A policy approver approves a bundle written by `xpol compile -o`: the statement names the bundle's digest
// (recomputed from its sources first: a bundle whose sources were changed is refused), signed with the approver's
// key in the policy-bundle domain (runtime/bundle-approvals.ts), and added to the bundle's `approvals` (replacing an
// earlier one by the same key). With --verify, checks that the bundle carries the quorum, as `xpol serve
// --bundle-signers KEYRING --bundle-quorum M` will before loading it.
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { readPrivateKeyFile } from "../../receipts/keys.ts";
import { NobleSigner } from "../../receipts/signer.ts";
import { loadBundle } from "../../compile/bundle.ts";
import { parseBundleSigners, signBundle, verifyBundle } from "../../runtime/bundle-approvals.ts";

const USAGE = `usage: xpol sign-bundle BUNDLE.json --key NAME.key [--at RFC3339] [-o OUT.json]
       xpol sign-bundle BUNDLE.json --verify --bundle-signers KEYRING --bundle-quorum M

  BUNDLE.json          a bundle from \`xpol compile -o\`
  --key FILE           your private key file (\`xpol keygen --out NAME\`); the approval is added to the bundle
  --at TIME            the signing time to state (default now)
  -o FILE              write the signed bundle there (default: back to BUNDLE.json)
  --verify             check instead that the bundle carries M approvals of the keyring's signers
  --bundle-signers F   the policy approvers' keyring: one \`name ed25519:<64 hex>\` per line
  --bundle-quorum M    how many distinct approvers must have signed`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const o: { bundle?: string; key?: string; at?: string; out?: string; verify: boolean; signers?: string; quorum?: string } = { verify: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const flags: Record<string, "key" | "at" | "out" | "signers" | "quorum"> = { "--key": "key", "--at": "at", "-o": "out", "--out": "out", "--bundle-signers": "signers", "--bundle-quorum": "quorum" };
    if (flags[a] !== undefined) {
      const v = argv[++i];
      if (v === undefined) return usageExit(io, "sign-bundle", `${a} needs a value`, USAGE);
      o[flags[a]] = v;
    } else if (a === "--verify") o.verify = true;
    else if (a === "-h" || a === "--help") return usageExit(io, "sign-bundle", "", USAGE);
    else if (!a.startsWith("-") && o.bundle === undefined) o.bundle = a;
    else return usageExit(io, "sign-bundle", `unexpected argument \`${a}\``, USAGE);
  }
  if (o.bundle === undefined) return usageExit(io, "sign-bundle", "give the bundle", USAGE);
  const text = await readText(o.bundle, io);
  if (text === null) return ExitCode.unreadable;
  if (o.verify) {
    if (o.signers === undefined || o.quorum === undefined) return usageExit(io, "sign-bundle", "--verify needs --bundle-signers and --bundle-quorum", USAGE);
    const ring = await readText(o.signers, io);
    if (ring === null) return ExitCode.unreadable;
    const signers = parseBundleSigners(ring);
    if (!signers.ok) {
      io.stderr(`xpol sign-bundle: ${o.signers}: ${signers.error}`);
      return ExitCode.findings;
    }
    const v = verifyBundle(text, signers.value, Number(o.quorum), o.bundle);
    if (!v.ok) {
      io.stderr(`xpol sign-bundle: ${v.error}`);
      return ExitCode.findings;
    }
    io.stdout(`ok: ${v.value.policy.name} ${v.value.policy.digest} approved by ${v.value.approval.signers.map((s) => s.name).join(", ")} (quorum ${v.value.approval.quorum})`);
    return ExitCode.ok;
  }
  if (o.key === undefined) return usageExit(io, "sign-bundle", "give --key (or --verify)", USAGE);
  if (o.at !== undefined && Number.isNaN(Date.parse(o.at))) return usageExit(io, "sign-bundle", "--at must be an RFC 3339 time", USAGE);
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (e: unknown) {
    io.stderr(`xpol sign-bundle: \`${o.bundle}\` is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.findings;
  }
  // the digest is recomputed from the sources: an approver signs only what the bundle really holds
  const built = loadBundle(value, o.bundle);
  if (built.policy === null) {
    io.stderr(`xpol sign-bundle: ${built.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n")}`);
    return ExitCode.findings;
  }
  const pair = await readPrivateKeyFile(resolve(io.cwd, o.key));
  if (!pair.ok) {
    io.stderr(`xpol sign-bundle: ${pair.error}`);
    return pair.unreadable === true ? ExitCode.unreadable : ExitCode.findings;
  }
  const signer = new NobleSigner(pair.value);
  const approval = signBundle(built.policy, signer, o.at ?? Date.now());
  const earlier = Array.isArray(value["approvals"]) ? (value["approvals"] as unknown[]) : [];
  const others = earlier.filter((a) => (a as { statement?: { approver?: unknown } } | null)?.statement?.approver !== signer.keyId);
  const out = o.out ?? o.bundle;
  try {
    await writeFile(resolve(io.cwd, out), JSON.stringify({ ...value, approvals: [...others, approval] }, null, 2) + "\n");
  } catch (e: unknown) {
    io.stderr(`xpol sign-bundle: cannot write \`${out}\`: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.unreadable;
  }
  io.stderr(`xpol sign-bundle: ${signer.keyId} approved ${built.policy.name} ${built.policy.digest}; ${others.length + 1} approval(s) in ${out}`);
  return ExitCode.ok;
}

async function readText(file: string, io: CliIO): Promise<string | null> {
  try {
    return await readFile(resolve(io.cwd, file), "utf8");
  } catch (e: unknown) {
    io.stderr(`xpol sign-bundle: cannot read \`${file}\`: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}
