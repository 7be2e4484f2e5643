// xpol approvals list (--state DIR | --server URL | --postgres URL) [--json]
// xpol approvals show ID (--state DIR | --server URL | --postgres URL) [--json] [--check FIELD=JSON ...]
//
// The open approval requests of a state directory (written by `xpol eval --state DIR` or an embedded Enforcer), of
// a running `xpol serve` (which holds its directory's lock), or of the PostgreSQL state store of a fleet
// (@execlayer/postgres, loaded on demand): id, action, tier, what is required, who approved so far, expiry. `show`
// prints one request with its full canonical action as the receipt that opened it recorded it (from a state directory
// or a service), `@sensitive` values masked: receipts hold only their keyed commitments. The holder of the redaction
// key (`DIR/runtime.redaction-key`) checks a claimed value with `--check FIELD=JSON`; nobody can read one back.
// Its JSON is what `xpol sign` signs.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RECEIPTS_FILE } from "../../receipts/scan.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { formatDuration } from "../../vocabulary/windows.ts";
import { requestInfo, requestInfoToJson, type ApprovalRequestInfo } from "../../runtime/submit-approval.ts";
import { DurableStore } from "../../store/durable.ts";
import { StoreError } from "../../runtime/store.ts";
import type { JsonObject } from "../../ir/types.ts";
import { callServer, tokenFrom, type ServerTarget } from "../server-client.ts";
import type { StateStore } from "../../runtime/store.ts";
import type { Receipt } from "../../receipts/receipt.ts";
import type { RequestState } from "../../runtime/approvals.ts";
import { loadPostgres } from "../postgres.ts";
import { readReceipts } from "../../receipts/read.ts";
import { checkSensitiveValue, readRedactionKeyFile, SENSITIVE_COMMITMENT_PREFIX } from "../../receipts/redaction.ts";
import { REDACTION_KEY_FILE } from "../../store/durable.ts";
import type { JsonValue } from "../../ir/types.ts";

const USAGE = `usage: xpol approvals list (--state DIR | --server URL | --postgres URL) [--token TOKEN] [--json]
       xpol approvals show ID (--state DIR | --server URL | --postgres URL) [--token TOKEN] [--json]

  --state DIR      the state directory of \`xpol eval --state\` or an embedded Enforcer
  --server URL     a running \`xpol serve\` (e.g. http://127.0.0.1:8181)
  --postgres URL   the PostgreSQL state store of a fleet (needs @execlayer/postgres)
  --token TOKEN    the service's bearer token (default: the XPOL_TOKEN environment variable)
  --json           print JSON (\`show --json\` is what \`xpol sign --request FILE\` reads)
  --check FIELD=JSON  with show --state or --postgres: check a claimed value of a @sensitive field (e.g.
                   action.params.iban='"DE89..."') against its commitment in the receipt that opened the request; needs
                   the redaction key (DIR/${REDACTION_KEY_FILE}, or --redaction-key FILE: the fleet's with --postgres)`;

/**
 * Opens an existing state directory for a command, or prints why not and returns the exit code. Approving and
 * listing only make sense where decisions were made: a directory without a receipt log is not silently turned into
 * a new, empty store.
 */
export async function openState(dir: string, command: string, io: CliIO): Promise<DurableStore | number> {
  const full = resolve(io.cwd, dir);
  if (!existsSync(join(full, RECEIPTS_FILE))) {
    io.stderr(`xpol ${command}: \`${dir}\` holds no state (no ${RECEIPTS_FILE}); decisions made with \`xpol eval --state ${dir}\` or an embedded Enforcer create it`);
    return ExitCode.unreadable;
  }
  try {
    return await DurableStore.open(full);
  } catch (e: unknown) {
    const err = e instanceof StoreError ? e : null;
    const hint = err?.reason === "locked" ? " (a running `xpol serve` holds it: use --server URL)" : "";
    io.stderr(`xpol ${command}: ${err !== null ? `${err.code}: ` : ""}${e instanceof Error ? e.message : String(e)}${hint}`);
    return err?.reason === "io" ? ExitCode.unreadable : ExitCode.findings;
  }
}

