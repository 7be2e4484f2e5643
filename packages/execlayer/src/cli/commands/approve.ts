// xpol approve (--state DIR | --postgres URL) --request ID --key NAME.key [--reject] [--json]
// xpol approve --server URL --request ID --key NAME.key [--reject] [--json]
// xpol approve --server URL --signed FILE [--json]
//
// Signs an approval (or, with --reject, a veto) of request ID with the private key in NAME.key (`xpol keygen`) and
// submits it to the state directory, to the PostgreSQL state store of a fleet (@execlayer/postgres), or to a running
// `xpol serve` (the key stays here: the request is fetched, signed locally and the signature posted). `--signed FILE`
// submits an approval `xpol sign` made offline. The request records its approvers, so no policy is needed. Exit 0
// when the approval counted, 1 when it was refused (the message says exactly why), 2 on bad usage, 3 when a file
// cannot be read or the service cannot be reached.
import { resolve } from "node:path";
import { Diagnostics } from "../../diagnostics/catalogue.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { readPrivateKeyFile } from "../../receipts/keys.ts";
import { NobleSigner } from "../../receipts/signer.ts";
import { signApproval } from "../../runtime/approvals.ts";
import { submitApprovalTo } from "../../runtime/submit-approval.ts";
import { formatRequest, formatRequestJson, openApprovalsStore } from "./approvals.ts";
import { recordToJson } from "../../runtime/receipt-body.ts";
import { readFile } from "node:fs/promises";
import type { JsonObject } from "../../ir/types.ts";
import { callServer, tokenFrom, type ServerTarget } from "../server-client.ts";
import { requestFromJson } from "./sign.ts";

const USAGE = `usage: xpol approve (--state DIR | --server URL | --postgres URL) --request ID --key NAME.key [--reject] [--json]
       xpol approve --server URL --signed FILE [--json]

  --state DIR     the state directory holding the request
  --server URL    a running \`xpol serve\` holding the request (the key is used here, never sent)
  --postgres URL  the PostgreSQL state store holding it (needs @execlayer/postgres)
  --token TOKEN   the service's bearer token (default: the XPOL_TOKEN environment variable)
  --request ID    the request to sign (see \`xpol approvals list\`)
  --key FILE      your private key file (\`xpol keygen --out NAME\` writes NAME.key)
  --reject        sign a rejection: it vetoes the request
  --signed FILE   submit an approval signed offline by \`xpol sign\` (with --server)
  --json          print the outcome as one JSON object`;

