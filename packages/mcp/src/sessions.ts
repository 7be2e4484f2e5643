// Sessions for 2025-era clients over Streamable HTTP (`--listen`). The SDK's `createMcpHandler` serves 2025-era
// traffic statelessly (no session id; GET and DELETE answered 405); a 2025-11-25 client expects the protocol's
// sessions: `initialize` answers an `Mcp-Session-Id`, later requests carry it, DELETE ends it. So 2025-era requests
// (the SDK's own `isLegacyRequest` classification) go to a sessionful SDK transport per session
// (`WebStandardStreamableHTTPServerTransport` with a session id generator: unknown id 404, missing id 400, as the
// SDK answers), and 2026-07-28 requests to `createMcpHandler` (stateless by design). A session is bound to the client
// that opened it (the bearer token's name): a request on it with another token is refused (403), so the actor a
// session's calls are decided for cannot change under it. A session idle for `idleMs` (default 30 min) is ended.
import { randomUUID } from "node:crypto";
import { isLegacyRequest, WebStandardStreamableHTTPServerTransport, type McpHttpHandler, type Server } from "@modelcontextprotocol/server";
import type { FetchLikeMcpHandler } from "@modelcontextprotocol/node";

type RequestOptions = Parameters<FetchLikeMcpHandler["fetch"]>[1];

interface Session {
  readonly server: Server;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  /** the token name of the client that opened it (null without --tokens) */
  readonly client: string | null;
  /** when a request last came for it (ms) */
  used: number;
}

/** The JSON-RPC error answer the SDK's transport writes. */
function jsonError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}

export class SessionHandler implements FetchLikeMcpHandler {
  readonly #sessions = new Map<string, Session>();
  readonly #sweep: NodeJS.Timeout;

  constructor(
    /** a fresh Server for one session */
    readonly newServer: () => Server,
    /** serves the 2026-07-28 era (`createMcpHandler` with `legacy: "reject"`) */
    readonly modern: McpHttpHandler,
    readonly onerror: (e: Error) => void,
    /** a session no request came for in this long (ms) is ended: a client that vanished leaves nothing behind */
    readonly idleMs: number = 30 * 60_000,
  ) {
    this.#sweep = setInterval(() => this.#endIdle(), Math.min(idleMs, 60_000));
    this.#sweep.unref();
  }

  #endIdle(): void {
    const now = Date.now();
    for (const [id, s] of this.#sessions) {
      if (now - s.used < this.idleMs) continue;
      this.#sessions.delete(id);
      void s.server.close().catch(() => undefined);
    }
  }

  /** Sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  fetch = async (request: Request, options?: RequestOptions): Promise<Response> => {
    if (!(await isLegacyRequest(request, options?.parsedBody))) return this.modern.fetch(request, options);
    const auth = options?.authInfo;
    const handle = { ...(auth !== undefined ? { authInfo: auth } : {}), ...(options?.parsedBody !== undefined ? { parsedBody: options.parsedBody } : {}) };
    const client = auth?.clientId ?? null;
    const id = request.headers.get("mcp-session-id");
    if (id !== null) {
      const s = this.#sessions.get(id);
      if (s === undefined) return jsonError(404, -32001, "Session not found");
      if (s.client !== client) return jsonError(403, -32000, "Forbidden: the session was opened by another client");
      s.used = Date.now();
      return s.transport.handleRequest(request, handle);
    }
    // no session id: a new session when this is an initialize; the transport answers anything else 400, as the SDK does
    const server = this.newServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => void this.#sessions.set(sid, { server, transport, client, used: Date.now() }),
      onsessionclosed: (sid) => void this.#sessions.delete(sid),
    });
    transport.onerror = this.onerror;
    await server.connect(transport);
    const answer = await transport.handleRequest(request, handle);
    if (transport.sessionId === undefined || !this.#sessions.has(transport.sessionId)) await server.close().catch(() => undefined);
    else {
      const sid = transport.sessionId;
      const closed = transport.onclose;
      transport.onclose = () => {
        this.#sessions.delete(sid);
        closed?.();
      };
    }
    return answer;
  };

  /** Ends every session and the modern handler. */
  async close(): Promise<void> {
    clearInterval(this.#sweep);
    const open = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(open.map((s) => s.server.close().catch(() => undefined)));
    await this.modern.close();
  }
}