/** A store a command approves in or lists from, with how to find one request in it. */
export interface ApprovalsStore {
  readonly store: StateStore<Receipt>;
  /** the request by id (the durable store: any it holds; PostgreSQL: an open one) */
  requestById(id: string, now: number): Promise<RequestState | undefined>;
  /** how to list its requests, for messages */
  readonly listHint: string;
}

/** Opens `--state DIR` or `--postgres URL` for a command, or prints why not and returns the exit code. */
export async function openApprovalsStore(where: { readonly state?: string; readonly postgres?: string }, command: string, io: CliIO): Promise<ApprovalsStore | number> {
  if (where.postgres === undefined) {
    const store = await openState(where.state!, command, io);
    if (typeof store === "number") return store;
    return { store, requestById: async (id) => store.state.requestById(id), listHint: `xpol approvals list --state ${where.state}` };
  }
  const pg = await loadPostgres();
  if (!pg.ok) {
    io.stderr(`xpol ${command}: ${pg.error}`);
    return ExitCode.unreadable;
  }
  try {
    const store = await pg.value.PostgresStore.connect(where.postgres, { replica: `xpol-${command}` });
    return {
      store,
      requestById: async (id, now) => (await store.openRequests(now)).find((r) => r.request.id === id),
      listHint: "xpol approvals list --postgres URL",
    };
  } catch (e: unknown) {
    const code = (e as { code?: unknown }).code;
    io.stderr(`xpol ${command}: ${typeof code === "string" ? `${code}: ` : ""}${e instanceof Error ? e.message : String(e)}`);
    return (e as { reason?: unknown }).reason === "schema" ? ExitCode.findings : ExitCode.unreadable;
  }
}

export function formatRequest(r: ApprovalRequestInfo): string {
  return formatRequestJson(requestInfoToJson(r));
}

