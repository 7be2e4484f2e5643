// The upstream server over stdio: the SDK Client's transport, with a raw lane beside it for the hot request. The
// Client (initialize, lists, notifications, everything but a plain tools/call) sees the wire as through the SDK's
// StdioClientTransport: newline-delimited JSON-RPC, each message validated before it is handed over. A raw request
// (`request`) goes out under an id of the proxy's own ("xpol-N", never a number the Client uses) and its response is
// taken off the wire before the Client's validation and result decoding: the proxy forwards the result verbatim and
// the client validates it itself, so the per-call work is one JSON.parse and a shape check. Writes made in one turn
// of the event loop go out in one write (16 calls in flight cost one syscall, not 16).
import { spawn, type ChildProcess } from "node:child_process";
import { parseJSONRPCMessage, ProtocolError, SdkError, SdkErrorCode, STDIO_DEFAULT_MAX_BUFFER_SIZE, type JSONRPCMessage, type Transport } from "@modelcontextprotocol/client";
import { getDefaultEnvironment } from "@modelcontextprotocol/client/stdio";

export interface UpstreamStdioParams {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly stderr: "inherit" | "ignore" | "pipe";
}

interface Pending {
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export class UpstreamStdioTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport["onmessage"];
  #child: ChildProcess | null = null;
  #buffer = "";
  #out = "";
  #flushing = false;
  #next = 0;
  readonly #pending = new Map<string, Pending>();

  constructor(private readonly params: UpstreamStdioParams) {}

  start(): Promise<void> {
    if (this.#child !== null) return Promise.reject(new Error("the upstream transport is already started"));
    return new Promise((resolve, reject) => {
      const child = spawn(this.params.command, [...this.params.args], {
        env: { ...getDefaultEnvironment(), ...this.params.env },
        stdio: ["pipe", "pipe", this.params.stderr],
        shell: false,
        ...(this.params.cwd !== undefined ? { cwd: this.params.cwd } : {}),
      });
      this.#child = child;
      child.on("error", (e) => {
        reject(e);
        this.onerror?.(e);
      });
      child.on("spawn", () => resolve());
      child.on("close", () => {
        this.#child = null;
        this.#failPending(new SdkError(SdkErrorCode.ConnectionClosed, "Connection closed"));
        this.onclose?.();
      });
      child.stdin!.on("error", (e) => this.onerror?.(e));
      child.stdout!.setEncoding("utf8");
      child.stdout!.on("data", (chunk: string) => this.#ondata(chunk));
      child.stdout!.on("error", (e) => this.onerror?.(e));
    });
  }

  /** The server's stderr when it is piped. */
  get stderr(): NodeJS.ReadableStream | null {
    return this.#child?.stderr ?? null;
  }

  /**
   * One request on the raw lane: resolves with the result object as the server sent it, rejects with the server's
   * JSON-RPC error (a ProtocolError), a timeout, the signal's abort (the server is told with notifications/cancelled)
   * or the connection's end.
   */
  request(method: string, params: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    if (this.#child === null) return Promise.reject(new SdkError(SdkErrorCode.NotConnected, "Not connected"));
    const id = `xpol-${++this.#next}`;
    return new Promise((resolve, reject) => {
      const cancel = (reason: Error): void => {
        const p = this.#pending.get(id);
        if (p === undefined) return;
        this.#settle(id);
        this.#write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: reason.message } }) + "\n");
        p.reject(reason);
      };
      const timer = setTimeout(() => cancel(new SdkError(SdkErrorCode.RequestTimeout, "Request timed out", { timeout: timeoutMs })), timeoutMs);
      if (signal !== undefined) {
        if (signal.aborted) {
          clearTimeout(timer);
          reject(signal.reason instanceof Error ? signal.reason : new SdkError(SdkErrorCode.RequestTimeout, String(signal.reason)));
          return;
        }
        const onAbort = (): void => cancel(signal.reason instanceof Error ? signal.reason : new SdkError(SdkErrorCode.RequestTimeout, String(signal.reason)));
        signal.addEventListener("abort", onAbort, { once: true });
        const done = (): void => signal.removeEventListener("abort", onAbort);
        this.#pending.set(id, { resolve: (r) => (done(), resolve(r)), reject: (e) => (done(), reject(e)), timer });
      } else {
        this.#pending.set(id, { resolve, reject, timer });
      }
      this.#write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#child === null) return Promise.reject(new SdkError(SdkErrorCode.NotConnected, "Not connected"));
    this.#write(JSON.stringify(message) + "\n");
    return Promise.resolve();
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#flush();
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    const within = (ms: number) => Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
    try {
      child.stdin?.end();
    } catch {
      // already gone
    }
    await within(2000);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await within(2000);
    }
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    this.#buffer = "";
  }

  #write(line: string): void {
    this.#out += line;
    if (this.#flushing) return;
    this.#flushing = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushing = false;
    const out = this.#out;
    this.#out = "";
    if (out !== "") this.#child?.stdin?.write(out);
  }

  #ondata(chunk: string): void {
    this.#buffer += chunk;
    let start = 0;
    let nl: number;
    while ((nl = this.#buffer.indexOf("\n", start)) >= 0) {
      const line = this.#buffer.slice(start, nl);
      start = nl + 1;
      this.#line(line);
    }
    this.#buffer = start === 0 ? this.#buffer : this.#buffer.slice(start);
    if (this.#buffer.length > STDIO_DEFAULT_MAX_BUFFER_SIZE) {
      this.#buffer = "";
      this.onerror?.(new Error(`the upstream wrote a line over ${STDIO_DEFAULT_MAX_BUFFER_SIZE} characters`));
    }
  }

  #line(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return; // as the SDK's reader: a line that is not JSON (a server's stray output) is skipped
    }
    if (isObject(raw) && typeof raw["id"] === "string" && this.#pending.has(raw["id"]) && !("method" in raw)) {
      this.#answer(raw["id"], raw);
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(raw);
    } catch (e: unknown) {
      this.onerror?.(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.onmessage?.(message);
  }

  #answer(id: string, response: Record<string, unknown>): void {
    const p = this.#pending.get(id)!;
    this.#settle(id);
    const error = response["error"];
    if (isObject(error)) {
      const code = typeof error["code"] === "number" ? error["code"] : -32603;
      p.reject(new ProtocolError(code, typeof error["message"] === "string" ? error["message"] : "the upstream answered with an error", error["data"]));
      return;
    }
    const result = response["result"];
    if (!isObject(result)) {
      p.reject(new SdkError(SdkErrorCode.InvalidResult, "Invalid result: not an object"));
      return;
    }
    p.resolve(result);
  }

  /** Forgets a pending request; false when it was already settled. */
  #settle(id: string): boolean {
    const p = this.#pending.get(id);
    if (p === undefined) return false;
    clearTimeout(p.timer);
    this.#pending.delete(id);
    return true;
  }

  #failPending(e: Error): void {
    for (const [id, p] of [...this.#pending]) {
      this.#settle(id);
      p.reject(e);
    }
  }
}
