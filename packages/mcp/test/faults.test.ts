// Faults fail closed: an upstream that crashes, hangs or writes garbage answers the client with an error naming why,
// and the proxy stays up (restarting the upstream when asked to); malformed JSON-RPC from the client is answered
// with an error and never forwarded; a policy that does not check refuses the start before the upstream is even
// started. The faulty server logs every call it receives: nothing reaches it without a decision that allowed it.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServeError } from "@execlayer/server";
import { startProxy, type RunningProxy } from "@execlayer/mcp";
import { ACTOR, rawStdioProxy, scratch, tapped, type RawPeer, FAULTY_SERVER, faultyServerPolicy } from "./helpers.ts";

const POLICY = faultyServerPolicy("faults", ["echo", "crash", "hang", "garbage"], "  allow\n");

let tmp: ReturnType<typeof scratch>;
const running: RunningProxy[] = [];

beforeAll(() => {
  tmp = scratch();
  writeFileSync(path.join(tmp.dir, "faults.xpol"), POLICY);
  writeFileSync(path.join(tmp.dir, "broken.xpol"), POLICY.replace("allow\n}", "allow"));
});
afterAll(async () => {
  for (const p of running) await p.close();
  tmp?.remove();
});

async function proxy(name: string, extra: { restart?: boolean; upstreamTimeoutMs?: number } = {}): Promise<{ peer: RawPeer; calls: () => string[]; logs: string[] }> {
  const log = path.join(tmp.dir, `${name}.log`);
  const { proxy: p, peer, logs } = await rawStdioProxy({ policies: ["faults.xpol"], cwd: tmp.dir, upstream: { kind: "stdio", command: process.execPath, args: [FAULTY_SERVER, log] }, ...extra });
  running.push(p);
  return { peer, calls: () => tapped(log), logs };
}

const call = (name: string, text = "") => ({ name, arguments: { text } });
const errorOf = (m: Record<string, unknown>) => m["error"] as { code: number; message: string } | undefined;

describe("faults fail closed", () => {
  it("an upstream that crashes: the call gets an error with the reason, the proxy stays up, later calls say it is down", async () => {
    const { peer, calls } = await proxy("crash");
    expect((await peer.request(1, "tools/call", call("echo", "a")))["result"]).toMatchObject({ content: [{ type: "text", text: "echo: a" }] });
    const crashed = errorOf(await peer.request(2, "tools/call", call("crash")));
    expect(crashed?.message).toMatch(/upstream MCP server failed: .*[Cc]onnection closed/);
    const after = errorOf(await peer.request(3, "tools/call", call("echo", "b")));
    expect(after?.message).toBe("the upstream MCP server is down: it closed the connection (exited or crashed)");
    expect(calls()).toEqual(["echo", "crash"]);
    // the proxy itself still answers what it can
    expect((await peer.request(4, "ping"))["result"]).toEqual({});
  });

  it("with restart: the next call starts the upstream again", async () => {
    const { peer, calls } = await proxy("restart", { restart: true });
    expect(errorOf(await peer.request(1, "tools/call", call("crash")))).toBeDefined();
    expect((await peer.request(2, "tools/call", call("echo", "again")))["result"]).toMatchObject({ content: [{ text: "echo: again" }] });
    expect(calls()).toEqual(["crash", "echo"]);
  });

  it("an upstream that hangs: an error after the timeout; one that writes garbage: an error; the proxy keeps serving", async () => {
    const { peer, calls } = await proxy("hang", { upstreamTimeoutMs: 800 });
    expect(errorOf(await peer.request(1, "tools/call", call("hang")))?.message).toBe("the upstream MCP server did not answer within 800 ms");
    const garbage = errorOf(await peer.request(2, "tools/call", call("garbage")));
    expect(garbage?.message).toMatch(/Invalid tools\/call result/);
    expect((await peer.request(3, "tools/call", call("echo", "still")))["result"]).toMatchObject({ content: [{ text: "echo: still" }] });
    // the timed-out call was cancelled at the server (notifications/cancelled), not left running
    expect(calls()).toEqual(["hang", "hang cancelled", "garbage", "echo"]);
  });

  it("malformed JSON-RPC from the client: an error response, never a forwarded call", async () => {
    const { peer, calls } = await proxy("malformed");
    peer.line("{ this is not json");
    expect(errorOf(await peer.answer(null))?.code).toBe(-32700);
    expect(errorOf(await peer.request(1, "tools/call", { name: 42, arguments: {} }))?.code).toBe(-32602);
    expect(errorOf(await peer.request(2, "tools/call", { name: "echo", arguments: "text=hi" }))?.code).toBe(-32602);
    expect(errorOf(await peer.request(3, "tools/call", { arguments: { text: "x" } }))?.code).toBe(-32602);
    // arguments the policy cannot take (a value JSON has no room for) are a deny with its code, not forwarded
    const deep = await peer.request(4, "tools/call", { name: "echo", arguments: { text: "x".repeat(10), extra: 1 } });
    expect((deep["result"] as { isError: boolean }).isError).toBe(true);
    expect(errorOf(await peer.request(5, "no/such/method"))?.code).toBe(-32601);
    expect(calls()).toEqual([]);
    // and the connection still works
    expect((await peer.request(6, "tools/call", call("echo", "ok")))["result"]).toMatchObject({ content: [{ text: "echo: ok" }] });
    expect(calls()).toEqual(["echo"]);
  });

  it("a reload to a policy that does not check is refused: the running policy keeps deciding", async () => {
    const { peer, calls } = await proxy("reload");
    writeFileSync(path.join(tmp.dir, "faults.xpol"), POLICY.replace("allow\n}", "allow"));
    try {
      const reload = await running.at(-1)!.service!.state.reload("test");
      expect(reload.ok).toBe(false);
      expect((await peer.request(1, "tools/call", call("echo", "kept")))["result"]).toMatchObject({ content: [{ text: "echo: kept" }] });
      expect(calls()).toEqual(["echo"]);
    } finally {
      writeFileSync(path.join(tmp.dir, "faults.xpol"), POLICY);
    }
  });

  it("a policy that does not check: the proxy refuses to start (exit 1) and never starts the upstream", async () => {
    const log = path.join(tmp.dir, "never.log");
    const refused = await startProxy({
      policies: ["broken.xpol"],
      cwd: tmp.dir,
      memory: true,
      upstream: { kind: "stdio", command: process.execPath, args: [FAULTY_SERVER, log] },
      identities: { default: { actor: ACTOR }, clients: new Map() },
      stdio: { stdin: new PassThrough(), stdout: new PassThrough() },
      watch: false,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ServeError);
    expect((refused as ServeError).exit).toBe(1);
    expect((refused as ServeError).message).toContain("the policy does not check");
    expect(existsSync(log)).toBe(false);
  });
});
