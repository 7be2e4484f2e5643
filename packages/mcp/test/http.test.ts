// Streamable HTTP on both sides: `--listen` serves MCP clients of both protocol eras (a 2025-11-25 client with
// initialize, a 2026-07-28 client pinned to server/discover and the per-request envelope) from one endpoint, and
// `--upstream URL` proxies the "everything" reference server from npm running its own Streamable HTTP transport.
// Bearer tokens name the client, and the identity file maps each to its actor. With `--wait`, a call that needs two
// signatures is held open (progress notifications) while the approvers sign, then runs exactly once; a replay is
// refused. resources/read is decided like a tool: a resource outside the allowed URIs is refused.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { formatPublicKey } from "execlayer";
import { hashToken } from "@execlayer/server";
import { startProxy, type RunningProxy } from "@execlayer/mcp";
import { EVERYTHING_SERVER, alice, aliceSigner, bob, bobSigner, getJson, postJson, scratch, signFor, textOf } from "./helpers.ts";

const POLICY = `policy everything_agent version "1.0.0"

actor {
  agent: string
}

group leads {
  alice: "${formatPublicKey(alice.publicKey)}"
  bob: "${formatPublicKey(bob.publicKey)}"
}

action demo.echo {
  message: string
}
tier demo.echo = T0

action demo.sum {
  a: double
  b: double
}
tier demo.sum = T3

// mapped, but no rule can allow it: --hide-denied leaves it out of tools/list
action demo.toggle {}
tier demo.toggle = T1

tool "toggle-simulated-logging" -> demo.toggle {}

rule no_toggles on demo.toggle {
  deny
}

action mcp.resource_read {
  uri: string
}
tier mcp.resource_read = T0

tool echo -> demo.echo {
  message: args.message
}

tool "get-sum" -> demo.sum {
  a: double(args.a)
  b: double(args.b)
}

tool "resources/read" -> mcp.resource_read {
  target: args.uri
  uri: args.uri
}

rule echo_for_the_assistant on demo.echo {
  when actor.agent == "assistant"
  allow
}

rule sums_need_two_leads on demo.sum {
  require approval 2 of leads within 1h
}

rule static_documents on mcp.resource_read {
  when action.uri.startsWith("demo://resource/static/")
  allow
}
`;

let tmp: ReturnType<typeof scratch>;
let everything: ChildProcess;
let proxy: RunningProxy;
const clients: Client[] = [];
const TOKENS = { assistant: "tok-assistant-0123456789", intern: "tok-intern-0123456789" };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function connect(token: string, era: "legacy" | "modern"): Promise<Client> {
  const client = new Client({ name: `test-${era}`, version: "1.0.0" }, era === "modern" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {});
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.mcpUrl!), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  tmp = scratch();
  writeFileSync(path.join(tmp.dir, "policy.xpol"), POLICY);
  writeFileSync(
    path.join(tmp.dir, "tokens.json"),
    JSON.stringify({
      tokens: [
        { name: "assistant", sha256: hashToken(TOKENS.assistant), roles: ["agent"] },
        { name: "intern", sha256: hashToken(TOKENS.intern), roles: ["agent"] },
        { name: "approvals", sha256: hashToken("tok-approver-0123456789"), roles: ["approver", "auditor", "admin"] },
      ],
    }),
  );
  const port = await freePort();
  everything = spawn(process.execPath, [EVERYTHING_SERVER, "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let err = "";
    everything.stderr!.on("data", (c: Buffer) => {
      err += c.toString();
      if (err.includes("listening on port")) resolve();
    });
    everything.on("exit", () => reject(new Error(`the everything server exited: ${err}`)));
  });
  proxy = await startProxy({
    policies: ["policy.xpol"],
    cwd: tmp.dir,
    state: "state",
    durability: "none",
    upstream: { kind: "http", url: `http://127.0.0.1:${port}/mcp` },
    identities: { default: {}, clients: new Map([["assistant", { actor: { agent: "assistant" } }], ["intern", { actor: { agent: "intern" } }]]) },
    listen: "127.0.0.1:0",
    tokensFile: "tokens.json",
    hideDenied: true,
    waitMs: 30_000,
    heartbeatMs: 200,
    watch: false,
    log: () => undefined,
  });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await proxy?.close();
  everything?.kill();
  tmp?.remove();
});

