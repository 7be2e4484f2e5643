// `xpol mcp`: an MCP server to the client, an MCP client to the upstream server, and a decision service in between.
// The policy, the store (receipts), reloads and the approvals API are the decision service's (@execlayer/server's
// `startServer`, on loopback by default): approvers sign there (`xpol approve --server URL`, or the console), and a
// call waiting with `--wait` wakes when they do. With `--server URL` the decision service is a remote `xpol serve`
// shared by a fleet of proxies (its counters, approvals and receipts); this process then keeps no policy or state. The MCP side is the official SDK's: `serveStdio` or `createMcpHandler`
// (both protocol eras, 2025-11-25 and 2026-07-28, from one factory) and a Client to the upstream.
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { DecideContext } from "execlayer";
import { authenticate, bearerOf, isLoopback, parseListen, readTokensFile, ServeError, startServer, type RunningServer, type TokenEntry } from "@execlayer/server";
import { localhostHostValidation, toNodeHandler, type NodeIncomingMessageLike } from "@modelcontextprotocol/node";
import { createMcpHandler, Server, type McpRequestContext, type ServerCapabilities, type ServerContext, type Tool } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { LineTransport } from "./stdio.ts";
import { STDLIB_MAPPINGS } from "./discover.ts";
import { callContextOf, Governor, upstreamError } from "./governor.ts";
import { LocalDecider, RemoteDecider, type Decider } from "./decider.ts";
import { toolCallLane } from "./lane.ts";
import { SessionHandler } from "./sessions.ts";
import { toDecideContext, type Identities } from "./identity.ts";
import { Upstream, type UpstreamSpec } from "./upstream.ts";
import { packageVersion } from "./version.ts";

export interface ProxyOptions {
  /** `.xpol` files forming one policy, or one bundle `.json` (none with `server`: the remote service's policy decides) */
  readonly policies?: readonly string[];
  /** decide through this remote `xpol serve` (`http://host:port`) instead of a decision service in this process */
  readonly server?: string;
  /** the bearer token (agent role) for `server`, in a file (trimmed) */
  readonly tokenFile?: string;
  /** ms a remote decision may take before the call is denied (default 10 s) */
  readonly serverTimeoutMs?: number;
  /** load only a signed bundle approved by `bundleQuorum` of the policy approvers in this keyring (as `xpol serve`) */
  readonly bundleSigners?: string;
  readonly bundleQuorum?: number;
  readonly cwd?: string;
  /** the durable store's directory (default `xpol-state`): counters, approval requests, the signed receipt log */
  readonly state?: string;
  /** keep state in memory only: no receipts (benchmarks, tests) */
  readonly memory?: boolean;
  /** the durable store's receipts: every one signed (default), or one signed seal per group commit (`xpol serve`'s) */
  readonly signatures?: "per-receipt" | "per-batch";
  /** the durable store's per-receipt signatures on this many worker threads (default 0: the deciding thread) */
  readonly signingThreads?: number;
  /** the server the proxy fronts */
  readonly upstream: UpstreamSpec;
  /** start the upstream again after it exits (default false: later requests get an error naming why it is down) */
  readonly restart?: boolean;
  /** ms an upstream request may take (default 60 s) */
  readonly upstreamTimeoutMs?: number;
  /** the actor and context of every decision (and per token name, for HTTP clients) */
  readonly identities: Identities;
  /** hold a call that needs approval open this long (ms) while approvers sign; absent answers at once */
  readonly waitMs?: number;
  /** while waiting, a progress notification at least this often (ms, default 10 s) */
  readonly heartbeatMs?: number;
  /** leave out of tools/list the tools the policy can never allow */
  readonly hideDenied?: boolean;
  /** serve MCP clients over Streamable HTTP at HOST:PORT instead of stdio */
  readonly listen?: string;
  /** `listen`: end a 2025-era client's session after this long without a request (ms, default 30 min) */
  readonly sessionIdleMs?: number;
  /** bearer tokens (the decision service's format): required for `--listen` beyond loopback and for the approvals API */
  readonly tokensFile?: string;
  /** where the approvals API listens (default 127.0.0.1:0, a free loopback port) */
  readonly approvalsListen?: string;
  /** stdio: the streams to serve on (default the process's) */
  readonly stdio?: { readonly stdin: NodeJS.ReadableStream; readonly stdout: NodeJS.WritableStream };
  /** the log (one line each; default stderr: stdout is the protocol channel) */
  readonly log?: (line: string) => void;
  /** reload the policy when a file changes (default true) */
  readonly watch?: boolean;
  /** the durable store's durability (tests and benchmarks: "none") */
  readonly durability?: "fsync" | "none";
  /** the upstream's stderr (default inherited) */
  readonly upstreamStderr?: "inherit" | "ignore" | "pipe";
}

