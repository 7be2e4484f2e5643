// xpol verify DIR --key PUB [--json]
//
// Checks a receipt log offline with the public key alone: every receipt's signature, the hash chain, and every
// checkpoint (signature, root against the receipts it covers, each covering more than the one before), and that
// every kept checkpoint (--checkpoint) still agrees with the log and is still among its checkpoints. Never modifies
// the log.
// With --server URL instead of DIR, the log of a running `xpol serve` is fetched (its checkpoints, then its receipts,
// byte for byte as the service's files hold them) and checked exactly as a directory is, with the key you trust
// (never one the service hands out).
// Exit 0 intact, 1 tampered or damaged (names the first bad seq), 2 usage, 3 the log cannot be read.
//
// xpol verify --postgres URL [--key PUB]... [--json]: every replica's receipt chain in the PostgreSQL state store
// (@execlayer/postgres, loaded on demand), each held to the same rules as a log directory. With --key, every chain
// must be signed by one of the keys given; without, each is checked against the key registered beside it in the
// database (intact, but not proven to be written by a key the auditor trusts: said so in the output).
import path from "node:path";
import { resolvePublicKey } from "../../receipts/keys.ts";
import { KEPT_CHECKPOINT_FILE, verifyLog } from "../../receipts/verify-log.ts";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { CHECKPOINTS_FILE, RECEIPTS_FILE } from "../../receipts/scan.ts";
import { callServer, tokenFrom, type ServerTarget } from "../server-client.ts";
import type { Result } from "../../vocabulary/result.ts";
import { loadPostgres } from "../postgres.ts";

const USAGE = `usage: xpol verify (DIR | --server URL [--token TOKEN] [--chain ID]) --key PUB [--checkpoint FILE]... [--json]
       xpol verify --postgres URL [--key PUB]... [--json]

  DIR                a receipt log directory (receipts.jsonl, checkpoints.jsonl), e.g. a state directory
  --server URL       the log of a running \`xpol serve\` (fetched, then checked as a directory is)
  --token TOKEN      its bearer token, role auditor (default: the XPOL_TOKEN environment variable)
  --chain ID         a service on PostgreSQL (\`xpol serve --postgres\`): this replica's chain (GET /v1/chains lists
                     them; default the replica's own); --key is the key registered for it
  --key PUB          the signer's public key: a .pub file or \`ed25519:<64 hex>\`
  --checkpoint FILE  a checkpoint you kept from an earlier look (its signed note, or a line of checkpoints.jsonl):
                     the log must still agree with it, i.e. it only grew since (repeatable)
  --postgres URL     verify every replica's chain in the PostgreSQL state store (needs @execlayer/postgres);
                     --key (repeatable) lists the replicas' keys the chains must be signed by
  --json             print the result as JSON`;

