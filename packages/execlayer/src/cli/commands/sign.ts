// xpol sign --request FILE.json --key NAME.key [--reject] [--at RFC3339] [--out FILE]
//
// Signs an approval (or, with --reject, a veto) offline, from a request's JSON (`xpol approvals show ID --json`, or
// the service's GET /v1/approvals/ID): the approver's key never touches the service. Prints the signed approval
// (JSON), which `xpol approve --server URL --signed FILE` or POST /v1/approvals/ID/signatures submits. What is signed
// is the request id with its action and policy digests (approvals.ts): check them against the action you were shown.
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { readPrivateKeyFile } from "../../receipts/keys.ts";
import { NobleSigner } from "../../receipts/signer.ts";
import { signApproval } from "../../runtime/approvals.ts";

const USAGE = `usage: xpol sign --request FILE.json --key NAME.key [--reject] [--at RFC3339] [--out FILE]

  --request FILE  the request's JSON: \`xpol approvals show ID --server URL --json\` (or its \`request\` object)
  --key FILE      your private key file (\`xpol keygen --out NAME\` writes NAME.key)
  --reject        sign a rejection: it vetoes the request
  --at TIME       the signing time to state (default now)
  --out FILE      write the signed approval there (default: standard output)`;

/** The request fields a signature binds, from either shape of the JSON; or why they are missing. */
export function requestFromJson(value: unknown): { id: string; actionDigest: string; policyDigest: string } | string {
  const o = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  const r = o !== null && typeof o["request"] === "object" && o["request"] !== null ? (o["request"] as Record<string, unknown>) : o;
  if (r === null) return "the request file must hold a JSON object";
  const id = r["id"];
  const actionDigest = r["action_digest"];
  const policyDigest = r["policy_digest"];
  if (typeof id !== "string" || typeof actionDigest !== "string" || typeof policyDigest !== "string") {
    return "the request JSON needs `id`, `action_digest` and `policy_digest` (as `xpol approvals show ID --json` prints)";
  }
  return { id, actionDigest, policyDigest };
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const opts: { request?: string; key?: string; at?: string; out?: string; reject: boolean } = { reject: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--request" || a === "--key" || a === "--at" || a === "--out") {
      const v = argv[++i];
      if (v === undefined) return usageExit(io, "sign", `${a} needs a value`, USAGE);
      opts[a.slice(2) as "request" | "key" | "at" | "out"] = v;
    } else if (a === "--reject") {
      opts.reject = true;
    } else if (a === "-h" || a === "--help") {
      return usageExit(io, "sign", "", USAGE);
    } else {
      return usageExit(io, "sign", `unknown argument \`${a}\``, USAGE);
    }
  }
  if (opts.request === undefined || opts.key === undefined) return usageExit(io, "sign", "give --request and --key", USAGE);
  if (opts.at !== undefined && Number.isNaN(Date.parse(opts.at))) return usageExit(io, "sign", "--at must be an RFC 3339 time", USAGE);
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, opts.request), "utf8");
  } catch (e: unknown) {
    io.stderr(`xpol sign: cannot read \`${opts.request}\`: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.unreadable;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e: unknown) {
    io.stderr(`xpol sign: \`${opts.request}\` is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.findings;
  }
  const request = requestFromJson(parsed);
  if (typeof request === "string") {
    io.stderr(`xpol sign: ${request}`);
    return ExitCode.findings;
  }
  const pair = await readPrivateKeyFile(resolve(io.cwd, opts.key));
  if (!pair.ok) {
    io.stderr(`xpol sign: ${pair.error}`);
    return pair.unreadable === true ? ExitCode.unreadable : ExitCode.findings;
  }
  const signed = signApproval(new NobleSigner(pair.value), request, opts.reject ? "reject" : "approve", opts.at ?? Date.now());
  const out = JSON.stringify(signed, null, 2);
  if (opts.out === undefined) {
    io.stdout(out);
  } else {
    await writeFile(resolve(io.cwd, opts.out), out + "\n");
    io.stderr(`xpol sign: ${signed.statement.verdict} of ${request.id} by ${signed.statement.approver} written to ${opts.out}`);
  }
  return ExitCode.ok;
}
