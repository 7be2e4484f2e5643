// The client side over stdio: newline-delimited JSON-RPC on the proxy's stdin and stdout, as the SDK's
// StdioServerTransport, except that every line that is not a JSON-RPC message is answered. The SDK's reader skips a
// line that is not JSON and reports one that is not JSON-RPC, answering neither, so a client waiting on it would
// hang; JSON-RPC 2.0 answers a parse error (-32700) or an invalid request (-32600) with id null. Nothing malformed is
// ever forwarded.
import { deserializeMessage, serializeMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE, type JSONRPCMessage, type Transport } from "@modelcontextprotocol/server";

export class LineTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport["onmessage"];
  #buffer = "";
  #closed = false;

  constructor(
    private readonly stdin: NodeJS.ReadableStream,
    private readonly stdout: NodeJS.WritableStream,
    private readonly onMalformed: (why: string) => void,
  ) {}

  readonly #ondata = (chunk: Buffer | string): void => {
    this.#buffer += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    let nl: number;
    while ((nl = this.#buffer.indexOf("\n")) >= 0) {
      const line = this.#buffer.slice(0, nl).replace(/\r$/, "");
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line.trim() !== "") this.#line(line);
    }
    if (this.#buffer.length > STDIO_DEFAULT_MAX_BUFFER_SIZE) {
      this.#buffer = "";
      this.#refuse(-32600, "Invalid Request: a message over the size limit", "a line over the size limit");
    }
  };
  readonly #onend = (): void => void this.close();
  readonly #onerror = (e: Error): void => this.onerror?.(e);

  #line(line: string): void {
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch (e: unknown) {
      if (e instanceof SyntaxError) this.#refuse(-32700, `Parse error: ${e.message}`, `not JSON: ${e.message}`);
      else this.#refuse(-32600, "Invalid Request: not a JSON-RPC 2.0 message", "not a JSON-RPC message");
      return;
    }
    this.onmessage?.(message);
  }

  #refuse(code: number, message: string, why: string): void {
    this.onMalformed(why);
    void this.send({ jsonrpc: "2.0", id: null, error: { code, message } } as unknown as JSONRPCMessage).catch(() => undefined);
  }

  async start(): Promise<void> {
    this.stdin.on("data", this.#ondata);
    this.stdin.on("end", this.#onend);
    this.stdin.on("close", this.#onend);
    this.stdin.on("error", this.#onerror);
    this.stdout.on("error", this.#onerror);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the client's stdio is closed"));
    return new Promise((resolve, reject) => {
      const ok = this.stdout.write(serializeMessage(message), (e) => (e ? reject(e) : undefined));
      if (ok) resolve();
      else this.stdout.once("drain", () => resolve());
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.stdin.off("data", this.#ondata);
    this.stdin.off("end", this.#onend);
    this.stdin.off("close", this.#onend);
    this.stdin.off("error", this.#onerror);
    this.stdout.off("error", this.#onerror);
    this.onclose?.();
  }
}
