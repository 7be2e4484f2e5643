// The decisions: every `tools/call` and `resources/read` a client sends is decided by the policy serving now, through
// the core's one boundary function (`Enforcer.decideToolCall`; in this process, or in the remote `xpol serve` of
// `--server`: decider.ts), before anything reaches the upstream; the upstream then receives exactly the arguments the
// decision was made on (the frozen snapshot), never the client's.
// A resource read is decided as the tool `resources/read` with `{uri}` (a policy maps it: `tool "resources/read" ->
// ...`), so a file server's resources cannot bypass the rules its tools obey. Anything else is not governed here.
import type { DecideContext, JsonObject } from "execlayer";
import { ProtocolError, ProtocolErrorCode, type CallToolResult, type ReadResourceResult, type ServerContext } from "@modelcontextprotocol/server";
import type { Decided, Decider } from "./decider.ts";
import { deniedResult, pendingResult, type ApprovalLinks, type RequestView } from "./results.ts";
import { Upstream, UpstreamUnavailable, type Progress } from "./upstream.ts";
import type { CancelSignal } from "./upstream-stdio.ts";

/** The tool name a resource read is decided as (no MCP tool may be named so: `/` is not a tool-name character). */
export const RESOURCE_READ_TOOL = "resources/read";

export interface GovernorOptions {
  /** hold a call that needs approval open this long (ms) while approvers sign; null answers at once */
  readonly waitMs: number | null;
  /** while waiting: a progress notification at least this often (ms; default 10 s) */
  readonly heartbeatMs?: number;
}

/** What a call needs of the request it answers: its cancellation, and a way to tell the client of progress. */
export interface CallContext {
  readonly signal: CancelSignal;
  /** sends a progress notification to the client; undefined when the client asked for none */
  readonly progress: ((p: Progress) => void) | undefined;
}

/** The call context of a request the SDK's Server dispatched. */
export function callContextOf(ctx: ServerContext): CallContext {
  const token = ctx.mcpReq._meta?.progressToken;
  return {
    signal: ctx.mcpReq.signal,
    progress: token === undefined ? undefined : (p) => void ctx.mcpReq.notify({ method: "notifications/progress", params: { ...p, progressToken: token } }).catch(() => undefined),
  };
}

/** How a result names the call it answers (made only for a result the proxy writes, not per forwarded call). */
const callText = (name: string): string => `the call to \`${name}\``;

export class Governor {
  constructor(
    readonly decider: Decider,
    readonly upstream: Upstream,
    readonly options: GovernorOptions,
  ) {}

  /** Where approvers see and sign a request: the approval console of the decision service, and its API. */
  approvalLinks(id: string): ApprovalLinks {
    return this.decider.approvalLinks(id);
  }

  /** Decides one tools/call and forwards it only when allowed, with the decided arguments. Never throws for a refusal. */
  async callTool(params: { name: string; arguments?: Record<string, unknown> | undefined }, who: DecideContext, ctx: CallContext): Promise<CallToolResult> {
    const name = params.name;
    if (name === RESOURCE_READ_TOOL) {
      // decided as what it claims to be, a tool call; never forwarded (no upstream tool has this name)
      const d = await this.#decide(`tools/call ${name}`, params.arguments ?? {}, who);
      return deniedResult(callText(name), d.decision.effect === "deny" ? d.decision : { ...d.decision, effect: "deny", reasons: [`\`${name}\` is reserved for resource reads`] });
    }
    let r = await this.#decide(name, params.arguments ?? {}, who);
    const opened = r.decision.request;
    if (r.decision.effect === "require_approval" && this.options.waitMs !== null && opened !== undefined && r.args !== null) {
      const waited = await this.#waitForApproval(name, r.args, opened, who, ctx);
      if ("stopped" in waited) return pendingResult(callText(name), { ...r.decision, request: waited.stopped }, this.approvalLinks(opened.id), true);
      r = waited;
    }
    const d = r.decision;
    if (d.effect === "allow" && r.args !== null) {
      try {
        return await this.upstream.callTool(name, r.args as Record<string, unknown>, ctx.signal, ctx.progress);
      } catch (e: unknown) {
        throw upstreamError(e, this.upstream.timeoutMs);
      }
    }
    if (d.effect === "require_approval") return pendingResult(callText(name), d, d.request !== undefined ? this.approvalLinks(d.request.id) : null, false);
    return deniedResult(callText(name), d);
  }

