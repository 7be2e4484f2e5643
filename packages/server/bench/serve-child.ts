// The service under load, in its own process so the load generator does not share its event loop: the invoice
// example policy, a memory store ("stateless") or the durable store with fsync'd receipts, and the no-op route.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../src/index.ts";

const mode = process.argv[2] === "durable" ? "durable" : "memory";
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "xpol-bench-http-"));
const server = await startServer({
  policies: [path.resolve(here, "../../execlayer/examples/invoices/invoices.xpol")],
  ...(mode === "memory" ? { memory: true } : { state: path.join(dir, "state"), durability: "fsync", signingThreads: Number(process.env["XPOL_BENCH_SIGNING_THREADS"] ?? "0") }),
  listen: "127.0.0.1:0",
  watch: false,
  benchNoop: true,
});
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => {
  void server.close().then(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
