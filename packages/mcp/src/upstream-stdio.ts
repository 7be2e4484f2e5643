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
  /** when it times out (ms since the epoch) */
  readonly deadline: number;
  readonly timeoutMs: number;
  /** the caller's signal and the listener on it, removed when the request settles */
  readonly signal: CancelSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/** What cancels a raw request: an AbortSignal, or a Cancellation (the same surface, a fraction of the cost). */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** A cancel signal for the proxy's own calls: an AbortController allocates an EventTarget per call, this does not. */
export class Cancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  /** one listener (a call's usual number) is held without an array */
  #listeners: (() => void) | (() => void)[] | null = null;

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = null;
    if (typeof listeners === "function") listeners();
    else for (const l of listeners ?? []) l();
  }

  addEventListener(_type: "abort", listener: () => void): void {
    const l = this.#listeners;
    this.#listeners = l === null ? listener : typeof l === "function" ? [l, listener] : (l.push(listener), l);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const l = this.#listeners;
    if (l === listener) this.#listeners = null;
    else if (Array.isArray(l)) {
      const i = l.indexOf(listener);
      if (i >= 0) l.splice(i, 1);
    }
  }
}

/** The signal as an AbortSignal (for the SDK's calls). */
export function abortSignalOf(signal: CancelSignal): AbortSignal {
  if (signal instanceof AbortSignal) return signal;
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}

const reasonOf = (signal: CancelSignal): Error => (signal.reason instanceof Error ? signal.reason : new SdkError(SdkErrorCode.RequestTimeout, String(signal.reason)));

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
  /** in the order sent: with one timeout for all, the first is the next to time out */
  readonly #pending = new Map<string, Pending>();
  /** one timer for every pending request (not one each), due at `#due` */
  #timer: NodeJS.Timeout | null = null;
  #due = Infinity;

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
  request(method: string, params: Record<string, unknown>, timeoutMs: number, signal?: CancelSignal): Promise<Record<string, unknown>> {
    if (this.#child === null) return Promise.reject(new SdkError(SdkErrorCode.NotConnected, "Not connected"));
    if (signal?.aborted === true) return Promise.reject(reasonOf(signal));
    const id = `xpol-${++this.#next}`;
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      let onAbort: (() => void) | undefined;
      if (signal !== undefined) {
        onAbort = (): void => this.#cancel(id, reasonOf(signal));
        signal.addEventListener("abort", onAbort, { once: true });
      }
      this.#pending.set(id, { resolve, reject, deadline, timeoutMs, signal, onAbort });
      if (deadline < this.#due) this.#arm(deadline);
      this.#write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
    });
  }

  /** Takes a pending request off the books (its abort listener too); undefined when it is not pending. */
  #take(id: string): Pending | undefined {
    const p = this.#pending.get(id);
    if (p === undefined) return undefined;
    this.#pending.delete(id);
    if (p.onAbort !== undefined) p.signal!.removeEventListener("abort", p.onAbort);
    return p;
  }

  /** Gives up on a pending request: the server is told (notifications/cancelled), the caller gets `reason`. */
  #cancel(id: string, reason: Error): void {
    const p = this.#take(id);
    if (p === undefined) return;
    this.#write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: reason.message } }) + "\n");
    p.reject(reason);
  }

  #arm(due: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = setTimeout(this.#expire, Math.max(0, due - Date.now()));
    this.#timer.unref();
  }

  readonly #expire = (): void => {
    this.#timer = null;
    this.#due = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [id, p] of [...this.#pending]) {
      if (p.deadline <= now) this.#cancel(id, new SdkError(SdkErrorCode.RequestTimeout, "Request timed out", { timeout: p.timeoutMs }));
      else next = Math.min(next, p.deadline);
    }
    if (next !== Infinity) this.#arm(next);
  };

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#child === null) return Promise.reject(new SdkError(SdkErrorCode.NotConnected, "Not connected"));
    this.#write(JSON.stringify(message) + "\n");
    return Promise.resolve();
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
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
    this.#buffer = this.#buffer === "" ? chunk : this.#buffer + chunk;
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
    // The SDK Client handles a notification a microtask or more later but a response at once, and forgets a request's
    // progress token with its response: a progress notification the server sent just before its result would be
    // dropped as unknown. A response to the Client waits for the next turn, after the notifications before it.
    if ("method" in message) this.onmessage?.(message);
    else setImmediate(() => this.onmessage?.(message));
  }

  #answer(id: string, response: Record<string, unknown>): void {
    const p = this.#take(id)!;
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

  #failPending(e: Error): void {
    for (const id of [...this.#pending.keys()]) this.#take(id)?.reject(e);
  }
}
