// Sessions over Streamable HTTP for protocol 2025-11-25 clients (`--listen`): the SDK's own client initializes and
// gets an `Mcp-Session-Id`; later requests must carry it (missing: 400, unknown: 404, as the SDK's transport
// answers); DELETE ends the session; a session stays bound to the bearer token that opened it (another token on the
// same session: 403, nothing forwarded). The 2026-07-28 era stays stateless. In front of the reference filesystem
// server behind a wire tap that logs every request it receives.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { hashToken } from "@execlayer/server";
import { startProxy, type RunningProxy } from "@execlayer/mcp";
import { FILESYSTEM_SERVER, TAP, filesystemWorkspace, tapped, textOf, type scratch } from "./helpers.ts";

const TOKENS = { coder: "tok-coder-0123456789abcdef", intern: "tok-intern-0123456789abcdef" };

let tmp: ReturnType<typeof scratch>;
let ws: string;
let tapLog: string;
let proxy: RunningProxy;
const clients: Client[] = [];

const toolCalls = (): string[] => tapped(tapLog).filter((l) => l.startsWith("tools/call"));

async function connect(token: string, era: "legacy" | "modern"): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: `test-${era}`, version: "1.0.0" }, era === "modern" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {});
  const transport = new StreamableHTTPClientTransport(new URL(proxy.mcpUrl!), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

/** A raw 2025-11-25 POST of one JSON-RPC message, with the session id when given. */
async function post(token: string, sessionId: string | null, message: unknown): Promise<Response> {
  return fetch(proxy.mcpUrl!, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${token}`,
      "mcp-protocol-version": "2025-11-25",
      ...(sessionId !== null ? { "mcp-session-id": sessionId } : {}),
    },
    body: JSON.stringify(message),
  });
}

const readCall = () => ({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "read_text_file", arguments: { path: path.join(ws, "notes.txt") } } });

beforeAll(async () => {
  ({ tmp, ws } = filesystemWorkspace({ "notes.txt": "line one\nline two\n" }));
  writeFileSync(
    path.join(tmp.dir, "tokens.json"),
    JSON.stringify({ tokens: Object.entries(TOKENS).map(([name, t]) => ({ name, sha256: hashToken(t), roles: ["agent"] })) }),
  );
  tapLog = path.join(tmp.dir, "tap.log");
  proxy = await startProxy({
    policies: ["policy.xpol"],
    cwd: tmp.dir,
    memory: true,
    upstream: { kind: "stdio", command: process.execPath, args: [TAP, tapLog, process.execPath, FILESYSTEM_SERVER, ws] },
    upstreamStderr: "ignore",
    // the coder's actor is the one the policy declares; the intern has none (the policy requires `agent`: denied)
    identities: { default: {}, clients: new Map([["coder", { actor: { agent: "coder" } }], ["intern", {}]]) },
    listen: "127.0.0.1:0",
    tokensFile: "tokens.json",
    watch: false,
    log: () => undefined,
  });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await proxy?.close();
  tmp?.remove();
});

describe("xpol mcp --listen: sessions for 2025-11-25 clients", () => {
  it("initialize answers a session id; the SDK's client uses it for its calls", async () => {
    const { client, transport } = await connect(TOKENS.coder, "legacy");
    expect(client.getNegotiatedProtocolVersion()).toBe("2025-11-25");
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const r = await client.callTool({ name: "read_text_file", arguments: { path: path.join(ws, "notes.txt") } });
    expect(r.isError).not.toBe(true);
    expect(textOf(r)).toContain("line two");
    expect(toolCalls()).toEqual(["tools/call read_text_file"]);
    // two clients, two sessions
    const other = await connect(TOKENS.coder, "legacy");
    expect(other.transport.sessionId).toBeDefined();
    expect(other.transport.sessionId).not.toBe(transport.sessionId);
  });

  it("a request without the session id is 400, with an unknown one 404; nothing forwarded", async () => {
    const before = toolCalls().length;
    const missing = await post(TOKENS.coder, null, readCall());
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/not initialized|Mcp-Session-Id/);
    const unknown = await post(TOKENS.coder, "00000000-0000-4000-8000-000000000000", readCall());
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: number } }).error.code).toBe(-32001);
    expect(toolCalls().length).toBe(before);
  });

  it("a session stays bound to the token that opened it: another token on it is refused (403), the owner's goes through", async () => {
    const { transport } = await connect(TOKENS.coder, "legacy");
    const sid = transport.sessionId!;
    const before = toolCalls().length;
    const stolen = await post(TOKENS.intern, sid, readCall());
    expect(stolen.status).toBe(403);
    expect(((await stolen.json()) as { error: { message: string } }).error.message).toContain("opened by another client");
    expect(toolCalls().length).toBe(before);
    const owner = await post(TOKENS.coder, sid, readCall());
    expect(owner.status).toBe(200);
    expect(await owner.text()).toContain("line two");
    expect(toolCalls().length).toBe(before + 1);
    // the intern's own session decides for the intern's actor: denied, not forwarded
    const intern = await connect(TOKENS.intern, "legacy");
    const denied = await intern.client.callTool({ name: "read_text_file", arguments: { path: path.join(ws, "notes.txt") } });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain("ExecLayer denied the call to `read_text_file`");
    expect(toolCalls().length).toBe(before + 1);
  });

  it("DELETE ends the session: its id is unknown afterwards (404)", async () => {
    const { transport } = await connect(TOKENS.coder, "legacy");
    const sid = transport.sessionId!;
    expect((await post(TOKENS.coder, sid, { jsonrpc: "2.0", id: 1, method: "ping" })).status).toBe(200);
    // another client cannot end it
    const foreign = await fetch(proxy.mcpUrl!, { method: "DELETE", headers: { authorization: `Bearer ${TOKENS.intern}`, "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" } });
    expect(foreign.status).toBe(403);
    await transport.terminateSession();
    expect(transport.sessionId).toBeUndefined();
    const after = await post(TOKENS.coder, sid, { jsonrpc: "2.0", id: 2, method: "ping" });
    expect(after.status).toBe(404);
  });

  it("a session no request came for in --session-idle is ended (404 afterwards)", async () => {
    const idle = await startProxy({
      policies: ["policy.xpol"],
      cwd: tmp.dir,
      memory: true,
      upstream: { kind: "stdio", command: process.execPath, args: [FILESYSTEM_SERVER, ws] },
      upstreamStderr: "ignore",
      identities: { default: { actor: { agent: "coder" } }, clients: new Map() },
      listen: "127.0.0.1:0",
      sessionIdleMs: 300,
      watch: false,
      log: () => undefined,
    });
    try {
      const transport = new StreamableHTTPClientTransport(new URL(idle.mcpUrl!));
      const client = new Client({ name: "idle", version: "1.0.0" });
      await client.connect(transport);
      const sid = transport.sessionId!;
      const ping = (id: number) =>
        fetch(idle.mcpUrl!, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25", "mcp-session-id": sid }, body: JSON.stringify({ jsonrpc: "2.0", id, method: "ping" }) });
      expect((await ping(1)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 800));
      expect((await ping(2)).status).toBe(404);
      await client.close().catch(() => undefined);
    } finally {
      await idle.close();
    }
  });

  it("a 2026-07-28 client stays stateless: no session id, calls decided per request", async () => {
    const { client, transport } = await connect(TOKENS.coder, "modern");
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    expect(transport.sessionId).toBeUndefined();
    const before = toolCalls().length;
    const r = await client.callTool({ name: "read_text_file", arguments: { path: path.join(ws, "notes.txt") } });
    expect(textOf(r)).toContain("line two");
    expect(toolCalls().length).toBe(before + 1);
  });
});
