// The SDK's own client (protocol 2025-11-25, initialize and a session over stdio) talking through `xpol mcp` (the
// core's CLI, loading this package by name) to the reference filesystem server from npm, behind a wire tap that logs
// every request the server receives. Allowed reads run; a write outside the workspace is denied with its reason, code
// and receipt; a move needs two signatures, then runs exactly once and a replay is refused; an unmapped tool is
// denied; the server receives exactly the calls that were allowed; the receipt log verifies with `xpol verify`.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/client";
import { XPOL, aliceSigner, bobSigner, filesystemProxy, getJson, postJson, type scratch, signFor, tapped, textOf } from "./helpers.ts";

let tmp: ReturnType<typeof scratch>;
let ws: string;
let tapLog: string;
let client: Client;
let stderr: () => string;

beforeAll(async () => {
  ({ tmp, ws, tapLog, client, stderr } = await filesystemProxy({ "notes.txt": "line one\nline two\n" }, ["--state", "state"]));
  writeFileSync(path.join(tmp.dir, "secret.txt"), "outside the workspace\n");
});

afterAll(async () => {
  await client?.close();
  tmp?.remove();
});

const toolCalls = (): string[] => tapped(tapLog).filter((l) => l.startsWith("tools/call"));

/** The approvals API the proxy announced on stderr. */
function approvalsUrl(): string {
  const m = /approvals at (http:\/\/\S+)\/v1\/approvals/.exec(stderr());
  if (m === null) throw new Error(`no approvals URL in: ${stderr()}`);
  return m[1]!;
}

describe("xpol mcp over stdio, protocol 2025-11-25, in front of @modelcontextprotocol/server-filesystem", () => {
  it("negotiates the 2025 era and passes the server's tools through", async () => {
    expect(client.getProtocolEra()).toBe("legacy");
    expect(client.getNegotiatedProtocolVersion()).toBe("2025-11-25");
    expect(client.getServerVersion()?.name).toBe("secure-filesystem-server");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["read_text_file", "write_file", "move_file", "list_directory"]));
  });

  it("runs an allowed read with the decided arguments", async () => {
    const r = await client.callTool({ name: "read_text_file", arguments: { path: path.join(ws, "notes.txt") } });
    expect(r.isError).not.toBe(true);
    expect(textOf(r)).toContain("line two");
    expect(toolCalls()).toEqual([`tools/call read_text_file`]);
  });

  it("denies a read outside the workspace and a write with `..`: a result naming the reason, the code and the receipt; nothing forwarded", async () => {
    const before = toolCalls().length;
    const r = await client.callTool({ name: "read_text_file", arguments: { path: path.join(tmp.dir, "secret.txt") } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/^ExecLayer denied the call to `read_text_file`: no rule allows `fs.read` at tier T0: denied by default\. It did not run; receipt #\d+ sha256:[0-9a-f]{64}\.$/s);
    const w = await client.callTool({ name: "write_file", arguments: { path: `${ws}/../escaped.txt`, content: "x" } });
    expect(w.isError).toBe(true);
    expect(textOf(w)).toContain("ExecLayer denied the call to `write_file`");
    expect(existsSync(path.join(tmp.dir, "escaped.txt"))).toBe(false);
    expect(toolCalls().length).toBe(before);
  });

  it("denies a tool the policy does not map, and arguments the mapping does not read (XP4032); nothing forwarded", async () => {
    const before = toolCalls().length;
    const unknown = await client.callTool({ name: "format_disk", arguments: {} });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toContain("no tool mapping for `format_disk`");
    const extra = await client.callTool({ name: "read_text_file", arguments: { path: path.join(ws, "notes.txt"), follow: true } });
    expect(extra.isError).toBe(true);
    expect(textOf(extra)).toContain("XP4032");
    expect(toolCalls().length).toBe(before);
  });

  it("a move needs two signatures: pending, then approved by two leads, then runs exactly once; a replay is refused", async () => {
    const args = { source: path.join(ws, "notes.txt"), destination: path.join(ws, "moved.txt") };
    const before = toolCalls().length;
    const pending = await client.callTool({ name: "move_file", arguments: args });
    expect(pending.isError).toBe(true);
    const text = textOf(pending);
    expect(text).toContain("ExecLayer requires approval before the call to `move_file` runs: 2 of leads among alice (leads), bob (leads)");
    const m = /Approvers review and sign it in the approval console at (http:\/\/\S+)\/console#\/approvals\/(apr_[0-9a-f]+) \(API: (\S+\/v1\/approvals\/apr_[0-9a-f]+);/.exec(text);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(approvalsUrl());
    // the link opens the console the decision service serves (the page reads the request from the fragment)
    const page = await fetch(`${m![1]}/console`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<script");
    const meta = (pending._meta as Record<string, { approval_url: string; approval_api_url: string }>)["dev.execlayer/decision"]!;
    expect(meta.approval_url).toBe(`${m![1]}/console#/approvals/${m![2]}`);
    expect(meta.approval_api_url).toBe(m![3]);
    const detail = (await getJson(m![3]!)) as { request: { id: string; action_digest: string; policy_digest: string; status: string }; action: { action: { type: string; target: string } } };
    const request = detail.request;
    expect(detail.action.action).toMatchObject({ type: "fs.move", target: args.source });
    expect(request.id).toBe(m![2]);
    expect(request.status).toBe("pending");

    // asking again before the quorum changes nothing and runs nothing
    expect((await client.callTool({ name: "move_file", arguments: args })).isError).toBe(true);
    expect(toolCalls().length).toBe(before);

    for (const signer of [aliceSigner, bobSigner]) {
      const s = await postJson(`${approvalsUrl()}/v1/approvals/${request.id}/signatures`, signFor(signer, request));
      expect(s.status).toBe(200);
    }
    const ran = await client.callTool({ name: "move_file", arguments: args });
    expect(ran.isError).not.toBe(true);
    expect(existsSync(args.destination)).toBe(true);
    expect(toolCalls().slice(before)).toEqual(["tools/call move_file"]);

    const replay = await client.callTool({ name: "move_file", arguments: args });
    expect(replay.isError).toBe(true);
    expect(textOf(replay)).toMatch(/ExecLayer denied the call to `move_file`: .*(used|replay)/i);
    expect(toolCalls().slice(before)).toEqual(["tools/call move_file"]);
  });

  it("the server received exactly the allowed calls; after the proxy stops, its receipt log verifies with xpol verify", async () => {
    expect(toolCalls()).toEqual(["tools/call read_text_file", "tools/call move_file"]);
    await client.close();
    // the proxy closes the store when the client goes away; wait for its lock to be released
    const lock = path.join(tmp.dir, "state", "LOCK");
    for (let i = 0; i < 100 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 50));
    const verified = spawnSync(process.execPath, [XPOL, "verify", "state", "--key", "state/runtime.pub"], { cwd: tmp.dir, encoding: "utf8" });
    expect(verified.stderr + verified.stdout).toMatch(/ok|verified/i);
    expect(verified.status).toBe(0);
    const log = readFileSync(path.join(tmp.dir, "state", "receipts.jsonl"), "utf8").trim().split("\n");
    // one receipt per decision: 2 allowed, 2 denied, 2 refused before the policy, 2 pending, 2 approvals, 1 run, 1 replay
    expect(log.length).toBeGreaterThanOrEqual(11);
  });
});
