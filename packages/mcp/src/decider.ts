// Who decides a call: the decision service in this process (`startServer`: the policy, the store, the approvals API),
// or a remote `xpol serve` (`--server URL`) that a fleet of proxies shares (its counters, approvals and receipts).
// Either way the Governor gets a DecisionView and the arguments the decision was made on, and never an exception:
// a remote service that is unreachable, slow, answers an error or something that does not parse is a deny naming
// the reason and the code (fail closed), and the call is never forwarded.
import { isDeepStrictEqual } from "node:util";
import { ServiceDiagnostics as D, type DecideContext, type JsonObject, type RequestStatus } from "execlayer";
import { consolePath, type RunningServer } from "@execlayer/server";
import { decisionView, requestView, type ApprovalLinks, type DecisionView, type RequestView } from "./results.ts";
import { abortSignalOf, type CancelSignal } from "./upstream-stdio.ts";

/** A decision and what the tool must run with (null when refused). */
export interface Decided {
  readonly decision: DecisionView;
  readonly args: JsonObject | null;
}

/** Waiting on a request stopped before it settled: null when too many are waiting; a deny when the service failed. */
export type Watched = RequestView | null | { readonly failed: DecisionView };

export interface Decider {
  /** where approvers see and sign request `id`: the console page, and the API's resource */
  approvalLinks(id: string): ApprovalLinks;
  /** decides one tool call; never throws */
  decide(name: string, args: unknown, who: DecideContext): Promise<Decided>;
  /** the request once its status is no longer `last.status`, or as it is at `untilMs` */
  watch(last: RequestView, untilMs: number, signal: CancelSignal): Promise<Watched>;
}

function linksAt(base: string, id: string): ApprovalLinks {
  return { console: `${base}${consolePath(id)}`, api: `${base}/v1/approvals/${encodeURIComponent(id)}` };
}

/** The decision service in this process. */
export class LocalDecider implements Decider {
  constructor(readonly service: Pick<RunningServer, "state" | "url">) {}

  approvalLinks(id: string): ApprovalLinks {
    return linksAt(this.service.url, id);
  }

  async decide(name: string, args: unknown, who: DecideContext): Promise<Decided> {
    const state = this.service.state;
    const r = await state.holder.enforcer.decideToolCall(name, args, who);
    state.book.noteDecision(r.decision);
    return { decision: decisionView(r.decision), args: r.args };
  }

  async watch(last: RequestView, untilMs: number): Promise<Watched> {
    const book = this.service.state.book;
    const now = (): RequestView => {
      const seen = book.lastSeen(last.id, Date.now());
      return seen === undefined ? last : requestView(seen);
    };
    const before = now();
    if (before.status !== last.status) return before;
    const woke = book.wait(last.id, untilMs, 1000);
    if (woke === false) return null;
    await woke;
    return now();
  }
}

