// xpol replay --policy NEW... (--state DIR | --receipts FILE | --postgres URL) [--key PUB] [--since T] [--until T]
//             [--format text|json|junit|github] [--fail-on widened|narrowed]...
// xpol replay --shadow (--state DIR | ...)   a period of shadow decisions, in the same report
//
// Every decision the log recorded is decided again under the new policy, with the counter values the original
// decision read and at its request time (src/testing/replay.ts), and the report says what changes: counts by old ->
// new effect, by action type and by rule, and examples with the receipts' sequence numbers. With --key the log is
// verified in the same pass, exactly as `xpol verify` does (the bodies are read while worker threads check the
// signatures; a log that is not intact gives no report). --fail-on widened (deny or require approval that would
// become allow, deny that would become require approval) and --fail-on narrowed make the exit code 1 for CI.
// Exit 0 no failing change, 1 a change --fail-on names (or a log that is not intact), 2 usage, 3 unreadable.
import path from "node:path";
import os from "node:os";
import { mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { loadPolicy } from "./eval.ts";
import { formatPublicKey, parsePublicKey, resolvePublicKey } from "../../receipts/keys.ts";
import { verifyLog } from "../../receipts/verify-log.ts";
import { RECEIPTS_FILE, scanReceipts } from "../../receipts/scan.ts";
import { Replayer, type ReplayReport } from "../../testing/replay.ts";
import type { ChangeDirection } from "../../testing/changes.ts";
import type { ReportFormat } from "../report-formats.ts";
import { failsOn, readChangeReportOption, renderChangeReport } from "../change-report.ts";
import { loadPostgres } from "../postgres.ts";
import type { CompiledPolicy } from "../../engine/plan.ts";

const USAGE = `usage: xpol replay --policy NEW... (--state DIR | --receipts FILE | --postgres URL) [options]
       xpol replay --shadow (--state DIR | --receipts FILE | --postgres URL) [options]

  --policy NEW...    the new policy: .xpol files, or a bundle .json from \`xpol compile\` (the files up to the next
                     option)
  --shadow           instead: compare the shadow decisions the log recorded (\`xpol serve --shadow\`) with the real ones
  --state DIR        a state directory's receipt log (receipts.jsonl)
  --receipts FILE    a receipts.jsonl file
  --postgres URL     every replica's chain in the PostgreSQL state store (needs @execlayer/postgres)
  --key PUB          verify the log's signatures, chain and checkpoints with the signer's key in the same pass
                     (as \`xpol verify\`); without it the chain is checked but not the signatures (said so);
                     --postgres checks each replica's chain with the key registered beside it (--key: must be it)
  --since T          only receipts at or after T (RFC 3339, or a date)
  --until T          only receipts before T
  --format F         text (default), json, junit, github
  --fail-on WHICH    widened or narrowed (repeatable): exit 1 when a decision changes that way

exit codes: 0 ok, 1 a change --fail-on names or a log that is not intact, 2 usage error, 3 unreadable input`;

interface Args {
  policies: string[];
  shadow: boolean;
  state?: string;
  receipts?: string;
  postgres?: string;
  key?: string;
  since?: number;
  until?: number;
  format: ReportFormat;
  failOn: ChangeDirection[];
}

function parseTime(text: string): number | undefined {
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

function parseArgs(argv: readonly string[]): Args | string {
  const out: Args = { policies: [], shadow: false, format: "human", failOn: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (a) {
      case "--policy": {
        while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) out.policies.push(argv[++i]!);
        if (out.policies.length === 0) return "--policy needs files";
        break;
      }
      case "--shadow":
        out.shadow = true;
        break;
      case "--state":
      case "--receipts":
      case "--postgres":
      case "--key": {
        const v = value();
        if (v === undefined) return `${a} needs a value`;
        out[a.slice(2) as "state" | "receipts" | "postgres" | "key"] = v;
        break;
      }
      case "--since":
      case "--until": {
        const v = value();
        const t = v === undefined ? undefined : parseTime(v);
        if (t === undefined) return `${a} needs a time (RFC 3339 or a date)`;
        out[a.slice(2) as "since" | "until"] = t;
        break;
      }
      default: {
        const read = readChangeReportOption(a, value, out);
        if (typeof read === "string") return read;
        if (read) break;
        return `unexpected argument \`${a}\``;
      }
    }
  }
  const sources = [out.state, out.receipts, out.postgres].filter((s) => s !== undefined).length;
  if (sources !== 1) return "give one of --state DIR, --receipts FILE, --postgres URL";
  if (out.shadow === (out.policies.length > 0)) return "give --policy NEW... or --shadow";
  return out;
}

/** One log read into the replayer: verified (with a key) or chain-checked. */
interface LogPass {
  readonly ok: boolean;
  readonly problem?: string;
  readonly unreadable?: boolean;
}

/** Reads `dir`'s receipts into `replayer`; with `key`, in verifyLog's own pass. */
async function replayDir(dir: string, key: Uint8Array | null, replayer: Replayer): Promise<LogPass> {
  if (key !== null) {
    const v = await verifyLog(dir, key, { onLine: (seq, text, skimmed) => replayer.line(seq, text, skimmed) });
    if (v.ok) return { ok: true };
    const bad = v.firstBad;
    return { ok: false, unreadable: bad?.problem === "unreadable", problem: bad === undefined ? "not intact" : `first bad receipt: seq ${bad.seq}: ${bad.code} ${bad.problem}: ${bad.message}` };
  }
  const scan = await scanReceipts(dir, { checkpoints: [], onReceipt: (r) => replayer.receipt(r.seq, r.kind, r.time, r.body) });
  if (scan.missing) return { ok: false, unreadable: true, problem: `no ${RECEIPTS_FILE} in \`${dir}\`` };
  if (scan.bad !== undefined) return { ok: false, unreadable: scan.bad.problem === "unreadable", problem: `seq ${scan.bad.seq}: ${scan.bad.code} ${scan.bad.problem}: ${scan.bad.message}` };
  return { ok: true };
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) return usageExit(io, "replay", "", USAGE);
  const args = parseArgs(argv);
  if (typeof args === "string") return usageExit(io, "replay", args, USAGE);
  let policy: CompiledPolicy | null = null;
  if (!args.shadow) {
    const loaded = loadPolicy(args.policies, io);
    if (typeof loaded === "number") return loaded;
    policy = loaded;
  }
  let key: Uint8Array | null = null;
  if (args.key !== undefined) {
    const pub = await resolvePublicKey(args.key, io.cwd);
    if (!pub.ok) {
      io.stderr(`xpol replay: ${pub.error}`);
      return pub.unreadable === true ? ExitCode.unreadable : ExitCode.usage;
    }
    key = pub.value;
  }
  const replayer = new Replayer(policy, { ...(args.since !== undefined ? { since: args.since } : {}), ...(args.until !== undefined ? { until: args.until } : {}) });
  const cleanup: string[] = [];
  const sourceLines: string[] = [];
  try {
    const dirs: { dir: string; label: string; key: Uint8Array | null }[] = [];
    if (args.state !== undefined) dirs.push({ dir: path.resolve(io.cwd, args.state), label: args.state, key });
    if (args.receipts !== undefined) {
      const file = path.resolve(io.cwd, args.receipts);
      try {
        if (!(await stat(file)).isFile()) throw new Error("not a regular file");
      } catch (e: unknown) {
        io.stderr(`xpol replay: cannot read \`${args.receipts}\`: ${e instanceof Error ? e.message : String(e)}`);
        return ExitCode.unreadable;
      }
      if (path.basename(file) === RECEIPTS_FILE) dirs.push({ dir: path.dirname(file), label: args.receipts, key });
      else {
        // the log readers read DIR/receipts.jsonl: a file under another name is linked into a directory of its own
        const tmp = await mkdtemp(path.join(os.tmpdir(), "xpol-replay-"));
        cleanup.push(tmp);
        await symlink(file, path.join(tmp, RECEIPTS_FILE));
        dirs.push({ dir: tmp, label: args.receipts, key });
      }
    }
    if (args.postgres !== undefined) {
      const pg = await loadPostgres();
      if (!pg.ok) {
        io.stderr(`xpol replay: ${pg.error}`);
        return ExitCode.unreadable;
      }
      const tmp = await mkdtemp(path.join(os.tmpdir(), "xpol-replay-"));
      cleanup.push(tmp);
      let chains;
      try {
        chains = (await pg.value.exportChains(args.postgres, tmp)).chains;
      } catch (e: unknown) {
        io.stderr(`xpol replay: ${e instanceof Error ? e.message : String(e)}`);
        return ExitCode.unreadable;
      }
      for (const c of chains) {
        // each replica signs its own chain: checked with the key registered beside it (with --key, it must be that)
        const registered = parsePublicKey(c.publicKey);
        if (!registered.ok || (key !== null && formatPublicKey(key) !== c.publicKey)) {
          io.stderr(`xpol replay: chain ${c.id} (replica ${c.replica}) is signed by ${c.publicKey}${key !== null ? ", not by the key given" : ""}`);
          return ExitCode.findings;
        }
        // exportChains names each chain's directory relative to the export
        dirs.push({ dir: path.resolve(tmp, c.dir), label: `chain ${c.id} (replica ${c.replica})${key === null ? " with the key registered in the database" : ""}`, key: registered.value });
      }
    }
    for (const d of dirs) {
      const pass = await replayDir(d.dir, d.key, replayer);
      if (!pass.ok) {
        io.stderr(`xpol replay: ${d.label}: log is NOT intact, no report: ${pass.problem ?? ""}`);
        return pass.unreadable === true ? ExitCode.unreadable : ExitCode.findings;
      }
      sourceLines.push(`${d.label}: ${d.key !== null ? "signatures, chain and checkpoints verified" : "chain checked, signatures NOT verified (give --key PUB)"}`);
    }
  } finally {
    for (const t of cleanup) await rm(t, { recursive: true, force: true });
  }
  const report = replayer.report();
  const text = renderChangeReport(args.format, { tool: "xpol replay", header: header(report, sourceLines), notes: notes(report), changes: report.changes, json: { ...report, sources: sourceLines } }, args.failOn);
  io.stdout(text);
  return failsOn(report.changes, args.failOn) ? ExitCode.findings : ExitCode.ok;
}

