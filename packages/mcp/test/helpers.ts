// What the tests share: temporary directories, approver keys, the paths of the CLI and the real MCP servers from npm,
// the wire tap's log, and signing an approval request the way an approver does.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PassThrough } from "node:stream";
import { formatPublicKey, keyPairFromSeed, NobleSigner, signApproval, type KeyPair } from "execlayer";
import { startProxy, type ProxyOptions, type RunningProxy } from "@execlayer/mcp";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The core's CLI (dist/: `npm run build` first), which loads @execlayer/mcp by name as a user's install does. */
export const XPOL = path.resolve(here, "../../execlayer/bin/xpol.js");
export const TAP = path.join(here, "fixtures/tap.mjs");
/** @modelcontextprotocol/server-filesystem, the reference filesystem server */
export const FILESYSTEM_SERVER = path.join(path.dirname(require.resolve("@modelcontextprotocol/server-filesystem/package.json")), "dist/index.js");
/** @modelcontextprotocol/server-everything, a server with many kinds of tools, resources and prompts */
export const EVERYTHING_SERVER = path.join(path.dirname(require.resolve("@modelcontextprotocol/server-everything/package.json")), "dist/index.js");

export const alice: KeyPair = keyPairFromSeed(new Uint8Array(32).fill(1));
export const bob: KeyPair = keyPairFromSeed(new Uint8Array(32).fill(2));
export const aliceSigner = new NobleSigner(alice);
export const bobSigner = new NobleSigner(bob);

export const ACTOR = { agent: "coder" };

