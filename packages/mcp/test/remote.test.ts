// `xpol mcp --server URL`: the proxy decides through a remote `xpol serve` (a real one, started by the core's CLI)
// instead of a service of its own, so a fleet of proxies shares one policy, its counters, approvals and receipts.
// Two proxies (the CLI, the SDK's own client over stdio) front the reference filesystem server behind wire taps that
// log every request it receives: an allowed read goes through, a denied write never reaches the server, a move that
// needs two signatures is pending with the remote console's link, runs once when both leads have signed at the
// service, and a replay is refused; a second proxy with --wait holds its call on the service's long-poll and runs it
// once. The service failing closes every door: stopped, slow, answering an error or garbage, the call is denied with
// the reason and the code, and nothing is forwarded.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { hashToken } from "@execlayer/server";
import type { RunningProxy } from "@execlayer/mcp";
import { ACTOR, FILESYSTEM_SERVER, TAP, XPOL, aliceSigner, bobSigner, filesystemWorkspace, getJson, postJson, rawStdioProxy, signFor, tapped, textOf, type scratch } from "./helpers.ts";

const AGENT_TOKEN = "tok-agent-0123456789abcdef";
const APPROVER = { authorization: "Bearer tok-approver-0123456789abcdef" };

let tmp: ReturnType<typeof scratch>;
let ws: string;
let serve: ChildProcess;
let serviceUrl: string;
const clients: Client[] = [];
const others: RunningProxy[] = [];
const fakes: http.Server[] = [];

/** Starts `xpol serve` on a free loopback port; resolves with its URL. */
async function startService(): Promise<string> {
  serve = spawn(process.execPath, [XPOL, "serve", "--policy", "policy.xpol", "--state", "service-state", "--listen", "127.0.0.1:0", "--tokens", "tokens.json", "--no-watch", "--log-level", "warn"], {
    cwd: tmp.dir,
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let err = "";
    serve.stderr!.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m !== null) resolve(m[1]!);
    });
    serve.on("exit", () => reject(new Error(`xpol serve exited: ${err}`)));
  });
}

/** A proxy started by the CLI with `--server`, its upstream the filesystem server behind a tap logging to `log`. */
async function proxyClient(log: string, extra: string[] = []): Promise<{ client: Client; stderr: () => string }> {
  let stderr = "";
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [XPOL, "mcp", "--server", serviceUrl, "--token-file", "agent.token", "--actor", JSON.stringify(ACTOR), ...extra, "--", process.execPath, TAP, log, process.execPath, FILESYSTEM_SERVER, ws],
    cwd: tmp.dir,
    stderr: "pipe",
  });
  transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await client.connect(transport).catch((e: unknown) => {
    throw new Error(`the proxy did not start: ${String(e)}\n${stderr}`);
  });
  clients.push(client);
  return { client, stderr: () => stderr };
}

const calls = (log: string): string[] => tapped(log).filter((l) => l.startsWith("tools/call"));

beforeAll(async () => {
  ({ tmp, ws } = filesystemWorkspace({ "notes.txt": "line one\nline two\n", "draft.txt": "a draft\n" }));
  writeFileSync(path.join(tmp.dir, "agent.token"), `${AGENT_TOKEN}\n`);
  writeFileSync(
    path.join(tmp.dir, "tokens.json"),
    JSON.stringify({
      tokens: [
        { name: "proxies", sha256: hashToken(AGENT_TOKEN), roles: ["agent"] },
        { name: "leads", sha256: hashToken(APPROVER.authorization.slice(7)), roles: ["approver", "auditor"] },
      ],
    }),
  );
  serviceUrl = await startService();
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  for (const p of others) await p.close();
  for (const f of fakes) {
    f.closeAllConnections();
    f.close();
  }
  serve?.kill();
  tmp?.remove();
});