export interface RunningProxy {
  /** the decision service in this process: policy, store, approvals API (`service.url`); null with `server` */
  readonly service: RunningServer | null;
  /** the base URL of the approvals API approvers sign at: `service.url`, or the remote `server` */
  readonly approvalsUrl: string;
  readonly upstream: Upstream;
  /** `http://host:port/mcp` with `listen`; null on stdio */
  readonly mcpUrl: string | null;
  /** stops serving, closes the upstream and the store */
  close(): Promise<void>;
}

/**
 * A policy that maps none of the server's tools denies every call (fail closed); say so at start, naming the
 * standard library's module when the server is one it knows by name.
 */
async function warnUnmapped(upstream: Upstream, service: RunningServer, log: (line: string) => void): Promise<void> {
  if (upstream.info.capabilities.tools === undefined) return;
  try {
    const { tools } = await upstream.forward((c, o) => c.listTools(undefined, { ...o, cacheMode: "bypass" }));
    const mapper = service.state.holder.policy.toolMapper;
    const unmapped = tools.filter((t) => !mapper.tools.includes(t.name) && mapper.aliases?.has(t.name) !== true).map((t) => t.name);
    if (unmapped.length === 0) return;
    const name = upstream.info.version?.name ?? "";
    const std = STDLIB_MAPPINGS[name];
    const hint = std !== undefined ? `; the standard library maps \`${name}\`'s tools: \`import ${std}\`` : "; `xpol mcp discover` writes a starter policy";
    log(`the policy maps ${unmapped.length === tools.length ? "none" : `${tools.length - unmapped.length} of ${tools.length}`} of the server's tools: calls to ${unmapped.slice(0, 8).join(", ")}${unmapped.length > 8 ? ", ..." : ""} are denied${hint}`);
  } catch {
    // the tool list is advisory here; a server that cannot list its tools is reported by the first call
  }
}

/** Notifications an upstream sends on its own that the proxy relays to its clients. */
const RELAYED = new Set(["notifications/tools/list_changed", "notifications/resources/list_changed", "notifications/prompts/list_changed", "notifications/resources/updated", "notifications/message"]);