export interface RemoteOptions {
  /** the service's base URL (`http://host:port`) */
  readonly url: string;
  /** the bearer token of a role that may decide (agent) */
  readonly token: string | null;
  /** ms a decision may take before the call is denied (default 10 s) */
  readonly timeoutMs?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const STATUSES: readonly RequestStatus[] = ["pending", "approved", "vetoed", "consumed", "expired"];
const EFFECTS: readonly DecisionView["effect"][] = ["allow", "deny", "require_approval"];

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/** An approval request as the service answers it (requestInfoToJson), or null when it does not have that shape. */
export function parseRequest(v: unknown): RequestView | null {
  if (!isObject(v)) return null;
  const { id, status, expires_at, approvers, progress } = v;
  const expiresAt = typeof expires_at === "string" ? Date.parse(expires_at) : NaN;
  if (typeof id !== "string" || !STATUSES.includes(status as RequestStatus) || Number.isNaN(expiresAt) || !Array.isArray(approvers) || !Array.isArray(progress)) return null;
  const who = approvers.filter((a): a is { name: string; group: string } => isObject(a) && typeof a["name"] === "string" && typeof a["group"] === "string");
  const have = progress.filter(
    (p): p is { group: string; quorum: number; approvedBy: string[] } =>
      isObject(p) && typeof p["group"] === "string" && typeof p["quorum"] === "number" && Array.isArray(p["approvedBy"]) && p["approvedBy"].every((x) => typeof x === "string"),
  );
  if (who.length !== approvers.length || have.length !== progress.length) return null;
  return { id, status: status as RequestStatus, expiresAt, approvers: who.map((a) => ({ name: a.name, group: a.group })), progress: have.map((p) => ({ group: p.group, quorum: p.quorum, approvedBy: [...p.approvedBy] })) };
}

/** A decision as `POST /v1/decisions` answers it, or a string saying what is wrong with it. */
export function parseDecision(v: unknown): DecisionView | string {
  if (!isObject(v)) return "the answer is not a JSON object";
  const { effect, tier, action_type, reasons, code, approval, receipt, request } = v;
  if (!EFFECTS.includes(effect as DecisionView["effect"])) return "the answer has no effect";
  if (!Array.isArray(reasons) || !reasons.every((r) => typeof r === "string")) return "the answer's reasons are not strings";
  if ((tier !== null && typeof tier !== "string") || (action_type !== null && typeof action_type !== "string")) return "the answer's tier or action type is not a string";
  if (code !== undefined && typeof code !== "string") return "the answer's code is not a string";
  const requirements: { group: string; quorum: number }[] = [];
  if (approval !== undefined) {
    const reqs = isObject(approval) ? approval["requirements"] : undefined;
    if (!Array.isArray(reqs)) return "the answer's approval has no requirements";
    for (const q of reqs) {
      if (!isObject(q) || typeof q["group"] !== "string" || typeof q["quorum"] !== "number") return "the answer's approval requirements are malformed";
      requirements.push({ group: q["group"], quorum: q["quorum"] });
    }
  }
  let rec: { seq: number; hash: string } | undefined;
  if (receipt !== null && receipt !== undefined) {
    if (!isObject(receipt) || typeof receipt["seq"] !== "number" || typeof receipt["hash"] !== "string") return "the answer's receipt is malformed";
    rec = { seq: receipt["seq"], hash: receipt["hash"] };
  }
  let req: RequestView | undefined;
  if (request !== undefined) {
    const r = parseRequest(request);
    if (r === null) return "the answer's approval request is malformed";
    req = r;
  }
  return {
    effect: effect as DecisionView["effect"],
    tier: tier as string | null,
    actionType: action_type as string | null,
    reasons,
    ...(code !== undefined ? { code } : {}),
    requirements,
    ...(rec !== undefined ? { receipt: rec } : {}),
    ...(req !== undefined ? { request: req } : {}),
  };
}

/** A remote `xpol serve`: `POST /v1/decisions`, and the approvals API's long-poll while a call waits. */
export class RemoteDecider implements Decider {
  readonly url: string;
  readonly timeoutMs: number;
  readonly #token: string | null;

  constructor(options: RemoteOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.#token = options.token;
  }

  approvalLinks(id: string): ApprovalLinks {
    return linksAt(this.url, id);
  }

  /** A deny the proxy decided because the service could not: nothing was forwarded, the service recorded nothing. */
  #failed(why: string, code: string = D.unavailable.code): Decided {
    return {
      decision: { effect: "deny", tier: null, actionType: null, reasons: [D.unavailable.message(`the decision service at ${this.url} ${why}`)], code, requirements: [], unrecorded: "the decision service recorded none" },
      args: null,
    };
  }