export function scratch(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "xpol-mcp-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The requests that reached the server, as the tap logged them. */
export function tapped(log: string): string[] {
  try {
    return readFileSync(log, "utf8").split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

/**
 * A coding agent's policy over the filesystem server (the stdlib's mapping): reads and listings inside the workspace
 * are allowed, anything outside it or with `..` is denied, a move inside it needs two signatures from `leads`, and
 * writes inside it are allowed. Resource reads (`resources/read`) of `file://` URIs in the workspace are allowed.
 */
export function filesystemPolicy(ws: string): string {
  return `policy coding_agent version "1.0.0"

import std.mcp.filesystem

actor {
  agent: string
}

group leads {
  alice: "${formatPublicKey(alice.publicKey)}"
  bob: "${formatPublicKey(bob.publicKey)}"
}

rule reads_in_workspace on fs.read, fs.list, fs.search, fs.stat {
  when (action.path.startsWith("${ws}/") || action.path == "${ws}") && !action.path.contains("..")
  allow
}

rule writes_in_workspace on fs.write, fs.mkdir {
  when action.path.startsWith("${ws}/") && !action.path.contains("..")
  allow
}

rule moves_need_two_leads on fs.move {
  when action.path.startsWith("${ws}/") && action.destination.startsWith("${ws}/")
  require approval 2 of leads within 1h
}
`;
}

/** A scratch directory with a workspace `ws` holding `files` (name -> text), and the filesystem policy over it. */
/** The faulty fixture server's path, and a policy over its tools: each maps to `demo.call` with its name and text. */
export const FAULTY_SERVER = path.join(here, "fixtures/faulty-server.mjs");
export function faultyServerPolicy(name: string, tools: readonly string[], ruleBody: string): string {
  const mappings = tools.map((t) => `\ntool ${t} -> demo.call {\n  tool: "${t}"\n  text: args.text\n}\n`).join("");
  return `policy ${name} version "1"\n\nactor {\n  agent: string\n}\n\naction demo.call {\n  tool: string\n  text?: string\n}\ntier demo.call = T0\n${mappings}\nrule calls on demo.call {\n${ruleBody}}\n`;
}

export function filesystemWorkspace(files: Record<string, string>): { tmp: ReturnType<typeof scratch>; ws: string } {
  const tmp = scratch();
  const ws = path.join(tmp.dir, "ws");
  mkdirSync(ws);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(ws, name), text);
  writeFileSync(path.join(tmp.dir, "policy.xpol"), filesystemPolicy(ws));
  return { tmp, ws };
}

/** `xpol mcp` (the CLI) over stdio in front of the filesystem server behind the wire tap, in a new workspace holding
 * `files` and the filesystem policy, with the SDK's client connected through it. `decider`: the store options
 * (`--memory`, `--state DIR`, ...). What the proxy wrote to stderr is kept, and named when it fails to start. */
export async function filesystemProxy(
  files: Record<string, string>,
  decider: readonly string[],
  clientOptions?: ConstructorParameters<typeof Client>[1],
): Promise<{ tmp: ReturnType<typeof scratch>; ws: string; tapLog: string; client: Client; stderr: () => string }> {
  const { tmp, ws } = filesystemWorkspace(files);
  const tapLog = path.join(tmp.dir, "tap.log");
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [XPOL, "mcp", "--policy", "policy.xpol", ...decider, "--actor", JSON.stringify(ACTOR), "--no-watch", "--", process.execPath, TAP, tapLog, process.execPath, FILESYSTEM_SERVER, ws],
    cwd: tmp.dir,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const client = new Client({ name: "test-client", version: "1.0.0" }, clientOptions);
  await client.connect(transport).catch((e: unknown) => {
    tmp.remove();
    throw new Error(`the proxy did not start: ${String(e)}\n${stderr}`);
  });
  return { tmp, ws, tapLog, client, stderr: () => stderr };
}

/** Signs request `r` (as the approvals API lists it) for `signer`. */
export function signFor(signer: NobleSigner, r: { id: string; action_digest: string; policy_digest: string }, verdict: "approve" | "reject" = "approve") {
  return signApproval(signer, { id: r.id, actionDigest: r.action_digest, policyDigest: r.policy_digest }, verdict, Date.now());
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const r = await fetch(url, { headers });
  return (await r.json()) as Record<string, unknown>;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** The text of a tool result's content. */
export function textOf(result: { content?: unknown }): string {
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return content.map((c) => (c.type === "text" ? (c.text ?? "") : `[${c.type}]`)).join("\n");
}

/** A JSON-RPC peer on raw streams: sends lines (valid or not) and collects the proxy's answers by id. */
export class RawPeer {
  readonly messages: Record<string, unknown>[] = [];
  #buffer = "";
  #waiters: (() => void)[] = [];
  constructor(
    readonly toProxy: NodeJS.WritableStream,
    fromProxy: NodeJS.ReadableStream,
  ) {
    fromProxy.on("data", (c: Buffer) => {
      this.#buffer += c.toString("utf8");
      let nl: number;
      while ((nl = this.#buffer.indexOf("\n")) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        this.messages.push(JSON.parse(line) as Record<string, unknown>);
        for (const w of this.#waiters.splice(0)) w();
      }
    });
  }

  line(text: string): void {
    this.toProxy.write(`${text}\n`);
  }

  /** The message answering `id`, waiting up to `ms`. */
  async answer(id: number | string | null, ms = 20_000): Promise<Record<string, unknown>> {
    const until = Date.now() + ms;
    for (;;) {
      const found = this.messages.find((m) => m["id"] === id && ("result" in m || "error" in m));
      if (found !== undefined) return found;
      if (Date.now() > until) throw new Error(`no answer to ${String(id)}; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async request(id: number, method: string, params?: unknown): Promise<Record<string, unknown>> {
    this.line(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params !== undefined ? { params } : {}) }));
    return this.answer(id);
  }

  async initialize(): Promise<void> {
    await this.request(0, "initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } });
    this.line(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  }
}

/** The entry point of a server package from npm (its `bin`). */
export function serverEntry(pkg: string): string {
  const manifest = require(`${pkg}/package.json`) as { bin: string | Record<string, string> };
  const bin = typeof manifest.bin === "string" ? manifest.bin : Object.values(manifest.bin)[0]!;
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), bin);
}

/**
 * A proxy in this process serving a raw 2025-era client over in-memory stdio (memory store, no reload watcher, the
 * upstream's stderr dropped, ACTOR as the actor), initialized; the log lines it wrote are in `logs`.
 */
export async function rawStdioProxy(options: Pick<ProxyOptions, "policies" | "cwd" | "upstream"> & Partial<ProxyOptions>): Promise<{ proxy: RunningProxy; peer: RawPeer; logs: string[] }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const logs: string[] = [];
  const proxy = await startProxy({
    // a remote decision service keeps the state; without one, the store is in memory
    ...(options.server === undefined ? { memory: true } : {}),
    identities: { default: { actor: ACTOR }, clients: new Map() },
    watch: false,
    upstreamStderr: "ignore",
    log: (l) => void logs.push(l),
    ...options,
    stdio: { stdin, stdout },
  });
  const peer = new RawPeer(stdin, stdout);
  await peer.initialize();
  return { proxy, peer, logs };
}