const auth = { authorization: "Bearer tok-approver-0123456789" };

describe("xpol mcp over Streamable HTTP, in front of the everything server's own Streamable HTTP", () => {
  it("serves a 2025-11-25 client and a 2026-07-28 client from one endpoint; --hide-denied lists only tools a rule can allow", async () => {
    const legacy = await connect(TOKENS.assistant, "legacy");
    const modern = await connect(TOKENS.assistant, "modern");
    expect(legacy.getProtocolEra()).toBe("legacy");
    expect(legacy.getNegotiatedProtocolVersion()).toBe("2025-11-25");
    expect(modern.getProtocolEra()).toBe("modern");
    expect(modern.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    for (const c of [legacy, modern]) {
      const names = (await c.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual(["echo", "get-sum"]);
    }
  });

  it("decides per client: the token's actor, never the request's; without a token, 401", async () => {
    const [legacy, modern] = clients;
    for (const c of [legacy!, modern!]) {
      const r = await c.callTool({ name: "echo", arguments: { message: "hello" } });
      expect(r.isError).not.toBe(true);
      expect(textOf(r)).toContain("hello");
    }
    const intern = await connect(TOKENS.intern, "modern");
    const denied = await intern.callTool({ name: "echo", arguments: { message: "hello" }, _meta: { actor: { agent: "assistant" } } });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toContain("ExecLayer denied the call to `echo`");
    const anonymous = await fetch(proxy.mcpUrl!, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{}" });
    expect(anonymous.status).toBe(401);
  });

  it("resources/read is decided: a static document is read, a dynamic resource is refused with the reason", async () => {
    const modern = clients[1]!;
    const before = proxy.upstream.forwarded;
    const doc = await modern.readResource({ uri: "demo://resource/static/document/architecture.md" });
    expect(doc.contents.length).toBeGreaterThan(0);
    await expect(modern.readResource({ uri: "demo://resource/dynamic/text/1" })).rejects.toThrow(/ExecLayer denied reading `demo:\/\/resource\/dynamic\/text\/1`: no rule allows/);
    expect(proxy.upstream.forwarded - before).toBe(1);
  });

  it("--wait holds a call needing two signatures open with progress, runs it once when both sign; a replay is refused", async () => {
    const modern = clients[1]!;
    const progress: string[] = [];
    const before = proxy.upstream.forwarded;
    const call = modern.callTool({ name: "get-sum", arguments: { a: 2, b: 40 } }, { onprogress: (p) => void progress.push(p.message ?? ""), timeout: 60_000 });
    // the approvers find the request in the approvals API and sign it
    let request: { id: string; action_digest: string; policy_digest: string } | undefined;
    for (let i = 0; i < 100 && request === undefined; i++) {
      const list = (await getJson(`${proxy.approvalsUrl}/v1/approvals`, auth)) as { approvals: { id: string; action_digest: string; policy_digest: string; action_type: string }[] };
      request = list.approvals.find((a) => a.action_type === "demo.sum");
      if (request === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(request).toBeDefined();
    expect(proxy.upstream.forwarded).toBe(before);
    for (const signer of [aliceSigner, bobSigner]) {
      expect((await postJson(`${proxy.approvalsUrl}/v1/approvals/${request!.id}/signatures`, signFor(signer, request!), auth)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
    }
    const ran = await call;
    expect(ran.isError).not.toBe(true);
    expect(textOf(ran)).toContain("42");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toContain(`waiting for approval ${request!.id}`);
    expect(proxy.upstream.forwarded - before).toBe(1);

    const replay = await modern.callTool({ name: "get-sum", arguments: { a: 2, b: 40 } });
    expect(replay.isError).toBe(true);
    expect(textOf(replay)).toMatch(/ExecLayer denied the call to `get-sum`/);
    expect(proxy.upstream.forwarded - before).toBe(1);
  });
});