/** The capabilities the proxy offers: the upstream's, for the methods it forwards. */
function mirrored(up: ServerCapabilities): ServerCapabilities {
  const c: ServerCapabilities = {};
  if (up.tools !== undefined) c.tools = {};
  if (up.resources !== undefined) c.resources = up.resources.subscribe === true ? { subscribe: true } : {};
  if (up.prompts !== undefined) c.prompts = {};
  if (up.completions !== undefined) c.completions = {};
  if (up.logging !== undefined) c.logging = {};
  return c;
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const cwd = options.cwd ?? process.cwd();
  const log = options.log ?? ((line: string) => void process.stderr.write(`xpol mcp: ${line}\n`));
  let listen: { host: string; port: number } | null = null;
  let tokens: TokenEntry[] | null = null;
  if (options.listen !== undefined) {
    listen = parseListen(options.listen);
    if (listen === null) throw new ServeError("XP8211", `refusing to start: \`--listen ${options.listen}\` is not HOST:PORT`, 2);
  }
  if (options.tokensFile !== undefined) {
    const t = readTokensFile(path.resolve(cwd, options.tokensFile));
    if (!t.ok) throw new ServeError("XP8211", `refusing to start: ${t.error}`, 3);
    tokens = t.value;
  }
  if (listen !== null && tokens === null && !isLoopback(listen.host)) {
    throw new ServeError("XP8211", `refusing to start: \`${listen.host}\` is reachable from other machines; give --tokens FILE to listen there`, 2);
  }

  let remote: RemoteDecider | null = null;
  if (options.server !== undefined) {
    const refused = (["policies", "state", "memory", "signatures", "signingThreads", "bundleSigners", "bundleQuorum", "approvalsListen", "hideDenied"] as const).filter((k) => {
      const v = options[k];
      return v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
    });
    if (refused.length > 0) throw new ServeError("XP8211", `refusing to start: with a remote decision service (--server) its policy, state and approvals serve; do not give ${refused.join(", ")}`, 2);
    let url: URL;
    try {
      url = new URL(options.server);
    } catch {
      url = new URL("invalid:");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new ServeError("XP8211", `refusing to start: \`--server ${options.server}\` is not an http(s) URL`, 2);
    let token: string | null = null;
    if (options.tokenFile !== undefined) {
      try {
        token = readFileSync(path.resolve(cwd, options.tokenFile), "utf8").trim();
      } catch (e: unknown) {
        throw new ServeError("XP8211", `refusing to start: cannot read the token file \`${options.tokenFile}\`: ${e instanceof Error ? e.message : String(e)}`, 3);
      }
      if (token === "") throw new ServeError("XP8211", `refusing to start: the token file \`${options.tokenFile}\` is empty`, 2);
    }
    remote = new RemoteDecider({ url: url.href, token, ...(options.serverTimeoutMs !== undefined ? { timeoutMs: options.serverTimeoutMs } : {}) });
  } else if (options.tokenFile !== undefined) {
    throw new ServeError("XP8211", "refusing to start: --token-file goes with --server", 2);
  } else if ((options.policies ?? []).length === 0) {
    throw new ServeError("XP8211", "refusing to start: give the policy (--policy PATH) or a remote decision service (--server URL)", 2);
  }

  // in this process: the policy (refused at start when it does not check), the store and the approvals API
  const service =
    remote !== null
      ? null
      : await startServer({
          policies: options.policies ?? [],
          cwd,
          ...(options.bundleSigners !== undefined ? { bundleSigners: options.bundleSigners } : {}),
          ...(options.bundleQuorum !== undefined ? { bundleQuorum: options.bundleQuorum } : {}),
          ...(options.memory === true ? { memory: true } : { state: options.state ?? "xpol-state" }),
          listen: options.approvalsListen ?? "127.0.0.1:0",
          ...(options.tokensFile !== undefined ? { tokensFile: options.tokensFile } : {}),
          ...(options.watch !== undefined ? { watch: options.watch } : {}),
          ...(options.durability !== undefined ? { durability: options.durability } : {}),
          ...(options.signatures !== undefined ? { signatures: options.signatures } : {}),
          ...(options.signingThreads !== undefined ? { signingThreads: options.signingThreads } : {}),
          logLevel: "warn",
          logDestination: { write: (line: string) => void log(line.trimEnd()) },
        });
  const decider: Decider = remote ?? new LocalDecider(service!);
  const approvalsUrl = remote?.url ?? service!.url;

  // the servers serving clients now (one per stdio connection or 2025-era HTTP session; one per 2026-07-28 HTTP request,
  // gone with its response): what the upstream announces on its own is relayed to them unchanged
  const live = new Set<Server>();
  const upstream = new Upstream(options.upstream, {
    onNotification: (method, params) => {
      if (!RELAYED.has(method)) return;
      for (const s of live) void s.notification({ method, ...(params !== undefined ? { params } : {}) }).catch(() => undefined);
    },
    ...(options.restart !== undefined ? { restart: options.restart } : {}),
    ...(options.upstreamTimeoutMs !== undefined ? { timeoutMs: options.upstreamTimeoutMs } : {}),
    ...(options.upstreamStderr !== undefined ? { stderr: options.upstreamStderr } : {}),
    log,
  });
  try {
    await upstream.start();
  } catch (e: unknown) {
    await service?.close().catch(() => undefined);
    throw new ServeError("XP8208", `refusing to start: ${e instanceof Error ? e.message : String(e)}`, 1);
  }
  if (service !== null) await warnUnmapped(upstream, service, log);
  const governor = new Governor(decider, upstream, { waitMs: options.waitMs ?? null, ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}) });

  /** The actor and context of a request: the token's client's over HTTP, else the configured default. */
  const identityOf = (ctx: ServerContext): DecideContext => {
    const client = ctx.http?.authInfo?.clientId;
    const id = client !== undefined ? (options.identities.clients.get(client) ?? options.identities.default) : options.identities.default;
    return toDecideContext(id);
  };

  const fwd = <T>(run: Parameters<Upstream["forward"]>[0] extends (c: infer C, o: infer O) => Promise<unknown> ? (c: C, o: O) => Promise<T> : never, ctx: ServerContext): Promise<T> =>
    upstream.forward(run, ctx.mcpReq.signal).catch((e: unknown) => {
      throw upstreamError(e, upstream.timeoutMs);
    });

  /**
   * A tool the policy can never allow: no mapping names it (an unmapped tool is denied), or no rule on its action type
   * can allow it or ask for approval (an action no rule allows is denied). Computed per policy, so a reload counts.
   */
  let allowable: { digest: string; names: ReadonlySet<string> } | null = null;
  const mayBeAllowed = (tool: Tool): boolean => {
    if (service === null) return true;
    const policy = service.state.holder.policy;
    if (allowable?.digest !== policy.digest) {
      const permissive = new Set(policy.checked.rules.filter((r) => [r.effect, r.otherwise].some((e) => e !== null && e.kind !== "deny")).flatMap((r) => r.actionTypes));
      const names = new Set<string>();
      for (const t of policy.checked.tools.values()) if (permissive.has(t.action)) for (const n of [t.tool, ...t.names]) names.add(n);
      allowable = { digest: policy.digest, names };
    }
    return allowable.names.has(tool.name);
  };

  const newServer = (): Server => {
    const info = upstream.info;
    const caps = mirrored(info.capabilities);
    const server = new Server(
      { name: info.version?.name ?? "xpol-mcp", version: info.version?.version ?? packageVersion() },
      { capabilities: caps, ...(info.instructions !== undefined ? { instructions: info.instructions } : {}) },
    );
    if (caps.tools !== undefined) {
      server.setRequestHandler("tools/list", async (req, ctx) => {
        const r = await fwd((c, o) => c.listTools(req.params, { ...o, cacheMode: "bypass" }), ctx);
        return options.hideDenied === true ? { ...r, tools: r.tools.filter(mayBeAllowed) } : r;
      });
      server.setRequestHandler("tools/call", (req, ctx) => governor.callTool(req.params, identityOf(ctx), callContextOf(ctx)));
    }
    if (caps.resources !== undefined) {
      server.setRequestHandler("resources/list", (req, ctx) => fwd((c, o) => c.listResources(req.params, { ...o, cacheMode: "bypass" }), ctx));
      server.setRequestHandler("resources/templates/list", (req, ctx) => fwd((c, o) => c.listResourceTemplates(req.params, { ...o, cacheMode: "bypass" }), ctx));
      server.setRequestHandler("resources/read", (req, ctx) => governor.readResource(req.params, identityOf(ctx), ctx));
    }
    if (caps.prompts !== undefined) {
      server.setRequestHandler("prompts/list", (req, ctx) => fwd((c, o) => c.listPrompts(req.params, { ...o, cacheMode: "bypass" }), ctx));
      server.setRequestHandler("prompts/get", (req, ctx) => fwd((c, o) => c.getPrompt(req.params, o), ctx));
    }
    if (caps.completions !== undefined) {
      server.setRequestHandler("completion/complete", (req, ctx) => fwd((c, o) => c.complete(req.params, o), ctx));
    }
    if (caps.logging !== undefined) {
      server.setRequestHandler("logging/setLevel", (req, ctx) => fwd((c, o) => c.setLoggingLevel(req.params.level, o), ctx));
    }
    live.add(server);
    server.onclose = () => void live.delete(server);
    return server;
  };
  const factory = (_ctx: McpRequestContext): Server => newServer();

  let stop: () => Promise<void>;
  let mcpUrl: string | null = null;
  if (listen === null) {
    const transport = new LineTransport(options.stdio?.stdin ?? process.stdin, options.stdio?.stdout ?? process.stdout, (why) => log(`client sent a malformed message (answered with an error): ${why}`));
    if (upstream.info.capabilities.tools !== undefined) transport.intercept = toolCallLane(transport, governor, toDecideContext(options.identities.default));
    const handle = serveStdio(factory, { transport, onerror: (e) => log(`client: ${e.message}`) });
    stop = () => handle.close();
  } else {
    const onerror = (e: Error): void => log(`client: ${e.message}`);
    // 2026-07-28 requests stateless; 2025-era clients get the protocol's sessions (sessions.ts)
    const handler = new SessionHandler(newServer, createMcpHandler(factory, { legacy: "reject", onerror }), onerror, options.sessionIdleMs);
    const serve = toNodeHandler(handler);
    const hostOk = isLoopback(listen.host) ? localhostHostValidation() : null;
    const httpServer = http.createServer((req, res) => {
      if (hostOk !== null && !hostOk(req, res)) return;
      if (new URL(req.url ?? "/", "http://x").pathname !== "/mcp") {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found: the MCP endpoint is /mcp" }));
        return;
      }
      if (tokens !== null) {
        const token = bearerOf(req.headers.authorization);
        const caller = token === null ? null : authenticate(tokens, token);
        if (caller === null || !caller.roles.includes("agent")) {
          res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" }).end(JSON.stringify({ error: "a bearer token with the agent role is required" }));
          return;
        }
        (req as http.IncomingMessage & { auth?: unknown }).auth = { token, clientId: caller.name, scopes: [] };
      }
      void serve(req as NodeIncomingMessageLike, res).catch((e: unknown) => {
        log(`http: ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", reject);
      httpServer.listen(listen.port, listen.host, () => resolve());
    }).catch(async (e: unknown) => {
      await upstream.close();
      await service?.close();
      throw new ServeError("XP8211", `refusing to start: cannot listen on ${options.listen}: ${e instanceof Error ? e.message : String(e)}`, 1);
    });
    const a = httpServer.address() as AddressInfo;
    mcpUrl = `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}/mcp`;
    stop = async () => {
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await handler.close();
    };
  }

  let closing: Promise<void> | null = null;
  return {
    service,
    approvalsUrl,
    upstream,
    mcpUrl,
    close: () =>
      (closing ??= (async () => {
        await stop().catch(() => undefined);
        await upstream.close();
        await service?.close();
      })()),
  };
}
