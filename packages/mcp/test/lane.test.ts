// The tools/call lane over stdio (a plain call from a 2025-era client, decided and forwarded without the SDK's
// per-request dispatch) keeps what the SDK's path gives: a client's cancellation reaches the server and the cancelled
// call is never answered; the server's own JSON-RPC errors reach the client with their code; a call asking for
// progress (a `_meta` progress token, so the SDK's path) gets the server's progress under its own token; and only
// allowed calls reach the server, each once. The faulty server logs every call it receives.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningProxy } from "@execlayer/mcp";
import { rawStdioProxy, scratch, tapped, type RawPeer, FAULTY_SERVER, faultyServerPolicy } from "./helpers.ts";

const POLICY = faultyServerPolicy("lane", ["echo", "hang", "refuse", "progress"], `  when action.text != "forbidden"\n  allow\n`);

let tmp: ReturnType<typeof scratch>;
let proxy: RunningProxy;
let peer: RawPeer;
let log: string;

beforeAll(async () => {
  tmp = scratch();
  writeFileSync(path.join(tmp.dir, "lane.xpol"), POLICY);
  log = path.join(tmp.dir, "calls.log");
  ({ proxy, peer } = await rawStdioProxy({ policies: ["lane.xpol"], cwd: tmp.dir, upstream: { kind: "stdio", command: process.execPath, args: [FAULTY_SERVER, log] } }));
});
afterAll(async () => {
  await proxy?.close();
  tmp?.remove();
});

const calls = (): string[] => tapped(log);
const call = (name: string, text = "") => ({ name, arguments: { text } });

async function until(what: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("the tools/call lane", () => {
  it("a call the client cancels is cancelled at the server and never answered; the proxy keeps serving", async () => {
    peer.line(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: call("hang") }));
    await until(() => calls().includes("hang"));
    peer.line(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1, reason: "the user stopped it" } }));
    await until(() => calls().includes("hang cancelled"));
    expect((await peer.request(2, "tools/call", call("echo", "after")))["result"]).toMatchObject({ content: [{ text: "echo: after" }] });
    expect(peer.messages.filter((m) => m["id"] === 1)).toEqual([]);
  });

  it("the server's own JSON-RPC error reaches the client with its code and message", async () => {
    const r = await peer.request(3, "tools/call", call("refuse", "x"));
    expect(r["error"]).toMatchObject({ code: -32602, message: expect.stringContaining("refused: the text is not to this server's liking") });
  });

  it("a call with a progress token gets the server's progress under the client's own token, then its result", async () => {
    peer.line(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { ...call("progress"), _meta: { progressToken: "mine-4" } } }));
    const r = await peer.answer(4);
    expect(r["result"]).toMatchObject({ content: [{ text: "progress: sent" }] });
    const progress = peer.messages.filter((m) => m["method"] === "notifications/progress").map((m) => m["params"] as Record<string, unknown>);
    expect(progress.map((p) => [p["progressToken"], p["progress"], p["message"]])).toEqual([
      ["mine-4", 1, "step 1"],
      ["mine-4", 2, "step 2"],
    ]);
  });

  it("calls in flight together are each decided: the allowed ones reach the server once each, the denied never", async () => {
    const before = calls().length;
    const forwarded = proxy.upstream.forwarded;
    const ids = Array.from({ length: 24 }, (_, i) => 100 + i);
    for (const id of ids) peer.line(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: call("echo", id % 3 === 0 ? "forbidden" : `n${id}`) }));
    const answers = await Promise.all(ids.map((id) => peer.answer(id)));
    for (const [i, a] of answers.entries()) {
      const id = ids[i]!;
      const result = a["result"] as { isError?: boolean; content: { text: string }[] };
      if (id % 3 === 0) expect(result.isError).toBe(true);
      else expect(result.content[0]!.text).toBe(`echo: n${id}`);
    }
    expect(calls().slice(before)).toEqual(ids.filter((id) => id % 3 !== 0).map(() => "echo"));
    expect(proxy.upstream.forwarded - forwarded).toBe(ids.filter((id) => id % 3 !== 0).length);
  });
});
