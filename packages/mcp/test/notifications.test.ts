// What the server sends on its own passes through: the everything server's simulated logging (a log message every
// 5 s once a tool turns it on) reaches the client through the proxy, and logging/setLevel is forwarded. The tool that
// turns it on is decided like any other. Over `--listen`, a 2025-11-25 client's session gets them on its GET stream.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { startProxy, type RunningProxy } from "@execlayer/mcp";
import { ACTOR, EVERYTHING_SERVER, RawPeer, scratch } from "./helpers.ts";

const POLICY = `policy logs version "1"

actor {
  agent: string
}

action demo.toggle_logging {}
tier demo.toggle_logging = T1

tool "toggle-simulated-logging" -> demo.toggle_logging {}

rule logging on demo.toggle_logging {
  allow
}
`;

let tmp: ReturnType<typeof scratch>;
let proxy: RunningProxy;
let peer: RawPeer;

beforeAll(async () => {
  tmp = scratch();
  writeFileSync(path.join(tmp.dir, "logs.xpol"), POLICY);
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  proxy = await startProxy({
    policies: ["logs.xpol"],
    cwd: tmp.dir,
    memory: true,
    upstream: { kind: "stdio", command: process.execPath, args: [EVERYTHING_SERVER, "stdio"] },
    identities: { default: { actor: ACTOR }, clients: new Map() },
    stdio: { stdin, stdout },
    watch: false,
    upstreamStderr: "ignore",
    log: () => undefined,
  });
  peer = new RawPeer(stdin, stdout);
  await peer.initialize();
});
afterAll(async () => {
  await proxy?.close();
  tmp?.remove();
});

describe("notifications from the server", () => {
  it("are relayed to the client; logging/setLevel is forwarded", async () => {
    expect((await peer.request(1, "logging/setLevel", { level: "debug" }))["result"]).toEqual({});
    const on = await peer.request(2, "tools/call", { name: "toggle-simulated-logging", arguments: {} });
    expect(JSON.stringify(on["result"])).toContain("Started simulated");
    const until = Date.now() + 20_000;
    while (Date.now() < until && !peer.messages.some((m) => m["method"] === "notifications/message")) await new Promise((r) => setTimeout(r, 200));
    const log = peer.messages.find((m) => m["method"] === "notifications/message");
    expect(log).toBeDefined();
    expect((log!["params"] as { level: string }).level).toMatch(/^(debug|info|notice|warning|error|critical|alert|emergency)$/);
  });
});

describe("notifications from the server, over --listen", () => {
  it("reach a 2025-11-25 client's session on its GET stream", async () => {
    const http = await startProxy({
      policies: ["logs.xpol"],
      cwd: tmp.dir,
      memory: true,
      upstream: { kind: "stdio", command: process.execPath, args: [EVERYTHING_SERVER, "stdio"] },
      identities: { default: { actor: ACTOR }, clients: new Map() },
      listen: "127.0.0.1:0",
      watch: false,
      upstreamStderr: "ignore",
      log: () => undefined,
    });
    const client = new Client({ name: "listener", version: "1.0.0" });
    try {
      const got: unknown[] = [];
      client.setNotificationHandler("notifications/message", (n) => void got.push(n.params));
      const transport = new StreamableHTTPClientTransport(new URL(http.mcpUrl!));
      await client.connect(transport);
      expect(transport.sessionId).toBeDefined();
      await client.setLoggingLevel("debug");
      const on = await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
      expect(JSON.stringify(on)).toContain("Started simulated");
      const until = Date.now() + 20_000;
      while (Date.now() < until && got.length === 0) await new Promise((r) => setTimeout(r, 200));
      expect(got.length).toBeGreaterThan(0);
      expect((got[0] as { level: string }).level).toMatch(/^(debug|info|notice|warning|error|critical|alert|emergency)$/);
    } finally {
      await client.close().catch(() => undefined);
      await http.close();
    }
  });
});
