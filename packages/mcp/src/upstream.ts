// The upstream MCP server: one SDK Client over stdio (a child process the proxy starts) or Streamable HTTP. It counts
// what it forwards, bounds every call with a timeout (a hung server answers the client with an error, the proxy stays
// up), and notices when the server goes away (a crash closes the transport). With `restart`, the next request starts
// it again; without, every later request is answered with the reason it is down.
import { Client, SdkError, SdkErrorCode, StreamableHTTPClientTransport, SUPPORTED_PROTOCOL_VERSIONS, type CallToolResult, type Implementation, type ServerCapabilities } from "@modelcontextprotocol/client";
import { abortSignalOf, UpstreamStdioTransport, type CancelSignal } from "./upstream-stdio.ts";
import { packageVersion } from "./version.ts";

export type UpstreamSpec =
  | { readonly kind: "stdio"; readonly command: string; readonly args: readonly string[]; readonly cwd?: string; readonly env?: Readonly<Record<string, string>> }
  | { readonly kind: "http"; readonly url: string; readonly headers?: Readonly<Record<string, string>> };

export interface UpstreamOptions {
  /** start the server again on the next request after it exits (default false) */
  readonly restart?: boolean;
  /** ms an upstream request may take before the client is answered with an error (default 60 s) */
  readonly timeoutMs?: number;
  /** ms the server may take to start and answer initialize (default 30 s, or the request timeout when longer) */
  readonly connectTimeoutMs?: number;
  /** the upstream's stderr (stdio): "inherit" (default) passes it to the proxy's stderr */
  readonly stderr?: "inherit" | "ignore" | "pipe";
  /** notifications the upstream sends unprompted (list changes, resource updates, log messages) */
  readonly onNotification?: (method: string, params: Record<string, unknown> | undefined) => void;
  readonly log?: (line: string) => void;
}

/** Why the upstream could not serve a request (a message for the client). */
export class UpstreamUnavailable extends Error {}

/** A progress notification's fields (less the token) from the server, for the call it is about. */
export type Progress = { progress: number; total?: number | undefined; message?: string | undefined };

export class Upstream {
  #client: Client | null = null;
  /** the raw lane of a stdio server speaking a 2025-era revision (null otherwise: every call goes through the Client) */
  #raw: UpstreamStdioTransport | null = null;
  #connecting: Promise<Client> | null = null;
  /** why the server is down, while it is */
  #down: string | null = null;
  #closed = false;
  #forwarded = 0;
  #info: { capabilities: ServerCapabilities; version: Implementation | undefined; instructions: string | undefined } | null = null;

  constructor(
    readonly spec: UpstreamSpec,
    readonly options: UpstreamOptions = {},
  ) {}

  /** Requests forwarded to the server (every kind); a test's proof that nothing undecided went through. */
  get forwarded(): number {
    return this.#forwarded;
  }