/** A kept checkpoint file holds the signed note itself, or a `{"note": ...}` line copied from checkpoints.jsonl. */
function keptNote(text: string): string {
  const t = text.trim();
  if (t.startsWith("{")) {
    try {
      const v: unknown = JSON.parse(t);
      if (typeof v === "object" && v !== null && typeof (v as { note?: unknown }).note === "string") return (v as { note: string }).note;
    } catch {
      // not JSON: taken as the note text, whose verification then says what is wrong
    }
  }
  return text.endsWith("\n") ? text : text + "\n";
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let dir: string | undefined;
  let server: string | undefined;
  let token: string | undefined;
  let chain: string | undefined;
  let key: string | undefined;
  const keys: string[] = [];
  let postgres: string | undefined;
  let json = false;
  const keptFiles: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "-h" || a === "--help") return usageExit(io, "verify", "", USAGE);
    if (a === "--key" && argv[i + 1] !== undefined) keys.push((key = argv[++i]!));
    else if (a.startsWith("--key=")) keys.push((key = a.slice("--key=".length)));
    else if (a === "--postgres" && argv[i + 1] !== undefined) postgres = argv[++i];
    else if (a === "--json") json = true;
    else if (a === "--server" && argv[i + 1] !== undefined) server = argv[++i];
    else if (a === "--token" && argv[i + 1] !== undefined) token = argv[++i];
    else if (a === "--chain" && argv[i + 1] !== undefined) chain = argv[++i];
    else if (a === "--checkpoint" && argv[i + 1] !== undefined) keptFiles.push(argv[++i]!);
    else if (!a.startsWith("-") && dir === undefined) dir = a;
    else {
      return usageExit(io, "verify", `unexpected argument \`${a}\``, USAGE);
    }
  }
  if (postgres !== undefined) {
    if (dir !== undefined || server !== undefined || keptFiles.length > 0) return usageExit(io, "verify", "--postgres takes no DIR, --server or --checkpoint", USAGE);
    return verifyPostgres(postgres, keys, json, io);
  }
  if (keys.length > 1) return usageExit(io, "verify", "give one --key for a log directory", USAGE);
  if (dir !== undefined && server !== undefined) return usageExit(io, "verify", "give DIR or --server URL, not both", USAGE);
  if (chain !== undefined && server === undefined) return usageExit(io, "verify", "--chain goes with --server URL", USAGE);
  if ((dir === undefined && server === undefined) || key === undefined) return usageExit(io, "verify", `${key === undefined ? "--key PUB" : "DIR"} is required`, USAGE);
  const pub = await resolvePublicKey(key, io.cwd);
  if (!pub.ok) {
    io.stderr(`xpol verify: ${pub.error}`);
    return pub.unreadable === true ? ExitCode.unreadable : ExitCode.usage;
  }
  const kept: string[] = [];
  for (const f of keptFiles) {
    let text: string;
    try {
      text = await readFile(path.resolve(io.cwd, f), "utf8");
    } catch (e: unknown) {
      io.stderr(`xpol verify: cannot read \`${f}\`: ${e instanceof Error ? e.message : String(e)}`);
      return ExitCode.unreadable;
    }
    kept.push(keptNote(text));
  }
  let fetched: string | null = null;
  if (server !== undefined) {
    const got = await fetchLog({ url: server, token: tokenFrom(token) }, chain);
    if (!got.ok) {
      io.stderr(`xpol verify: ${got.error}`);
      return ExitCode.unreadable;
    }
    fetched = got.value;
  }
  let result;
  try {
    result = await verifyLog(fetched ?? path.resolve(io.cwd, dir!), pub.value, { kept });
  } finally {
    if (fetched !== null) await rm(fetched, { recursive: true, force: true });
  }
  if (json) io.stdout(JSON.stringify(result, null, 2));
  if (result.ok) {
    if (!json) {
      io.stdout(`ok: ${result.count} receipts verified, ${result.checkpoints} checkpoints${kept.length > 0 ? `, consistent with ${kept.length} kept checkpoint(s)` : ""}`);
      io.stdout(`head ${result.head}`);
      io.stdout(`root ${result.root}`);
    }
    return ExitCode.ok;
  }
  const bad = result.firstBad;
  if (bad === undefined) return ExitCode.findings;
  if (!json) {
    const where = bad.line > 0 ? `${bad.file} line ${bad.line}, byte ${bad.offset}` : bad.file;
    if (bad.problem === "unreadable") {
      io.stderr(`xpol verify: ${bad.code}: ${bad.message}`);
    } else {
      const what =
        bad.problem === "checkpoint-removed"
          ? `kept checkpoint ${bad.line} (\`${keptFiles[bad.line - 1] ?? "?"}\`) is gone from the log's checkpoints: checkpoints were removed`
          : bad.problem === "checkpoint-order"
          ? `checkpoints out of order (${where}): reordered or duplicated`
          : bad.file === KEPT_CHECKPOINT_FILE
          ? `the log no longer agrees with kept checkpoint ${bad.line} (\`${keptFiles[bad.line - 1] ?? "?"}\`): it was rewritten, not only appended to`
          : bad.file === "receipts.jsonl" || bad.problem === "truncated"
          ? `first bad receipt: seq ${bad.seq} (${where})`
          : `bad checkpoint (${where}), covering receipts up to seq ${bad.seq}`;
      io.stderr(`xpol verify: log is NOT intact: ${result.count} receipts verified before the problem`);
      io.stderr(`${what}\n${bad.code} ${bad.problem}: ${bad.message}`);
    }
  }
  return bad.problem === "unreadable" ? ExitCode.unreadable : ExitCode.findings;
}

