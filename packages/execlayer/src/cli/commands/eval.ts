// xpol eval POLICY... --action FILE.json [--context FILE.json] [--json]
// xpol eval POLICY... --actions FILE.jsonl [--context FILE.json]
//
// POLICY is one or more .xpol files forming one policy, or a bundle (.json) written by `xpol compile`.
// An action file holds an IR-shaped proposal (`{ "action": { "type", "target", "params" } }`) or a raw tool call
// in any shape src/ir accepts: what a model proposes. The context file holds what the embedding service supplies,
// `{ "actor": {...}, "context": {...}, "counters": { "NAME": 3 }, "now": "2026-01-31T12:00:00Z" }`: `actor` is
// required (and `context` when the policy declares one; else a deny with XP4033), `now` defaults to the clock. As
// everywhere, an action's own `actor`/`context` must equal the context file's (XP4019) and its `requested_at` is
// ignored.
// With --actions, each line is one action; each output line is one decision as JSON (a bad line gets a deny).
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { resolve } from "node:path";
import { formatDiagnostics } from "../../compile/load.ts";
import { readPolicyText, runPolicyPipeline } from "../../compile/pipeline.ts";
import { loadBundle } from "../../compile/bundle.ts";
import { decide, forcedDeny, type DecideOptions } from "../../engine/engine.ts";
import type { DecideContext } from "../../engine/enforceable.ts";
import type { Decision } from "../../vocabulary/decision.ts";
import { formatMillis } from "../../engine/combine.ts";
import { decideWithState } from "../decide-with-state.ts";
import { readFleetKey } from "../postgres.ts";
import { isoMillis } from "../../ir/values.ts";
import { Diagnostics } from "../../diagnostics/catalogue.ts";
import { SourceFile } from "../../diagnostics/source.ts";
import type { JsonObject } from "../../ir/types.ts";
import type { CompiledPolicy } from "../../engine/plan.ts";

const USAGE = `usage: xpol eval POLICY... (--action FILE.json | --actions FILE.jsonl) [--context FILE.json] [--json]

  POLICY             .xpol files forming one policy, or a bundle .json from \`xpol compile\`
  --action FILE      one proposed action (IR-shaped, or a tool call); prints its decision
  --actions FILE     one action per line; prints one decision (JSON) per line
  --context FILE     { "actor": {...}, "context": {...}, "counters": {"NAME": n}, "now": "RFC 3339" }
                     (the caller's side: actor required, context when the policy declares one, now
                     default the clock; an action's own actor/context must agree, its requested_at is ignored)
  --json             print the decision as one JSON object
  --state DIR        keep counters and approval requests across runs in DIR (durable store; see \`xpol approvals\`)
  --postgres URL     keep them in PostgreSQL instead, shared with every replica using it (needs @execlayer/postgres;
                     the database's schema must be migrated: \`xpol db migrate --postgres URL\`)
  --redaction-key FILE  with --postgres: the fleet's redaction key (\`xpol keygen --redaction-key FILE\`), which every
                     replica deciding there is given: @sensitive values are committed under it (required there)
  --exit-code        for scripts: exit 5 when a decision is deny, 6 when one requires approval (and none denies)

exit codes: 0 ok, 2 usage error, 3 unreadable input; with --exit-code 5 denied, 6 approval required`;

interface Args {
  policies: string[];
  action?: string;
  actions?: string;
  context?: string;
  json: boolean;
  state?: string;
  postgres?: string;
  /** --redaction-key FILE */
  redactionKey?: string;
  /** --exit-code: the decisions' effects decide the exit code */
  exitCode: boolean;
}

/** `--exit-code`: deny wins over require approval; all allowed is 0. */
function effectsExit(effects: readonly string[], enabled: boolean): number {
  if (!enabled) return ExitCode.ok;
  if (effects.includes("deny")) return ExitCode.denied;
  if (effects.includes("require_approval")) return ExitCode.approvalRequired;
  return ExitCode.ok;
}

