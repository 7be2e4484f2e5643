// The stdlib's mappings by server name for the reference servers published on PyPI, not npm (mcp-server-git and
// mcp-server-fetch): a stand-in server announces each one's name and lists its published tools (fixtures/
// published-tools.json, with where each list comes from). discover imports the module and maps only what it does not
// (the git server's newer `git_commit_signed`); the proxy decides the fetch server's `fetch` as `http.request` and
// forwards exactly the decided arguments, and a fetch the rule does not allow never reaches the server.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "execlayer";
import { runMcpCommand, type RunningProxy } from "@execlayer/mcp";
import { rawStdioProxy, scratch, tapped } from "./helpers.ts";

const PUBLISHED = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/published-server.mjs");
const LISTS = JSON.parse(readFileSync(path.join(path.dirname(PUBLISHED), "published-tools.json"), "utf8")) as { servers: Record<string, { tools: { name: string }[] }> };

let tmp: ReturnType<typeof scratch>;
let proxy: RunningProxy | undefined;

beforeAll(() => {
  tmp = scratch();
});
afterAll(async () => {
  await proxy?.close();
  tmp?.remove();
});

async function discover(key: string): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runMcpCommand(["discover", "--out", "-", "--", process.execPath, PUBLISHED, key, path.join(tmp.dir, `${key}.log`)], { cwd: tmp.dir, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) });
  expect(code, err.join("\n")).toBe(0);
  return out.join("");
}

describe("stdlib mappings by name for servers published on PyPI", () => {
  it("mcp-git: the starter imports std.mcp.git and maps only the published tool the module lacks", async () => {
    const starter = await discover("mcp-server-git");
    expect(starter).toContain("import std.mcp.git");
    expect(starter.match(/^tool \S+/gm)).toEqual(["tool git_commit_signed"]);
    const compiled = compilePolicy({ sources: [{ path: "git.xpol", text: starter }] });
    expect(compiled.policy).not.toBeNull();
    const mapped = new Set(compiled.policy!.toolMapper.tools);
    expect(LISTS.servers["mcp-server-git"]!.tools.map((t) => t.name).filter((n) => !mapped.has(n))).toEqual([]);
  });

  it("mcp-fetch: the starter imports std.mcp.fetch and maps nothing itself", async () => {
    const starter = await discover("mcp-server-fetch");
    expect(starter).toContain("import std.mcp.fetch");
    expect(starter).not.toMatch(/^tool /m);
  });

  it("mcp-fetch through the proxy: fetch is decided as http.request; allowed URLs reach the server with the decided arguments, others never", async () => {
    writeFileSync(
      path.join(tmp.dir, "fetch.xpol"),
      `policy fetching version "1"\n\nimport std.mcp.fetch\n\nactor {\n  agent: string\n}\n\nrule docs_only on http.request {\n  when action.url.startsWith("https://docs.example.org/")\n  allow\n}\n`,
    );
    const log = path.join(tmp.dir, "fetch-calls.log");
    const started = await rawStdioProxy({ policies: ["fetch.xpol"], cwd: tmp.dir, upstream: { kind: "stdio", command: process.execPath, args: [PUBLISHED, "mcp-server-fetch", log] } });
    proxy = started.proxy;
    const peer = started.peer;
    const allowed = (await peer.request(1, "tools/call", { name: "fetch", arguments: { url: "https://docs.example.org/a", max_length: 200 } }))["result"] as { content: { text: string }[] };
    expect(JSON.parse(allowed.content[0]!.text)).toEqual({ url: "https://docs.example.org/a", max_length: 200 });
    const denied = (await peer.request(2, "tools/call", { name: "fetch", arguments: { url: "http://169.254.169.254/latest/meta-data" } }))["result"] as { isError: boolean; _meta: Record<string, { action_type: string }> };
    expect(denied.isError).toBe(true);
    expect(denied._meta["dev.execlayer/decision"]!.action_type).toBe("http.request");
    expect(tapped(log)).toEqual(["fetch"]);
  });
});
