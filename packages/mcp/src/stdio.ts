// The client side over stdio: newline-delimited JSON-RPC on the proxy's stdin and stdout, as the SDK's
// StdioServerTransport, except that every line that is not a JSON-RPC message is answered. The SDK's reader skips a
// line that is not JSON and reports one that is not JSON-RPC, answering neither, so a client waiting on it would
// hang; JSON-RPC 2.0 answers a parse error (-32700) or an invalid request (-32600) with id null. Nothing malformed is
// ever forwarded. Two more things the proxy's hot path needs: a message can be taken off the line before the SDK
// sees it (`intercept`, the proxy's tools/call lane), and the messages sent in one turn of the event loop go out in
// one write.
import { parseJSONRPCMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage, type Transport } from "@modelcontextprotocol/server";

/** A JSON object as it came off the line, before any validation. */
export type RawMessage = Record<string, unknown>;

export class LineTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport["onmessage"];
  /** sees every JSON object the client sends before the SDK does; true takes it (the SDK never sees it) */
  intercept: ((message: RawMessage) => boolean) | undefined;
  #buffer = "";
  #closed = false;
  #out = "";
  #flushing = false;
  /** the id of the client's initialize request, until it is answered */
  #initialize: unknown = undefined;
  #legacy = false;

  constructor(
    private readonly stdin: NodeJS.ReadableStream,
    private readonly stdout: NodeJS.WritableStream,
    private readonly onMalformed: (why: string) => void,
  ) {}

  readonly #ondata = (chunk: Buffer | string): void => {
    const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
    // the lines are cut from one string by index (no re-slicing of the rest, no regex per line)
    const buffer = this.#buffer === "" ? text : this.#buffer + text;
    let start = 0;
    let nl: number;
    while ((nl = buffer.indexOf("\n", start)) >= 0) {
      const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl; // a CR before the LF is dropped
      const line = buffer.slice(start, end);
      start = nl + 1;
      // a line that opens an object is not blank (the common case skips trim's copy)
      if (line.charCodeAt(0) === 123 || line.trim() !== "") this.#line(line);
    }
    this.#buffer = start === 0 ? buffer : buffer.slice(start);
    if (this.#buffer.length > STDIO_DEFAULT_MAX_BUFFER_SIZE) {
      this.#buffer = "";
      this.#refuse(-32600, "Invalid Request: a message over the size limit", "a line over the size limit");
    }
  };
  readonly #onend = (): void => void this.close();
  readonly #onerror = (e: Error): void => this.onerror?.(e);

  /** The client settled on a 2025-era revision (initialize answered): requests carry no per-request envelope. */
  get legacy(): boolean {
    return this.#legacy;
  }

  #line(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e: unknown) {
      this.#refuse(-32700, `Parse error: ${(e as Error).message}`, `not JSON: ${(e as Error).message}`);
      return;
    }
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
      const m = raw as RawMessage;
      if (this.intercept?.(m) === true) return;
      if (m["method"] === "initialize") this.#initialize = m["id"];
    }
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(raw);
    } catch {
      this.#refuse(-32600, "Invalid Request: not a JSON-RPC 2.0 message", "not a JSON-RPC message");
      return;
    }
    this.onmessage?.(message);
  }

  #refuse(code: number, message: string, why: string): void {
    this.onMalformed(why);
    this.deliver({ jsonrpc: "2.0", id: null, error: { code, message } } as unknown as JSONRPCMessage);
  }

  async start(): Promise<void> {
    this.stdin.on("data", this.#ondata);
    this.stdin.on("end", this.#onend);
    this.stdin.on("close", this.#onend);
    this.stdin.on("error", this.#onerror);
    this.stdout.on("error", this.#onerror);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.deliver(message) ? Promise.resolve() : Promise.reject(new Error("the client's stdio is closed"));
  }

  /** `send` without a promise (the lane's answers, one per call): false when the stdio is closed. */
  deliver(message: JSONRPCMessage): boolean {
    if (this.#closed) return false;
    if (this.#initialize !== undefined && "id" in message && message.id === this.#initialize) {
      this.#initialize = undefined;
      const version = "result" in message ? message.result["protocolVersion"] : undefined;
      this.#legacy = typeof version === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(version);
    }
    this.#out += JSON.stringify(message) + "\n";
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(this.#flush);
    }
    return true;
  }

  readonly #flush = (): void => {
    this.#flushing = false;
    const out = this.#out;
    this.#out = "";
    if (out !== "") this.stdout.write(out, (e) => void (e ? this.onerror?.(e) : undefined));
  };

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.stdin.off("data", this.#ondata);
    this.stdin.off("end", this.#onend);
    this.stdin.off("close", this.#onend);
    this.stdin.off("error", this.#onerror);
    this.stdout.off("error", this.#onerror);
    this.onclose?.();
  }
}