function parseArgs(args: readonly string[]): Args | string {
  const out: Args = { policies: [], json: false, exitCode: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => args[++i];
    switch (a) {
      case "--action":
      case "--actions":
      case "--context": {
        const v = value();
        if (v === undefined) return `${a} needs a file`;
        out[a.slice(2) as "action" | "actions" | "context"] = v;
        break;
      }
      case "--json":
        out.json = true;
        break;
      case "--exit-code":
        out.exitCode = true;
        break;
      case "--state": {
        const v = value();
        if (v === undefined) return "--state needs a directory";
        out.state = v;
        break;
      }
      case "--postgres": {
        const v = value();
        if (v === undefined) return "--postgres needs a database URL";
        out.postgres = v;
        break;
      }
      case "--redaction-key": {
        const v = value();
        if (v === undefined) return "--redaction-key needs a file";
        out.redactionKey = v;
        break;
      }
      case "-h":
      case "--help":
        return "";
      default:
        if (a.startsWith("-")) return `unknown option \`${a}\``;
        out.policies.push(a);
    }
  }
  if (out.policies.length === 0) return "give at least one policy file";
  if ((out.action === undefined) === (out.actions === undefined)) return "give exactly one of --action and --actions";
  if (out.state !== undefined && out.postgres !== undefined) return "give at most one of --state and --postgres";
  if (out.redactionKey !== undefined && out.postgres === undefined) return "--redaction-key goes with --postgres (a state directory keeps its own key)";
  return out;
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") return usageExit(io, "eval", args, USAGE);
  const loaded = loadPolicy(args.policies, io);
  if (typeof loaded === "number") return loaded;
  const policy = loaded;

  let ctx: { context: DecideContext; options: DecideOptions } = { context: {}, options: {} };
  if (args.context !== undefined) {
    const text = readText(args.context, io);
    if (text === undefined) return ExitCode.unreadable;
    const parsed = parseContext(text);
    if (typeof parsed === "string") {
      io.stderr(`xpol eval: ${args.context}: ${parsed}`);
      return ExitCode.usage;
    }
    ctx = parsed;
  }

  if (args.state !== undefined || args.postgres !== undefined) return evalWithState(policy, args, ctx, io);

  if (args.action !== undefined) {
    const text = readText(args.action, io);
    if (text === undefined) return ExitCode.unreadable;
    const decision = decideText(policy, text, ctx);
    io.stdout(args.json ? JSON.stringify(decision) : formatDecision(decision));
    return effectsExit([decision.effect], args.exitCode);
  }
  const text = readText(args.actions!, io);
  if (text === undefined) return ExitCode.unreadable;
  const out: string[] = [];
  const effects: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const decision = decideText(policy, line, ctx);
    effects.push(decision.effect);
    out.push(JSON.stringify(decision));
  }
  if (out.length > 0) io.stdout(out.join("\n"));
  return effectsExit(effects, args.exitCode);
}

/** `--state DIR` / `--postgres URL`: decisions by the runtime's Enforcer over that store (counters come from there). */
async function evalWithState(policy: CompiledPolicy, args: Args, ctx: { context: DecideContext; options: DecideOptions }, io: CliIO): Promise<number> {
  if (ctx.options.counters !== undefined) {
    io.stderr(`xpol eval: \`counters\` cannot be given with ${args.postgres !== undefined ? "--postgres" : "--state"}: they come from the store`);
    return ExitCode.usage;
  }
  const text = readText((args.action ?? args.actions)!, io);
  if (text === undefined) return ExitCode.unreadable;
  const proposals = args.action !== undefined ? [text] : text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const now = typeof ctx.options.now === "string" ? ctx.options.now : undefined;
  const key = args.redactionKey === undefined ? undefined : await readFleetKey(args.redactionKey, "eval", io);
  if (typeof key === "number") return key;
  const r = await decideWithState(policy, proposals, ctx.context, {
    ...(args.postgres !== undefined ? { postgres: args.postgres } : { dir: resolve(io.cwd, args.state!) }),
    ...(key !== undefined ? { redactionKey: key } : {}),
    ...(now !== undefined ? { now } : {}),
  });
  if (!r.ok) {
    io.stderr(`xpol eval: ${r.error.code}: ${r.error.message}`);
    return r.error.reason === "io" ? ExitCode.unreadable : ExitCode.findings;
  }
  const single = args.action !== undefined && !args.json;
  const out = r.decisions.map((d) => {
    const { receipt, request, ...decision } = d;
    if (single) {
      const extra = [formatDecision(decision)];
      if (request !== undefined) extra.push(`request: ${request.request.id} (${request.status}; expires ${isoMillis(request.request.expiresAt)})`);
      if (receipt !== undefined) extra.push(`receipt: seq ${receipt.seq}`);
      return extra.join("\n");
    }
    return JSON.stringify({ ...decision, ...(request !== undefined ? { request: { id: request.request.id, status: request.status, expires_at: isoMillis(request.request.expiresAt) } } : {}), ...(receipt !== undefined ? { receipt: { seq: receipt.seq } } : {}) });
  });
  if (out.length > 0) io.stdout(out.join("\n"));
  return effectsExit(r.decisions.map((d) => d.effect), args.exitCode);
}