interface Opts {
  state?: string;
  server?: string;
  postgres?: string;
  token?: string;
  request?: string;
  key?: string;
  signed?: string;
  reject: boolean;
  json: boolean;
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const opts: Opts = { reject: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case "--state":
      case "--server":
      case "--postgres":
      case "--token":
      case "--signed":
      case "--request":
      case "--key": {
        const v = argv[++i];
        if (v === undefined) return usageExit(io, "approve", `${a} needs a value`, USAGE);
        opts[a.slice(2) as "state" | "server" | "postgres" | "token" | "signed" | "request" | "key"] = v;
        break;
      }
      case "--reject":
        opts.reject = true;
        break;
      case "--json":
        opts.json = true;
        break;
      case "-h":
      case "--help":
        return usageExit(io, "approve", "", USAGE);
      default:
        return usageExit(io, "approve", `unknown argument \`${a}\``, USAGE);
    }
  }
  if ([opts.state, opts.server, opts.postgres].filter((x) => x !== undefined).length !== 1) return usageExit(io, "approve", "give one of --state DIR, --server URL, --postgres URL", USAGE);
  if (opts.signed !== undefined) {
    if (opts.server === undefined) return usageExit(io, "approve", "--signed goes with --server", USAGE);
    if (opts.key !== undefined || opts.request !== undefined || opts.reject) return usageExit(io, "approve", "--signed submits an approval as signed: no --key, --request or --reject", USAGE);
    return submitSigned({ url: opts.server, token: tokenFrom(opts.token) }, opts.signed, opts.json, io);
  }
  if (opts.request === undefined || opts.key === undefined) return usageExit(io, "approve", "give --request and --key", USAGE);
  const pair = await readPrivateKeyFile(resolve(io.cwd, opts.key));
  if (!pair.ok) {
    io.stderr(`xpol approve: ${pair.error}`);
    return pair.unreadable === true ? ExitCode.unreadable : ExitCode.findings;
  }
  const signer = new NobleSigner(pair.value);
  if (opts.server !== undefined) return approveOnServer({ url: opts.server, token: tokenFrom(opts.token) }, opts.request, signer, opts, io);
  const opened = await openApprovalsStore(opts.postgres !== undefined ? { postgres: opts.postgres } : { state: opts.state! }, "approve", io);
  if (typeof opened === "number") return opened;
  const store = opened.store;
  try {
    const now = Date.now();
    const state = await opened.requestById(opts.request, now);
    if (state === undefined) {
      const where = opts.postgres !== undefined ? "among the open requests" : `in \`${opts.state}\``;
      io.stderr(`xpol approve: ${Diagnostics.approvalUnknownRequest.code}: ${Diagnostics.approvalUnknownRequest.message(opts.request)} ${where} (see \`${opened.listHint}\`)`);
      return ExitCode.findings;
    }
    const signed = signApproval(signer, state.request, opts.reject ? "reject" : "approve", now);
    const outcome = await submitApprovalTo(store, signed, { now });
    if (opts.json) {
      io.stdout(
        JSON.stringify(
          outcome.accepted
            ? { accepted: true, request: opts.request, status: outcome.request.status, approvals: outcome.request.approvals.map(recordToJson), receipt: outcome.receipt?.seq ?? null }
            : { accepted: false, request: opts.request, error: outcome.error, receipt: outcome.receipt?.seq ?? null },
        ),
      );
    } else if (outcome.accepted) {
      const me = outcome.request.approvals.find((a) => a.approver === signer.keyId);
      io.stdout(`${opts.reject ? "rejection" : "approval"} by ${me?.member ?? signer.keyId} recorded\n\n${formatRequest(outcome.request)}`);
    } else {
      io.stderr(`xpol approve: refused, ${outcome.error.code}: ${outcome.error.message}`);
    }
    return outcome.accepted ? ExitCode.ok : ExitCode.findings;
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** Fetches the request from the service, signs it here, posts the signature. */
async function approveOnServer(target: ServerTarget, id: string, signer: NobleSigner, opts: Opts, io: CliIO): Promise<number> {
  const shown = await callServer(target, "GET", `v1/approvals/${encodeURIComponent(id)}`);
  if (!shown.ok) {
    io.stderr(`xpol approve: ${shown.message}`);
    return shown.status === 0 ? ExitCode.unreadable : ExitCode.findings;
  }
  const request = requestFromJson(shown.json);
  if (typeof request === "string") {
    io.stderr(`xpol approve: the service answered an unexpected request: ${request}`);
    return ExitCode.findings;
  }
  const signed = signApproval(signer, request, opts.reject ? "reject" : "approve", Date.now());
  return post(target, signed, opts.json, io);
}

async function submitSigned(target: ServerTarget, file: string, json: boolean, io: CliIO): Promise<number> {
  let signed: unknown;
  try {
    signed = JSON.parse(await readFile(resolve(io.cwd, file), "utf8"));
  } catch (e: unknown) {
    io.stderr(`xpol approve: cannot read \`${file}\`: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.unreadable;
  }
  return post(target, signed, json, io);
}

async function post(target: ServerTarget, signed: unknown, json: boolean, io: CliIO): Promise<number> {
  const id = (signed as { statement?: { request?: unknown } } | null)?.statement?.request;
  if (typeof id !== "string") {
    io.stderr("xpol approve: the signed approval names no request (`statement.request`)");
    return ExitCode.findings;
  }
  const answer = await callServer(target, "POST", `v1/approvals/${encodeURIComponent(id)}/signatures`, signed);
  if (!answer.ok) {
    if (json) io.stdout(JSON.stringify({ accepted: false, request: id, error: answer.message }));
    io.stderr(`xpol approve: refused, ${answer.message}`);
    return answer.status === 0 ? ExitCode.unreadable : ExitCode.findings;
  }
  const body = answer.json as { request: JsonObject; receipt: { seq: number } | null };
  if (json) {
    io.stdout(JSON.stringify({ accepted: true, request: id, status: body.request["status"], approvals: body.request["approvals"], receipt: body.receipt?.seq ?? null }));
  } else {
    const verdict = (signed as { statement: { verdict?: string } }).statement.verdict === "reject" ? "rejection" : "approval";
    io.stdout(`${verdict} recorded\n\n${formatRequestJson(body.request)}`);
  }
  return ExitCode.ok;
}