const str = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** A request as text, from its JSON (requestInfoToJson, or a service's answer). */
export function formatRequestJson(r: JsonObject): string {
  const lines = [`${str(r["id"])}  ${str(r["status"])}`, `  action:   ${str(r["action_type"])}${typeof r["target"] === "string" ? `  ${r["target"]}` : ""}`, `  tier:     ${typeof r["tier"] === "string" ? r["tier"] : "(unclassified)"}`];
  for (const p of (r["progress"] ?? []) as { group: string; quorum: number; approvedBy: string[] }[]) {
    lines.push(`  requires: ${p.quorum} of ${p.group}; approved by ${p.approvedBy.length === 0 ? "nobody yet" : p.approvedBy.join(", ")} (${p.approvedBy.length}/${p.quorum})`);
  }
  const members = [...new Set(((r["approvers"] ?? []) as { name: string; group: string }[]).map((a) => `${a.name} (${a.group})`))];
  if (members.length > 0) lines.push(`  approvers: ${members.join(", ")}`);
  const created = Date.parse(str(r["created_at"]));
  const expires = Date.parse(str(r["expires_at"]));
  lines.push(`  created:  ${str(r["created_at"])}`);
  lines.push(`  expires:  ${str(r["expires_at"])} (within ${formatDuration(expires - created)})`);
  lines.push(`  digests:  action ${str(r["action_digest"])}`);
  lines.push(`            policy ${str(r["policy_digest"])}`);
  return lines.join("\n");
}

interface Args {
  sub: "list" | "show";
  id?: string;
  state?: string;
  server?: string;
  postgres?: string;
  token?: string;
  json: boolean;
  checks: { field: string; value: JsonValue }[];
  redactionKey?: string;
}

function parse(argv: readonly string[]): Args | string {
  const [sub, ...rest] = argv;
  if (sub === "-h" || sub === "--help") return "";
  if (sub !== "list" && sub !== "show") return sub === undefined ? "missing subcommand" : `unknown subcommand \`${sub}\``;
  const out: Args = { sub, json: false, checks: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--state" || a === "--server" || a === "--postgres" || a === "--token") {
      const v = rest[++i];
      if (v === undefined) return `${a} needs a value`;
      out[a.slice(2) as "state" | "server" | "postgres" | "token"] = v;
    } else if (a === "--json") {
      out.json = true;
    } else if (sub === "show" && (a === "--check" || a === "--redaction-key")) {
      const v = rest[++i];
      if (v === undefined) return `${a} needs a value`;
      if (a === "--redaction-key") out.redactionKey = v;
      else {
        const eq = v.indexOf("=");
        if (eq <= 0) return "--check takes FIELD=JSON";
        try {
          out.checks.push({ field: v.slice(0, eq), value: JSON.parse(v.slice(eq + 1)) as JsonValue });
        } catch {
          return `--check ${v.slice(0, eq)}: the value must be JSON (quote a string: '"text"')`;
        }
      }
    } else if (sub === "show" && out.id === undefined && !a.startsWith("-")) {
      out.id = a;
    } else {
      return `unknown option \`${a}\``;
    }
  }
  if ([out.state, out.server, out.postgres].filter((x) => x !== undefined).length !== 1) return "give one of --state DIR, --server URL, --postgres URL";
  if (sub === "show" && out.id === undefined) return "give the request ID";
  if ((out.checks.length > 0 || out.redactionKey !== undefined) && out.server !== undefined) return "--check reads the receipts themselves: give --state DIR or --postgres URL (the service reveals values to whom it may)";
  if (out.checks.length > 0 && out.postgres !== undefined && out.redactionKey === undefined) return "--check with --postgres needs the fleet's redaction key: --redaction-key FILE";
  return out;
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parse(argv);
  if (typeof args === "string") return usageExit(io, "approvals", args, USAGE);
  if (args.server !== undefined) return fromServer({ url: args.server, token: tokenFrom(args.token) }, args, io);
  const opened = await openApprovalsStore(args.postgres !== undefined ? { postgres: args.postgres } : { state: args.state! }, "approvals", io);
  if (typeof opened === "number") return opened;
  const store = opened.store;
  try {
    const now = Date.now();
    const open = (await store.openRequests(now)).map((s) => requestInfo(s, now));
    if (args.sub === "show") {
      const found = open.find((r) => r.request.id === args.id);
      if (found === undefined) {
        io.stderr(`xpol approvals: XP5011: no open approval request \`${args.id}\` in \`${args.state ?? "the fleet's database"}\``);
        return ExitCode.findings;
      }
      const opened = args.state !== undefined ? await openingReceipt(resolve(io.cwd, args.state), found.request.id) : await openingReceiptInFleet(args.postgres!, found.request.id, io);
      if (typeof opened === "number") return opened;
      const action = opened === null ? null : masked(opened);
      io.stdout(args.json ? JSON.stringify({ request: requestInfoToJson(found), ...(action !== null ? { action } : {}) }, null, 2) : formatRequest(found) + formatAction(action));
      if (args.checks.length === 0) return ExitCode.ok;
      return checkClaims(args, opened, io);
    }
    if (args.json) {
      io.stdout(JSON.stringify(open.map(requestInfoToJson), null, 2));
    } else {
      io.stdout(open.length === 0 ? "no open approval requests" : open.map(formatRequest).join("\n\n"));
    }
    return ExitCode.ok;
  } finally {
    await store.close().catch(() => undefined);
  }
}

async function fromServer(target: ServerTarget, args: Args, io: CliIO): Promise<number> {
  const answer = await callServer(target, "GET", args.sub === "list" ? "v1/approvals" : `v1/approvals/${encodeURIComponent(args.id!)}`);
  if (!answer.ok) {
    io.stderr(`xpol approvals: ${answer.message}`);
    return answer.status === 0 ? ExitCode.unreadable : ExitCode.findings;
  }
  if (args.sub === "list") {
    const list = ((answer.json as { approvals?: JsonObject[] }).approvals ?? []) as JsonObject[];
    if (args.json) io.stdout(JSON.stringify(list, null, 2));
    else io.stdout(list.length === 0 ? "no open approval requests" : list.map((r) => formatRequestJson(r) + formatAction(r["action"])).join("\n\n"));
    return ExitCode.ok;
  }
  const shown = answer.json as { request: JsonObject; action: unknown };
  io.stdout(args.json ? JSON.stringify(shown, null, 2) : formatRequestJson(shown.request) + formatAction(shown.action));
  return ExitCode.ok;
}