/**
 * Fetches a service's log into a fresh temporary directory (checkpoints first, so every checkpoint is covered by the
 * receipts fetched after it) and returns its path.
 */
async function fetchLog(target: ServerTarget, chain: string | undefined): Promise<Result<string>> {
  const which = chain === undefined ? "" : `?chain=${encodeURIComponent(chain)}`;
  const checkpoints = await callServer(target, "GET", `v1/checkpoints${which}`);
  if (!checkpoints.ok) return { ok: false, error: checkpoints.message };
  const receipts = await callServer(target, "GET", `v1/receipts${which}`);
  if (!receipts.ok) return { ok: false, error: receipts.message };
  const dir = await mkdtemp(path.join(os.tmpdir(), "xpol-verify-"));
  await writeFile(path.join(dir, CHECKPOINTS_FILE), checkpoints.text);
  await writeFile(path.join(dir, RECEIPTS_FILE), receipts.text);
  return { ok: true, value: dir };
}

/** `--postgres URL`: every chain in the database. */
async function verifyPostgres(url: string, keyTexts: readonly string[], json: boolean, io: CliIO): Promise<number> {
  const keys: Uint8Array[] = [];
  for (const k of keyTexts) {
    const pub = await resolvePublicKey(k, io.cwd);
    if (!pub.ok) {
      io.stderr(`xpol verify: ${pub.error}`);
      return pub.unreadable === true ? ExitCode.unreadable : ExitCode.usage;
    }
    keys.push(pub.value);
  }
  const pg = await loadPostgres();
  if (!pg.ok) {
    io.stderr(`xpol verify: ${pg.error}`);
    return ExitCode.unreadable;
  }
  let r: Awaited<ReturnType<typeof pg.value.verifyChains>>;
  try {
    r = await pg.value.verifyChains(url, { keys });
  } catch (e: unknown) {
    const code = (e as { code?: unknown }).code;
    io.stderr(`xpol verify: ${typeof code === "string" ? `${code}: ` : ""}${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.unreadable;
  }
  if (json) io.stdout(JSON.stringify(r, null, 2));
  else {
    for (const c of r.chains) {
      const head = `${c.id} (replica ${c.replica}, key ${c.keyId})`;
      if (c.ok) io.stdout(`ok: ${head}: ${c.result.count} receipts, ${c.result.checkpoints} checkpoints${c.closed ? "" : ", not closed (its replica stopped without closing the store)"}`);
      else if (c.unknownKey === true) io.stderr(`NOT TRUSTED: ${head}: signed by ${c.publicKey}, which is not one of the keys given`);
      else {
        const bad = c.result.firstBad;
        io.stderr(`NOT INTACT: ${head}: ${c.result.count} receipts verified before the problem${bad === undefined ? "" : `; first bad receipt: seq ${bad.seq}\n${bad.code} ${bad.problem}: ${bad.message}`}`);
      }
    }
    io.stdout(`${r.ok ? "ok" : "FAILED"}: ${r.chains.filter((c) => c.ok).length} of ${r.chains.length} chain(s) verified`);
    if (r.keysFromDatabase) io.stdout("note: checked against the keys registered in the database itself; give the replicas' keys with --key to prove who signed");
  }
  return r.ok ? ExitCode.ok : ExitCode.findings;
}