  /** Decides one resources/read; a refusal is a JSON-RPC error naming the reason, the code and the receipt. */
  async readResource(params: { uri: string }, who: DecideContext, ctx: ServerContext): Promise<ReadResourceResult> {
    const r = await this.#decide(RESOURCE_READ_TOOL, { uri: params.uri }, who);
    const d = r.decision;
    if (d.effect === "allow" && r.args !== null && typeof r.args["uri"] === "string") {
      const uri = r.args["uri"];
      try {
        return await this.upstream.forward((c, o) => c.readResource({ uri }, { ...o, cacheMode: "bypass" }), ctx.mcpReq.signal);
      } catch (e: unknown) {
        throw upstreamError(e, this.upstream.timeoutMs);
      }
    }
    const text = (d.effect === "require_approval" ? pendingResult(`reading \`${params.uri}\``, d, d.request !== undefined ? this.approvalLinks(d.request.id) : null, false) : deniedResult(`reading \`${params.uri}\``, d)).content;
    const message = text.map((c) => (c.type === "text" ? c.text : "")).join("\n");
    throw new ProtocolError(ProtocolErrorCode.InvalidRequest, message, { "dev.execlayer/decision": { effect: d.effect, code: d.code ?? null, reasons: [...d.reasons] } });
  }

  #decide(name: string, args: unknown, who: DecideContext): Promise<Decided> {
    return this.decider.decide(name, args, who);
  }

  /**
   * Holds the call while approvers sign (a progress notification on each change and every heartbeat, when the client
   * asked for progress). Once the request is settled the call is decided again on the same snapshot: approved runs
   * once (a second waiter for the same request is refused as a replay), vetoed or expired is denied. `stopped` (the
   * request as last seen) when the wait ended first: the client cancelled, the time is up, too many are waiting.
   */
  async #waitForApproval(name: string, args: JsonObject, first: RequestView, who: DecideContext, ctx: CallContext): Promise<Decided | { stopped: RequestView }> {
    const until = Math.min(Date.now() + (this.options.waitMs ?? 0), first.expiresAt);
    const heartbeat = this.options.heartbeatMs ?? 10_000;
    let seen = first;
    let step = 0;
    for (;;) {
      if (seen.status !== "pending") return this.#decide(name, args, who);
      const now = Date.now();
      if (now >= until || ctx.signal.aborted) return { stopped: seen };
      if (ctx.progress !== undefined) {
        const have = seen.progress.map((p) => `${p.approvedBy.length}/${p.quorum} ${p.group}`).join(", ");
        ctx.progress({ progress: ++step, message: `waiting for approval ${seen.id}${have !== "" ? ` (${have})` : ""}: ${this.approvalLinks(seen.id).console}` });
      }
      const next = await this.decider.watch(seen, Math.min(until, now + heartbeat), ctx.signal);
      if (next === null) return { stopped: seen };
      if ("failed" in next) return { decision: next.failed, args: null };
      seen = next;
    }
  }
}

/** An upstream failure as the error the client receives: the upstream's own JSON-RPC errors pass through. */
export function upstreamError(e: unknown, timeoutMs: number): ProtocolError {
  if (e instanceof ProtocolError) return e;
  if (e instanceof UpstreamUnavailable) return new ProtocolError(ProtocolErrorCode.InternalError, e.message);
  const message = e instanceof Error ? e.message : String(e);
  if (/timed? ?out/i.test(message)) return new ProtocolError(ProtocolErrorCode.InternalError, `the upstream MCP server did not answer within ${timeoutMs} ms`);
  return new ProtocolError(ProtocolErrorCode.InternalError, `the upstream MCP server failed: ${message}`);
}