/** The canonical action as the receipt recorded it (sensitive fields masked), indented under the request. */
function formatAction(action: unknown): string {
  if (typeof action !== "object" || action === null) return "";
  return "\n  canonical action (sensitive fields masked):\n" + JSON.stringify(maskCommitments(action as JsonValue), null, 2).split("\n").map((l) => "    " + l).join("\n");
}

const MASK = "‹sensitive›";

/** A keyed commitment shown as what it stands for: a value only the requester and the tool see. */
function maskCommitments(v: JsonValue): JsonValue {
  if (typeof v === "string") return v.startsWith(SENSITIVE_COMMITMENT_PREFIX) ? MASK : v;
  if (Array.isArray(v)) return v.map(maskCommitments);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskCommitments(x)]));
  return v;
}

/** The body of the receipt that opened request `id` (it records the action), or null when the log has none. */
async function openingReceipt(dir: string, id: string): Promise<JsonObject | null> {
  for await (const item of readReceipts(dir)) {
    if (!item.ok) return null;
    const body = item.receipt.body;
    const req = body["request"];
    if (req !== null && typeof req === "object" && !Array.isArray(req) && (req as JsonObject)["id"] === id && typeof body["ir"] === "object") return body;
  }
  return null;
}

/**
 * The body of the receipt that opened request `id` in any chain of the fleet's database (the chains written out to a
 * temporary directory, each read as a log), or null; an exit code when the database cannot be read.
 */
async function openingReceiptInFleet(url: string, id: string, io: CliIO): Promise<JsonObject | null | number> {
  const pg = await loadPostgres();
  if (!pg.ok) {
    io.stderr(`xpol approvals: ${pg.error}`);
    return ExitCode.unreadable;
  }
  const tmp = await mkdtemp(join(tmpdir(), "xpol-approvals-"));
  try {
    const exported = await pg.value.exportChains(url, tmp);
    for (const c of exported.chains) {
      const body = await openingReceipt(join(tmp, c.dir), id);
      if (body !== null) return body;
    }
    return null;
  } catch (e: unknown) {
    io.stderr(`xpol approvals: cannot read the fleet's receipts: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.unreadable;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The recorded action with each committed field (`body.redaction.fields`) masked. */
function masked(body: JsonObject): JsonObject | null {
  const ir = body["ir"];
  if (ir === null || typeof ir !== "object" || Array.isArray(ir)) return null;
  return maskCommitments(ir) as JsonObject;
}

/** `--check FIELD=JSON`: the key holder checks claimed values against the receipt that opened the request. */
async function checkClaims(args: Args, opened: JsonObject | null, io: CliIO): Promise<number> {
  if (opened === null) {
    io.stderr(`xpol approvals: the receipt that opened \`${args.id}\` is not in \`${args.state ?? "the fleet's chains"}\`: nothing to check against`);
    return ExitCode.findings;
  }
  const keyFile = resolve(io.cwd, args.redactionKey ?? join(args.state!, REDACTION_KEY_FILE));
  const key = await readRedactionKeyFile(keyFile);
  if (!key.ok) {
    io.stderr(`xpol approvals: ${key.error}`);
    return ExitCode.unreadable;
  }
  let all = true;
  for (const c of args.checks) {
    const r = checkSensitiveValue(opened, c.field, c.value, key.value);
    if (!r.ok) io.stderr(`xpol approvals: --check ${c.field}: ${r.error}`);
    else io.stdout(`  check:    \`${c.field}\` ${r.matches ? "matches" : "does NOT match"} the claimed value`);
    all &&= r.ok && r.matches;
  }
  return all ? ExitCode.ok : ExitCode.findings;
}