/** The compiled policy, or an exit code after printing why not. */
export function loadPolicy(paths: readonly string[], io: CliIO): CompiledPolicy | number {
  if (paths.length === 1 && paths[0]!.endsWith(".json")) {
    const read = readPolicyText(paths[0]!, io.cwd);
    if ("error" in read) {
      const sources = new Map(read.lossy === undefined ? [] : [[paths[0]!, new SourceFile(paths[0]!, read.lossy)]]);
      io.stderr(formatDiagnostics([read.error], sources));
      return read.unreadable ? ExitCode.unreadable : ExitCode.findings;
    }
    const r = loadBundle(read.text, paths[0]!);
    if (r.diagnostics.length > 0) io.stderr(formatDiagnostics(r.diagnostics, new Map()));
    return r.policy ?? ExitCode.findings;
  }
  // the pipeline `xpol check` and `compilePolicy` run, so eval refuses exactly what they report as errors
  const r = runPolicyPipeline({ files: paths, cwd: io.cwd });
  if (r.unreadable || r.policy === null) {
    io.stderr(formatDiagnostics(r.diagnostics, r.sources));
    return r.unreadable ? ExitCode.unreadable : ExitCode.findings;
  }
  return r.policy;
}

/**
 * An action, actions or context file, strictly UTF-8 (the policy files' reader): a file that is not is refused
 * (XP1021, pointing at the first bad byte) rather than decided on with U+FFFD in place of its bytes.
 */
function readText(path: string, io: CliIO): string | undefined {
  const read = readPolicyText(path, io.cwd);
  if ("text" in read) return read.text;
  const error = read.unreadable ? read.error : { ...read.error, help: "action, actions and context files are UTF-8 JSON text" };
  const sources = new Map(read.lossy === undefined ? [] : [[path, new SourceFile(path, read.lossy)]]);
  io.stderr(formatDiagnostics([error], sources));
  return undefined;
}

function parseContext(text: string): { context: DecideContext; options: DecideOptions } | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e: unknown) {
    return `not JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return "expected a JSON object";
  const o = v as Record<string, unknown>;
  const context: { actor?: JsonObject; context?: JsonObject } = {};
  const options: { counters?: Map<string, number>; now?: string } = {};
  for (const [k, x] of Object.entries(o)) {
    switch (k) {
      case "actor":
      case "context":
        if (x === null || typeof x !== "object" || Array.isArray(x)) return `\`${k}\` must be an object`;
        context[k] = x as JsonObject;
        break;
      case "counters": {
        if (x === null || typeof x !== "object" || Array.isArray(x)) return "`counters` must be an object of integers";
        const m = new Map<string, number>();
        for (const [n, c] of Object.entries(x as Record<string, unknown>)) {
          if (typeof c !== "number" || !Number.isSafeInteger(c) || c < 0) return `counter \`${n}\` must be a non-negative integer`;
          m.set(n, c);
        }
        options.counters = m;
        break;
      }
      case "now":
        if (typeof x !== "string") return "`now` must be an RFC 3339 string";
        options.now = x;
        break;
      default:
        return `unexpected key \`${k}\` (expected actor, context, counters, now)`;
    }
  }
  return { context, options };
}

function decideText(policy: CompiledPolicy, text: string, ctx: { context: DecideContext; options: DecideOptions }): Decision {
  let action: unknown;
  try {
    action = JSON.parse(text);
  } catch (e: unknown) {
    return forcedDeny(null, Diagnostics.irMalformedJson.code, Diagnostics.irMalformedJson.message(e instanceof Error ? e.message : String(e)));
  }
  if (action === null || typeof action !== "object") return decide(policy, action, ctx.context, ctx.options);
  // The strict parser in src/ir sees the text itself (duplicate keys, exact integers).
  return decide(policy, text, ctx.context, ctx.options);
}

export function formatDecision(d: Decision): string {
  const lines = [`effect: ${d.effect}`, `tier:   ${d.tier ?? "(unclassified)"}`];
  if (d.actionType !== null) lines.push(`action: ${d.actionType}`);
  if (d.code !== undefined) lines.push(`code:   ${d.code}`);
  if (d.rules.length > 0) {
    lines.push("rules:");
    for (const r of d.rules) lines.push(`  ${r.rule}${r.otherwise === true ? " (else)" : ""}${r.error === true ? " (error)" : ""}: ${r.effect}`);
  }
  if (d.approval !== undefined) {
    lines.push("approval:");
    for (const q of d.approval.requirements) lines.push(`  ${q.quorum} of ${q.group} within ${formatMillis(q.withinMs)}`);
  }
  lines.push("reasons:");
  for (const r of d.reasons) lines.push(`  - ${r}`);
  return lines.join("\n");
}