describe("xpol mcp --server: decisions by a remote xpol serve", () => {
  const log = () => path.join(tmp.dir, "tap-a.log");

  it("an allowed read goes through; a denied write never reaches the server and names the service's receipt", async () => {
    const { client } = await proxyClient(log());
    const r = await client.callTool({ name: "read_text_file", arguments: { path: path.join(ws, "notes.txt") } });
    expect(r.isError).not.toBe(true);
    expect(textOf(r)).toContain("line two");
    expect(calls(log())).toEqual(["tools/call read_text_file"]);

    const w = await client.callTool({ name: "write_file", arguments: { path: `${ws}/../escaped.txt`, content: "x" } });
    expect(w.isError).toBe(true);
    const m = /^ExecLayer denied the call to `write_file`: .*It did not run; receipt #(\d+) (sha256:[0-9a-f]{64})\.$/s.exec(textOf(w));
    expect(m).not.toBeNull();
    expect(existsSync(path.join(tmp.dir, "escaped.txt"))).toBe(false);
    expect(calls(log())).toEqual(["tools/call read_text_file"]);
    // the receipt is the shared service's
    const line = await getJson(`${serviceUrl}/v1/receipts?from=${m![1]}&to=${m![1]}`, APPROVER);
    expect(line).toMatchObject({ seq: Number(m![1]), body: { decision: { effect: "deny" } } });
  });

  it("a move needing two signatures: pending with the service's console link, runs once when both sign there; a replay is refused", async () => {
    const client = clients[0]!;
    const args = { source: path.join(ws, "notes.txt"), destination: path.join(ws, "moved.txt") };
    const pending = await client.callTool({ name: "move_file", arguments: args });
    expect(pending.isError).toBe(true);
    const text = textOf(pending);
    expect(text).toContain("ExecLayer requires approval before the call to `move_file` runs: 2 of leads among alice (leads), bob (leads)");
    const m = /approval console at (\S+)\/console#\/approvals\/(apr_[0-9a-f]+) \(API: (\S+);/.exec(text);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(serviceUrl);
    expect(m![3]).toBe(`${serviceUrl}/v1/approvals/${m![2]}`);
    const request = ((await getJson(m![3]!, APPROVER)) as { request: { id: string; action_digest: string; policy_digest: string; status: string } }).request;
    expect(request.status).toBe("pending");
    expect(calls(log())).toEqual(["tools/call read_text_file"]);

    for (const signer of [aliceSigner, bobSigner]) expect((await postJson(`${serviceUrl}/v1/approvals/${request.id}/signatures`, signFor(signer, request), APPROVER)).status).toBe(200);
    const ran = await client.callTool({ name: "move_file", arguments: args });
    expect(ran.isError).not.toBe(true);
    expect(existsSync(args.destination)).toBe(true);
    const replay = await client.callTool({ name: "move_file", arguments: args });
    expect(replay.isError).toBe(true);
    expect(textOf(replay)).toMatch(/ExecLayer denied the call to `move_file`/);
    expect(calls(log())).toEqual(["tools/call read_text_file", "tools/call move_file"]);
  });

  it("--wait: a second proxy of the fleet holds the call on the service's long-poll, then runs it once", async () => {
    const logB = path.join(tmp.dir, "tap-b.log");
    const { client } = await proxyClient(logB, ["--wait", "30s"]);
    const args = { source: path.join(ws, "draft.txt"), destination: path.join(ws, "final.txt") };
    const progress: string[] = [];
    const call = client.callTool({ name: "move_file", arguments: args }, { onprogress: (p) => void progress.push(p.message ?? ""), timeout: 60_000 });
    let request: { id: string; action_digest: string; policy_digest: string } | undefined;
    for (let i = 0; i < 100 && request === undefined; i++) {
      const list = (await getJson(`${serviceUrl}/v1/approvals`, APPROVER)) as { approvals: { id: string; action_digest: string; policy_digest: string; target: string }[] };
      request = list.approvals.find((a) => a.target === args.source);
      if (request === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(request).toBeDefined();
    for (const signer of [aliceSigner, bobSigner]) {
      expect(calls(logB)).toEqual([]);
      expect((await postJson(`${serviceUrl}/v1/approvals/${request!.id}/signatures`, signFor(signer, request!), APPROVER)).status).toBe(200);
    }
    const ran = await call;
    expect(textOf(ran)).not.toContain("ExecLayer");
    expect(ran.isError).not.toBe(true);
    expect(existsSync(args.destination)).toBe(true);
    expect(progress[0]).toContain(`waiting for approval ${request!.id}`);
    expect(progress[0]).toContain(serviceUrl);
    expect(calls(logB)).toEqual(["tools/call move_file"]);
  });

  it("--server excludes --state and --memory, and --policy: a usage error (exit 2)", () => {
    for (const extra of [["--state", "x"], ["--memory"], ["--policy", "policy.xpol"]]) {
      const r = spawnSync(process.execPath, [XPOL, "mcp", "--server", serviceUrl, ...extra, "--", process.execPath, FILESYSTEM_SERVER, ws], { cwd: tmp.dir, encoding: "utf8" });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`--server excludes ${extra[0]}`);
    }
  });

  it("the service stopped: the call is denied naming the reason and the code; nothing is forwarded", async () => {
    const client = clients[0]!;
    serve.kill();
    await new Promise<void>((resolve) => (serve.exitCode !== null ? resolve() : serve.once("exit", () => resolve())));
    const r = await client.callTool({ name: "read_text_file", arguments: { path: path.join(ws, "moved.txt") } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(new RegExp(`^ExecLayer denied the call to \`read_text_file\`: service unavailable: the decision service at ${serviceUrl.replace(/[.]/g, "\\.")}/? is unreachable .*\\(XP8208\\)\\. It did not run; no receipt`, "s"));
    expect(calls(log())).toEqual(["tools/call read_text_file", "tools/call move_file"]);
  });
});

describe("xpol mcp --server: a service that is slow, errs or answers garbage is a deny", () => {
  /** A stand-in for a failing service: `answer` handles every request. */
  async function fake(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<string> {
    const server = http.createServer(answer);
    fakes.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const cases: [string, (req: http.IncomingMessage, res: http.ServerResponse) => void, RegExp][] = [
    ["slow", () => undefined, /did not answer within 300 ms \(XP8208\)/],
    ["an HTTP error", (_q, res) => void res.writeHead(503, { "content-type": "application/problem+json" }).end(JSON.stringify({ title: "unavailable", status: 503, detail: "draining", code: "XP8208" })), /answered HTTP 503: draining \(XP8208\)/],
    ["not JSON", (_q, res) => void res.writeHead(200, { "content-type": "application/json" }).end("<html>"), /answered HTTP 200 with something that is not JSON \(XP8208\)/],
    ["not a decision", (_q, res) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ effect: "allow" })), /something that is not a decision \(the answer's reasons are not strings\) \(XP8208\)/],
    [
      "an allow for other arguments",
      (_q, res) => void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ effect: "allow", tier: "T0", action_type: "fs.read", rules: [], reasons: [], receipt: null, args: { path: "/etc/passwd" } })),
      /allowed arguments other than those the proxy sent \(XP8208\)/,
    ],
  ];
  for (const [what, answer, reason] of cases) {
    it(`${what}: denied with the reason and the code, nothing forwarded`, async () => {
      const url = await fake(answer);
      const tap = path.join(tmp.dir, `tap-${what.replace(/\W+/g, "-")}.log`);
      const { proxy, peer } = await rawStdioProxy({ server: url, serverTimeoutMs: 300, cwd: tmp.dir, upstream: { kind: "stdio", command: process.execPath, args: [TAP, tap, process.execPath, FILESYSTEM_SERVER, ws] }, upstreamStderr: "ignore" });
      others.push(proxy);
      const m = await peer.request(1, "tools/call", { name: "read_text_file", arguments: { path: path.join(ws, "moved.txt") } });
      const result = m["result"] as { isError?: boolean; content: { text: string }[] };
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toMatch(reason);
      expect(result.content[0]!.text).toContain("It did not run; no receipt (the decision service recorded none)");
      expect(calls(tap)).toEqual([]);
      expect(proxy.upstream.forwarded).toBe(0);
    });
  }
});
