// xpol approve (--state DIR | --postgres URL) --request ID --key NAME.key [--reject] [--json]
//
// Signs an approval (or, with --reject, a veto) of request ID with the private key in NAME.key (`xpol keygen`) and
// submits it to the state directory, or to the PostgreSQL state store of a fleet (@execlayer/postgres). The request records its approvers, so no policy is needed. Exit 0 when the
// approval counted, 1 when it was refused (the message says exactly why), 2 on bad usage, 3 when a file cannot be
// read.
import { resolve } from "node:path";
import { Diagnostics } from "../../diagnostics/catalogue.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { readPrivateKeyFile } from "../../receipts/keys.ts";
import { NobleSigner } from "../../receipts/signer.ts";
import { signApproval } from "../../runtime/approvals.ts";
import { submitApprovalTo } from "../../runtime/submit-approval.ts";
import { formatRequest, openApprovalsStore } from "./approvals.ts";
import { recordToJson } from "../../runtime/receipt-body.ts";

const USAGE = `usage: xpol approve (--state DIR | --postgres URL) --request ID --key NAME.key [--reject] [--json]

  --state DIR     the state directory holding the request
  --postgres URL  or the PostgreSQL state store holding it (needs @execlayer/postgres)
  --request ID    the request to sign (see \`xpol approvals list --state DIR\`)
  --key FILE      your private key file (\`xpol keygen --out NAME\` writes NAME.key)
  --reject        sign a rejection: it vetoes the request
  --json          print the outcome as one JSON object`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const opts: { state?: string; postgres?: string; request?: string; key?: string; reject: boolean; json: boolean } = { reject: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case "--state":
      case "--postgres":
      case "--request":
      case "--key": {
        const v = argv[++i];
        if (v === undefined) return usageExit(io, "approve", `${a} needs a value`, USAGE);
        opts[a.slice(2) as "state" | "postgres" | "request" | "key"] = v;
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
  if ((opts.state === undefined) === (opts.postgres === undefined) || opts.request === undefined || opts.key === undefined) {
    return usageExit(io, "approve", "give --state (or --postgres), --request and --key", USAGE);
  }
  const pair = await readPrivateKeyFile(resolve(io.cwd, opts.key));
  if (!pair.ok) {
    io.stderr(`xpol approve: ${pair.error}`);
    return pair.unreadable === true ? ExitCode.unreadable : ExitCode.findings;
  }
  const signer = new NobleSigner(pair.value);
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
