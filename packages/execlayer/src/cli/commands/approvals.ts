// xpol approvals list --state DIR [--json]
//
// The open approval requests in a state directory (written by `xpol eval --state DIR` or an embedded Enforcer):
// id, action, tier, what is required, who approved so far, expiry.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { RECEIPTS_FILE } from "../../receipts/scan.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { formatDuration } from "../../vocabulary/windows.ts";
import { requestInfo, requestInfoToJson, type ApprovalRequestInfo } from "../../runtime/submit-approval.ts";
import { DurableStore } from "../../store/durable.ts";
import { StoreError } from "../../runtime/store.ts";

const USAGE = `usage: xpol approvals list --state DIR [--json]

  --state DIR   the state directory of \`xpol eval --state\` or an embedded Enforcer
  --json        one JSON array of the open requests`;

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
  let json = false;
  const [sub, ...rest] = argv;
  if (sub === "-h" || sub === "--help") return usageExit(io, "approvals", "", USAGE);
  if (sub !== "list") return usageExit(io, "approvals", sub === undefined ? "missing subcommand" : `unknown subcommand \`${sub}\``, USAGE);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--state") {
      state = rest[++i];
      if (state === undefined) return usageExit(io, "approvals", "--state needs a directory", USAGE);
    } else if (a === "--json") {
      json = true;
    } else {
      return usageExit(io, "approvals", `unknown option \`${a}\``, USAGE);
    }
  }
  if (state === undefined) return usageExit(io, "approvals", "give --state DIR", USAGE);
  const store = await openState(state, "approvals", io);
  if (typeof store === "number") return store;
  try {
    const now = Date.now();
    const open = (await store.openRequests(now)).map((s) => requestInfo(s, now));
    if (json) {
      io.stdout(JSON.stringify(open.map(requestInfoToJson), null, 2));
    } else {
      io.stdout(open.length === 0 ? "no open approval requests" : open.map(formatRequest).join("\n\n"));
    }
    return ExitCode.ok;
  } finally {
    await store.close().catch(() => undefined);
  }
}