function policyLabel(p: { readonly name: string; readonly version: string | null; readonly digest: string }): string {
  return `${p.name}${p.version !== null ? ` ${p.version}` : ""} (${p.digest.slice(0, 19)}…)`;
}

function header(r: ReplayReport, sources: readonly string[]): string[] {
  const out = [
    r.mode === "policy"
      ? `replay under ${r.policy !== null ? policyLabel(r.policy) : "?"}`
      : `shadow decisions${r.policy !== null ? ` of ${policyLabel(r.policy)}` : ""} beside the real ones`,
    ...sources,
    `recorded by: ${r.recordedPolicies.map(policyLabel).join(", ") || "(no decisions)"}`,
  ];
  if (r.since !== null || r.until !== null) out.push(`period: ${r.since ?? "the start"} to ${r.until ?? "the end"}`);
  out.push(`${r.receipts} receipt(s) read, ${r.decisions} decision(s) in the period`, "");
  return out;
}

function notes(r: ReplayReport): string[] {
  const out: string[] = [];
  if (r.refusedInput > 0) out.push(`${r.refusedInput} decision(s) refused their input before any rule ran: nothing to re-decide`);
  if (r.withoutShadow > 0) out.push(`${r.withoutShadow} decision(s) recorded without a shadow decision`);
  for (const n of r.notReplayable) out.push(`not replayable: ${n.count} decision(s): ${n.reason} (seq ${n.seqs.join(", ")}${n.count > n.seqs.length ? ", ..." : ""})`);
  return out;
}

