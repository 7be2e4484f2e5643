// xpol approvals list (--state DIR | --postgres URL) [--json]
//
// The open approval requests in a state directory (written by `xpol eval --state DIR` or an embedded Enforcer), or
// in the PostgreSQL state store of a fleet (@execlayer/postgres, loaded on demand): id, action, tier, what is
// required, who approved so far, expiry.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { RECEIPTS_FILE } from "../../receipts/scan.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { formatDuration } from "../../vocabulary/windows.ts";
import { requestInfo, type ApprovalRequestInfo } from "../../runtime/submit-approval.ts";
import { DurableStore } from "../../store/durable.ts";
import { StoreError } from "../../runtime/store.ts";
import { requestToJson, recordToJson } from "../../runtime/receipt-body.ts";
import type { StateStore } from "../../runtime/store.ts";
import type { Receipt } from "../../receipts/receipt.ts";
import type { RequestState } from "../../runtime/approvals.ts";
import { loadPostgres } from "../postgres.ts";

const USAGE = `usage: xpol approvals list (--state DIR | --postgres URL) [--json]

  --state DIR      the state directory of \`xpol eval --state\` or an embedded Enforcer
  --postgres URL   or the PostgreSQL state store of a fleet (needs @execlayer/postgres)
  --json           one JSON array of the open requests`;

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
    io.stderr(`xpol ${command}: ${err !== null ? `${err.code}: ` : ""}${e instanceof Error ? e.message : String(e)}`);
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
  const q = r.request;
  const lines = [`${q.id}  ${r.status}`, `  action:   ${q.actionType}${q.target !== null ? `  ${q.target}` : ""}`, `  tier:     ${q.tier ?? "(unclassified)"}`];
  for (const p of r.progress) {
    lines.push(`  requires: ${p.quorum} of ${p.group}; approved by ${p.approvedBy.length === 0 ? "nobody yet" : p.approvedBy.join(", ")} (${p.approvedBy.length}/${p.quorum})`);
  }
  const members = [...new Set(q.approvers.map((a) => `${a.name} (${a.group})`))];
  if (members.length > 0) lines.push(`  approvers: ${members.join(", ")}`);
  lines.push(`  created:  ${new Date(q.createdAt).toISOString()}`);
  lines.push(`  expires:  ${new Date(q.expiresAt).toISOString()} (within ${formatDuration(q.expiresAt - q.createdAt)})`);
  lines.push(`  digests:  action ${q.actionDigest}`);
  lines.push(`            policy ${q.policyDigest}`);
  return lines.join("\n");
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let state: string | undefined;
  let postgres: string | undefined;
  let json = false;
  const [sub, ...rest] = argv;
  if (sub === "-h" || sub === "--help") return usageExit(io, "approvals", "", USAGE);
  if (sub !== "list") return usageExit(io, "approvals", sub === undefined ? "missing subcommand" : `unknown subcommand \`${sub}\``, USAGE);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--state") {
      state = rest[++i];
      if (state === undefined) return usageExit(io, "approvals", "--state needs a directory", USAGE);
    } else if (a === "--postgres") {
      postgres = rest[++i];
      if (postgres === undefined) return usageExit(io, "approvals", "--postgres needs a database URL", USAGE);
    } else if (a === "--json") {
      json = true;
    } else {
      return usageExit(io, "approvals", `unknown option \`${a}\``, USAGE);
    }
  }
  if ((state === undefined) === (postgres === undefined)) return usageExit(io, "approvals", "give --state DIR or --postgres URL", USAGE);
  const opened = await openApprovalsStore(postgres !== undefined ? { postgres } : { state: state! }, "approvals", io);
  if (typeof opened === "number") return opened;
  const store = opened.store;
  try {
    const now = Date.now();
    const open = (await store.openRequests(now)).map((s) => requestInfo(s, now));
    if (json) {
      io.stdout(
        JSON.stringify(
          open.map((r) => ({ ...requestToJson(r.request), status: r.status, progress: r.progress, approvals: r.approvals.map(recordToJson) })),
          null,
          2,
        ),
      );
    } else {
      io.stdout(open.length === 0 ? "no open approval requests" : open.map(formatRequest).join("\n\n"));
    }
    return ExitCode.ok;
  } finally {
    await store.close().catch(() => undefined);
  }
}
