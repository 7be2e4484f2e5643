// The tools/call lane over stdio: once the client has settled on a 2025-era revision (initialize answered by the
// SDK), a plain tools/call (params with a string name, arguments absent or an object, nothing else) is decided and
// answered here instead of through the SDK's Server, whose per-request validation, context and dispatch were most of
// the proxy's own cost per call. It is decided by the same Governor, so every guarantee holds as on the SDK's path:
// nothing reaches the upstream without a decision that allowed it, with exactly the decided arguments. Anything else
// (other methods, a call with `_meta` such as a progress token, a malformed call, the 2026-07-28 era's enveloped
// requests) goes to the SDK, which answers it as before. A client's notifications/cancelled for a call on the lane
// aborts it here, and a cancelled call is not answered (as the SDK does).
import type { DecideContext } from "execlayer";
import { ProtocolErrorCode, type JSONRPCMessage } from "@modelcontextprotocol/server";
import type { Governor } from "./governor.ts";
import type { LineTransport, RawMessage } from "./stdio.ts";
import { Cancellation } from "./upstream-stdio.ts";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The lane's interceptor for `transport` (see LineTransport.intercept). */
export function toolCallLane(transport: LineTransport, governor: Governor, who: DecideContext): (m: RawMessage) => boolean {
  const inFlight = new Map<string | number, Cancellation>();
  return (m) => {
    if (!transport.legacy || m["jsonrpc"] !== "2.0") return false;
    const method = m["method"];
    if (method === "notifications/cancelled") {
      const p = m["params"];
      const id = isObject(p) ? p["requestId"] : undefined;
      const call = typeof id === "string" || typeof id === "number" ? inFlight.get(id) : undefined;
      if (call === undefined) return false;
      call.abort(new Error(isObject(p) && typeof p["reason"] === "string" ? p["reason"] : "cancelled by the client"));
      return true;
    }
    if (method !== "tools/call") return false;
    const id = m["id"];
    const params = m["params"];
    if ((typeof id !== "string" && typeof id !== "number") || inFlight.has(id) || !isObject(params)) return false;
    const name = params["name"];
    const args = params["arguments"];
    if (typeof name !== "string" || (args !== undefined && !isObject(args))) return false;
    for (const k in params) if (k !== "name" && k !== "arguments") return false;

    const cancel = new Cancellation();
    inFlight.set(id, cancel);
    const answer = (message: Record<string, unknown>): void => {
      inFlight.delete(id);
      if (!cancel.aborted) transport.deliver(message as JSONRPCMessage);
    };
    governor.callTool(args === undefined ? { name } : { name, arguments: args }, who, { signal: cancel, progress: undefined }).then(
      (result) => answer({ jsonrpc: "2.0", id, result }),
      (e: unknown) => {
        const code = isObject(e) && Number.isSafeInteger(e["code"]) ? (e["code"] as number) : ProtocolErrorCode.InternalError;
        const data = isObject(e) ? e["data"] : undefined;
        // the 2025 era has no -32002 (the SDK's codec sends it as -32602)
        const error = { code: code === -32002 ? -32602 : code, message: e instanceof Error ? e.message : "Internal error", ...(data !== undefined ? { data } : {}) };
        answer({ jsonrpc: "2.0", id, error });
      },
    );
    return true;
  };
}
