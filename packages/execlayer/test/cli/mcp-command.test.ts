// `xpol mcp` loads @execlayer/mcp on demand, as `xpol serve` loads @execlayer/server: the core depends on no MCP SDK.
// Without the package the command says how to install it (XP8210, exit 3); with it (the workspace), the package's
// own usage answers.
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/commands/mcp.ts";
import { xpol } from "./helpers.ts";

function io(): { out: string[]; err: string[]; io: Parameters<typeof run>[1] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { cwd: process.cwd(), stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) } };
}

describe("xpol mcp", () => {
  it("without the MCP package: a clear message naming the package to install, exit 3", async () => {
    const c = io();
    const code = await run(["--policy", "x.xpol", "--", "node", "server.js"], c.io, "@execlayer/mcp-not-installed");
    expect(code).toBe(3);
    expect(c.err.join("\n")).toBe("xpol mcp: XP8210: `xpol mcp` needs the package `@execlayer/mcp-not-installed`, which is not installed (npm install @execlayer/mcp-not-installed)");
  });

  it("with the MCP package installed (the workspace): its usage and argument checks", async () => {
    const help = await xpol(["mcp", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: xpol mcp (--policy PATH... [--state DIR | --memory] | --server URL");
    const bad = await xpol(["mcp", "--policy", "x.xpol"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("give the upstream server");
  });

  it("is listed by `xpol --help`", async () => {
    expect((await xpol(["--help"])).stdout).toMatch(/mcp +enforce the policy on an MCP server's tool calls/);
  });
});
