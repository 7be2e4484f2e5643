// `xpol mcp discover` against the "everything" server (many kinds of tools, with annotations, and resources): the
// starter policy it writes checks and is formatted, maps every tool, takes tiers from the annotations (and says they
// are untrusted), allows only the read-only tools, and declares the resource-read action. Then the same file,
// unedited, drives a proxy: a read-only tool runs, any other is denied.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { compilePolicy, formatPolicy } from "execlayer";
import { runMcpCommand } from "@execlayer/mcp";
import { EVERYTHING_SERVER, FILESYSTEM_SERVER, XPOL, scratch, textOf } from "./helpers.ts";

let tmp: ReturnType<typeof scratch>;
let text: string;
let run: ReturnType<typeof spawnSync>;

beforeAll(() => {
  tmp = scratch();
  run = spawnSync(process.execPath, [XPOL, "mcp", "discover", "--out", "everything.xpol", "--", process.execPath, EVERYTHING_SERVER, "stdio"], { cwd: tmp.dir, encoding: "utf8", timeout: 60_000 });
  text = readFileSync(path.join(tmp.dir, "everything.xpol"), "utf8");
});
afterAll(() => tmp?.remove());

describe("xpol mcp discover", () => {
  it("writes a starter policy that checks and is formatted", () => {
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("wrote everything.xpol: review the tiers and write the rules before use");
    const compiled = compilePolicy({ sources: [{ path: "everything.xpol", text }] });
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const formatted = formatPolicy(text);
    expect(formatted.ok && formatted.changed).toBe(false);
  });

  it("maps every tool, tiers from the (untrusted) annotations, allows only the read-only ones, declares resource reads", () => {
    expect(text).toContain("annotations are the server's own untrusted hints");
    expect(text).toMatch(/action mcp\.echo \{\n(\s*\/\/.*\n)?\s*message: string\n\}/);
    expect(text).toContain("tier mcp.echo = T0");
    expect(text).toContain("tier mcp.toggle_simulated_logging = T1");
    expect(text).toMatch(/tool "get-sum" -> mcp\.get_sum \{\n\s*a: double\(args\.a\)\n\s*b: double\(args\.b\)\n\}/);
    expect(text).toMatch(/tool "resources\/read" -> mcp\.resource_read \{/);
    const allowed = /rule read_only on ([^{]+) \{/.exec(text)![1]!.split(",").map((s) => s.trim());
    expect(allowed).toContain("mcp.echo");
    expect(allowed).not.toContain("mcp.toggle_simulated_logging");
    const compiled = compilePolicy({ sources: [{ path: "everything.xpol", text }] });
    expect(compiled.policy!.toolMapper.tools).toEqual(expect.arrayContaining(["echo", "get-sum", "toggle-simulated-logging", "resources/read"]));
  });

  it("the unedited starter drives the proxy: a read-only tool runs, another is denied", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [XPOL, "mcp", "--policy", "everything.xpol", "--memory", "--no-watch", "--actor", '{"agent": "starter"}', "--", process.execPath, EVERYTHING_SERVER, "stdio"],
      cwd: tmp.dir,
      stderr: "ignore",
    });
    const client = new Client({ name: "discover-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const echo = await client.callTool({ name: "echo", arguments: { message: "from the starter" } });
      expect(echo.isError).not.toBe(true);
      expect(textOf(echo)).toContain("from the starter");
      const toggle = await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
      expect(toggle.isError).toBe(true);
      expect(textOf(toggle)).toContain("no rule allows `mcp.toggle_simulated_logging` at tier T1");
    } finally {
      await client.close();
    }
  });

  it("a server the standard library knows by name (the filesystem server): the starter imports its mapping module", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runMcpCommand(["discover", "--out", "-", "--", process.execPath, FILESYSTEM_SERVER, tmp.dir], { cwd: tmp.dir, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) });
    expect(code).toBe(0);
    const starter = out.join("");
    expect(starter).toContain("import std.mcp.filesystem");
    expect(starter).not.toMatch(/^tool /m);
    expect(starter).toMatch(/rule read_only on fs\.read, fs\.read_many, fs\.list, fs\.search, fs\.stat, fs\.roots \{/);
    const compiled = compilePolicy({ sources: [{ path: "fs.xpol", text: starter }] });
    expect(compiled.policy?.toolMapper.tools).toEqual(expect.arrayContaining(["read_text_file", "write_file", "move_file"]));
  });
});
