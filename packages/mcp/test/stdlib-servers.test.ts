// The stdlib's tool mappings apply by the name a server announces, for the reference servers from npm (GitHub,
// PostgreSQL, Slack; the filesystem server's is in discover.test.ts): `xpol mcp discover` writes a starter that
// imports the module and needs no mapping of its own (the module maps every tool the real server lists); a proxy
// whose policy does not import it says at start which module to import; one that does decides the server's tools as
// the module's typed actions. The servers start offline (dummy credentials); only denied calls are made, so nothing
// leaves the machine, and the proxy's count of forwarded calls proves none reached the server.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy } from "execlayer";
import { runMcpCommand, type RunningProxy, type UpstreamSpec } from "@execlayer/mcp";
import { rawStdioProxy, scratch, serverEntry, type RawPeer } from "./helpers.ts";

interface Case {
  readonly pkg: string;
  readonly announces: string;
  readonly module: string;
  /** the server's command line (dummy credentials where it wants them at start) */
  readonly command: readonly string[];
  /** a call the module maps, and the action type it is decided as */
  readonly call: { readonly name: string; readonly arguments: Record<string, unknown> };
  readonly action: string;
}

const CASES: readonly Case[] = [
  {
    pkg: "@modelcontextprotocol/server-github",
    announces: "github-mcp-server",
    module: "std.mcp.github",
    command: ["/usr/bin/env", "GITHUB_PERSONAL_ACCESS_TOKEN=offline", process.execPath, serverEntry("@modelcontextprotocol/server-github")],
    call: { name: "create_issue", arguments: { owner: "acme", repo: "billing", title: "refunds" } },
    action: "github.write_issue",
  },
  {
    pkg: "@modelcontextprotocol/server-postgres",
    announces: "example-servers/postgres",
    module: "std.mcp.postgres",
    command: [process.execPath, serverEntry("@modelcontextprotocol/server-postgres"), "postgresql://127.0.0.1:1/offline"],
    call: { name: "query", arguments: { sql: "select * from customers" } },
    action: "db.query",
  },
  {
    pkg: "@modelcontextprotocol/server-slack",
    announces: "Slack MCP Server",
    module: "std.mcp.slack",
    command: ["/usr/bin/env", "SLACK_BOT_TOKEN=offline", "SLACK_TEAM_ID=T0", process.execPath, serverEntry("@modelcontextprotocol/server-slack")],
    call: { name: "slack_post_message", arguments: { channel_id: "C42", text: "hello" } },
    action: "chat.post",
  },
];

let tmp: ReturnType<typeof scratch>;
const running: RunningProxy[] = [];

beforeAll(() => {
  tmp = scratch();
});
afterAll(async () => {
  for (const p of running) await p.close();
  tmp?.remove();
});

const upstreamOf = (c: Case): UpstreamSpec => ({ kind: "stdio", command: c.command[0]!, args: c.command.slice(1), cwd: tmp.dir });

/** A proxy for the case's server, with the calls it forwarded at start (its tool listing) as `atStart`. */
async function proxyWith(c: Case, policy: string): Promise<{ proxy: RunningProxy; peer: RawPeer; logs: string[]; atStart: number }> {
  const dir = path.join(tmp.dir, `${c.module.replace(/\W/g, "_")}-${running.length}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, "p.xpol"), policy);
  const { proxy, peer, logs } = await rawStdioProxy({ policies: ["p.xpol"], cwd: dir, upstream: upstreamOf(c) });
  running.push(proxy);
  return { proxy, peer, logs, atStart: proxy.upstream.forwarded };
}

describe.each(CASES)("the stdlib mapping of $pkg (announces `$announces`)", (c) => {
  it(`discover writes a starter that imports ${c.module} and maps nothing itself`, async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runMcpCommand(["discover", "--out", "-", "--", ...c.command], { cwd: tmp.dir, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) });
    expect(code, err.join("\n")).toBe(0);
    const starter = out.join("");
    expect(starter).toContain(`import ${c.module}`);
    // discover maps only the tools the module does not (and resource reads): none left means the module covers the
    // server's whole list
    expect(starter).not.toMatch(/^tool (?!"resources\/read")/m);
    const compiled = compilePolicy({ sources: [{ path: "starter.xpol", text: starter }] });
    expect(compiled.policy?.toolMapper.tools).toContain(c.call.name);
  });

  it(`a policy without the import: the proxy names ${c.module} at start, and the call is denied unforwarded`, async () => {
    const { proxy, peer, logs, atStart } = await proxyWith(c, `policy bare version "1"\n\nactor {\n  agent: string\n}\n`);
    expect(logs.join("\n")).toContain(`the standard library maps \`${c.announces}\`'s tools: \`import ${c.module}\``);
    const r = (await peer.request(1, "tools/call", c.call))["result"] as { isError: boolean };
    expect(r.isError).toBe(true);
    expect(proxy.upstream.forwarded).toBe(atStart);
  });

  it(`with the import, the server's tool is decided as ${c.action}`, async () => {
    const { proxy, peer, logs, atStart } = await proxyWith(c, `policy typed version "1"\n\nimport ${c.module}\n\nactor {\n  agent: string\n}\n`);
    expect(logs.join("\n")).not.toContain("the policy maps");
    const r = (await peer.request(1, "tools/call", c.call))["result"] as { isError: boolean; _meta: Record<string, { action_type: string; effect: string; reasons: string[] }> };
    expect(r.isError).toBe(true);
    const d = r._meta["dev.execlayer/decision"]!;
    expect(d.effect).toBe("deny");
    expect(d.action_type).toBe(c.action);
    expect(proxy.upstream.forwarded).toBe(atStart);
  });
});