  /** The server's capabilities and identity as it announced them at the first connection. */
  get info(): { capabilities: ServerCapabilities; version: Implementation | undefined; instructions: string | undefined } {
    if (this.#info === null) throw new Error("the upstream has not connected yet");
    return this.#info;
  }

  get timeoutMs(): number {
    return this.options.timeoutMs ?? 60_000;
  }

  /** Connects the first time; throws UpstreamUnavailable with the reason when the server cannot be reached. */
  async start(): Promise<void> {
    const c = await this.#connect();
    this.#info = { capabilities: c.getServerCapabilities() ?? {}, version: c.getServerVersion(), instructions: c.getInstructions() };
  }

  /**
   * Runs one request on the connected client. Only call it for a request that may reach the server (a decided
   * tools/call or resources/read, or a method that is not governed). Counts it, and bounds it by the timeout.
   */
  async forward<T>(run: (client: Client, options: { timeout: number; signal?: AbortSignal }) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const client = await this.#ready();
    this.#forwarded++;
    return run(client, { timeout: this.timeoutMs, ...(signal !== undefined ? { signal } : {}) });
  }

  /**
   * Runs one decided tools/call. A stdio server of the 2025 era without progress asked for takes the raw lane: the
   * result goes back as the server wrote it after a shape check (the SDK Client's schema and outputSchema
   * validation is the client's to do, on what it receives); anything else goes through the SDK Client's callTool.
   */
  async callTool(name: string, args: Record<string, unknown>, signal: CancelSignal | undefined, onprogress?: (p: Progress) => void): Promise<CallToolResult> {
    const client = this.#client ?? (await this.#ready());
    // cancelled while it was being decided: it never leaves
    if (signal?.aborted === true) throw signal.reason instanceof Error ? signal.reason : new Error("cancelled by the client");
    this.#forwarded++;
    const raw = this.#raw;
    if (raw !== null && onprogress === undefined) {
      const result = await raw.request("tools/call", { name, arguments: args }, this.timeoutMs, signal);
      const bad = callToolResultProblem(result);
      if (bad !== null) throw new SdkError(SdkErrorCode.InvalidResult, `Invalid tools/call result: ${bad}`);
      return result as CallToolResult;
    }
    const options = { timeout: this.timeoutMs, ...(signal !== undefined ? { signal: abortSignalOf(signal) } : {}), ...(onprogress !== undefined ? { onprogress } : {}) };
    return client.callTool({ name, arguments: args }, options);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const c = this.#client;
    this.#client = null;
    this.#raw = null;
    await c?.close().catch(() => undefined);
  }

  async #ready(): Promise<Client> {
    if (this.#client !== null) return this.#client;
    if (this.#closed) throw new UpstreamUnavailable("the proxy is closing");
    if (this.#down !== null && this.options.restart !== true) throw new UpstreamUnavailable(`the upstream MCP server is down: ${this.#down}`);
    return this.#connect();
  }

  #connect(): Promise<Client> {
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #open(): Promise<Client> {
    const client = new Client({ name: "xpol-mcp", version: packageVersion() }, { capabilities: {} });
    const stdio =
      this.spec.kind === "stdio"
        ? new UpstreamStdioTransport({
            command: this.spec.command,
            args: this.spec.args,
            ...(this.spec.cwd !== undefined ? { cwd: this.spec.cwd } : {}),
            ...(this.spec.env !== undefined ? { env: this.spec.env } : {}),
            stderr: this.options.stderr ?? "inherit",
          })
        : null;
    const spec = this.spec;
    const transport =
      spec.kind === "stdio"
        ? stdio!
        : new StreamableHTTPClientTransport(new URL(spec.url), spec.headers !== undefined ? { requestInit: { headers: { ...spec.headers } } } : undefined);
    client.onclose = () => {
      if (this.#client === client) {
        this.#client = null;
        this.#raw = null;
        this.#down = "it closed the connection (exited or crashed)";
        this.options.log?.(`upstream closed the connection${this.options.restart === true ? "; it starts again on the next request" : ""}`);
      }
    };
    client.onerror = (e: Error) => this.options.log?.(`upstream transport error: ${e.message}`);
    client.fallbackNotificationHandler = async (n) => {
      this.options.onNotification?.(n.method, n.params as Record<string, unknown> | undefined);
    };
    try {
      await client.connect(transport, { timeout: this.options.connectTimeoutMs ?? Math.max(this.timeoutMs, 30_000) });
    } catch (e: unknown) {
      await client.close().catch(() => undefined);
      const why = e instanceof Error ? e.message : String(e);
      this.#down = `it could not be started or did not answer initialize: ${why}`;
      throw new UpstreamUnavailable(`the upstream MCP server is unavailable: ${why}`);
    }
    this.#client = client;
    const version = client.getNegotiatedProtocolVersion();
    this.#raw = stdio !== null && version !== undefined && SUPPORTED_PROTOCOL_VERSIONS.includes(version) ? stdio : null;
    this.#down = null;
    return client;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** What is wrong with a tools/call result's shape (null: nothing): the checks a forwarder needs, not the full schema. */
export function callToolResultProblem(r: Record<string, unknown>): string | null {
  const content = r["content"];
  if (content !== undefined) {
    if (!Array.isArray(content)) return "content is not a list";
    for (const c of content) if (!isObject(c) || typeof c["type"] !== "string") return "a content block has no type";
  }
  if (r["isError"] !== undefined && typeof r["isError"] !== "boolean") return "isError is not a boolean";
  if (r["_meta"] !== undefined && !isObject(r["_meta"])) return "_meta is not an object";
  return null;
}