  /** GET or POST, as JSON, within `ms`; the parsed answer, or why there is none. */
  async #request(method: "GET" | "POST", path: string, body: string | undefined, ms: number, signal?: CancelSignal): Promise<{ ok: true; status: number; json: unknown } | { ok: false; why: string }> {
    const signals = [AbortSignal.timeout(ms)];
    if (signal !== undefined) signals.push(abortSignalOf(signal));
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: { accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(this.#token !== null ? { authorization: `Bearer ${this.#token}` } : {}) },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.any(signals),
      });
    } catch (e: unknown) {
      if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError") && signals[0]!.aborted) return { ok: false, why: `did not answer within ${ms} ms` };
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
      return { ok: false, why: `is unreachable (${e instanceof Error ? e.message : String(e)}${cause})` };
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e: unknown) {
      return { ok: false, why: signals[0]!.aborted ? `did not answer within ${ms} ms` : `broke off its answer (${e instanceof Error ? e.message : String(e)})` };
    }
    try {
      return { ok: true, status: res.status, json: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, why: `answered HTTP ${res.status} with something that is not JSON` };
    }
  }

  async decide(name: string, args: unknown, who: DecideContext): Promise<Decided> {
    // the snapshot the service decides on is the one forwarded: parsed from the very text sent, frozen
    let text: string;
    let sent: unknown;
    try {
      text = JSON.stringify(args ?? {});
      sent = deepFreeze(JSON.parse(text) as unknown);
    } catch (e: unknown) {
      return { decision: { effect: "deny", tier: null, actionType: null, reasons: [D.invalidRequest.message(`the arguments are not JSON: ${e instanceof Error ? e.message : String(e)}`)], code: D.invalidRequest.code, requirements: [], unrecorded: "not sent to the decision service" }, args: null };
    }
    const actor = who.actor !== undefined ? `,"actor":${JSON.stringify(who.actor)}` : "";
    const context = who.context !== undefined ? `,"context":${JSON.stringify(who.context)}` : "";
    const r = await this.#request("POST", "/v1/decisions", `{"tool":${JSON.stringify(name)},"args":${text}${actor}${context}}`, this.timeoutMs);
    if (!r.ok) return this.#failed(r.why);
    if (r.status !== 200) {
      const p = isObject(r.json) ? r.json : {};
      const detail = typeof p["detail"] === "string" ? `: ${p["detail"]}` : "";
      return this.#failed(`answered HTTP ${r.status}${detail}`, typeof p["code"] === "string" ? p["code"] : D.unavailable.code);
    }
    const d = parseDecision(r.json);
    if (typeof d === "string") return this.#failed(`answered something that is not a decision (${d})`);
    if (d.effect === "deny") return { decision: d, args: null };
    // an allow (or a request to approve) is for exactly the arguments sent: anything else is not what was decided on
    if (!isObject(r.json) || !isDeepStrictEqual(r.json["args"], sent) || !isObject(sent)) return this.#failed(`${d.effect === "allow" ? "allowed" : "asked approval for"} arguments other than those the proxy sent`);
    return { decision: d, args: sent as JsonObject };
  }

  async watch(last: RequestView, untilMs: number, signal: CancelSignal): Promise<Watched> {
    const seconds = Math.max(1, Math.min(60, Math.ceil((untilMs - Date.now()) / 1000)));
    const r = await this.#request("GET", `/v1/approvals/${encodeURIComponent(last.id)}?wait=${seconds}&while=${last.status}`, undefined, seconds * 1000 + this.timeoutMs, signal);
    if (!r.ok) return signal.aborted ? null : { failed: this.#failed(r.why).decision };
    if (r.status === 429) return null;
    if (r.status !== 200) {
      const p = isObject(r.json) ? r.json : {};
      return { failed: this.#failed(`answered HTTP ${r.status} to the approval long-poll${typeof p["detail"] === "string" ? `: ${p["detail"]}` : ""}`, typeof p["code"] === "string" ? p["code"] : D.unavailable.code).decision };
    }
    const req = parseRequest(isObject(r.json) ? r.json["request"] : undefined);
    return req ?? { failed: this.#failed("answered the approval long-poll with something that is not a request").decision };
  }
}
