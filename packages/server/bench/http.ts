// The http bench case: `npm run bench -- --only http` (forwarded by the core's harness) or `npm run bench -w
// @execlayer/server -- [--quick] [--out FILE]`. Drives `xpol serve` with autocannon on the invoice workload (the
// core's 15 proposals: allowed, needing approval, denied) and on the no-op route of the same server, interleaved
// run by run, at 1 and 64 connections, with a memory store (stateless: no receipts) and with the durable store
// (fsync'd, signed receipts). Reports decisions/s, p50/p99 and the decision endpoint's rate as a share of the
// no-op's; the target is at least 60%.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const here = path.dirname(fileURLToPath(import.meta.url));
const TARGET = 0.6;

const ACTOR = { agent: "invoice-bot", on_behalf_of: "alice@example.com" };
const ONE = { assigned_customers: ["c-1"] };
const TWO = { assigned_customers: ["c-1", "c-2", "c-7"] };
const item = (type: string, params: Record<string, unknown>, context = ONE): string =>
  JSON.stringify({
    proposal: { action: { type, target: typeof params["invoice_id"] === "string" ? `invoice/${params["invoice_id"]}` : `customer/${String(params["customer_id"])}`, params } },
    actor: ACTOR,
    context,
  });

/** The core bench's invoice workload (bench/decide.ts), as requests to the service. */
const WORKLOAD: readonly string[] = [
  item("invoice.read", { invoice_id: "inv-1", customer_id: "c-1" }),
  item("invoice.update_status", { invoice_id: "inv-1", customer_id: "c-1", status: "paid" }),
  item("invoice.delete", { invoice_id: "inv-3", customer_id: "c-1" }),
  item("invoice.read", { invoice_id: "inv-2", customer_id: "c-2" }, TWO),
  item("invoice.refund", { invoice_id: "inv-2", customer_id: "c-2" }),
  item("invoice.update_status", { invoice_id: "inv-4", customer_id: "c-2", status: "paid" }, TWO),
  item("invoice.update_status", { invoice_id: "inv-5", customer_id: "c-1", status: "void", note: "duplicate" }),
  item("invoice.update_status", { invoice_id: "inv-6", customer_id: "c-1", status: "refunded" }),
  item("invoice.delete", { invoice_id: "inv-7", customer_id: "c-2", reason: "test data" }, TWO),
  item("invoice.read", { invoice_id: "inv-8" }),
  item("invoice.read", { invoice_id: "inv-9", customer_id: "c-7" }, TWO),
  item("invoice.delete_all", { customer_id: "c-2" }),
  item("invoice.delete_all", { customer_id: "c-1", force: true }),
  item("invoice.update_status", { invoice_id: "inv-10", customer_id: "c-7", status: "disputed" }, TWO),
  item("invoice.update_status", { invoice_id: 42, customer_id: "c-1", status: "paid" }),
];
const NOOP_BODY = WORKLOAD[0]!;

interface Run {
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

async function drive(url: string, pathname: string, bodies: readonly string[], connections: number, seconds: number): Promise<Run> {
  let i = 0;
  const r = await autocannon({
    url: url + pathname,
    connections,
    duration: seconds,
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: [
      {
        method: "POST",
        path: pathname,
        setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length]! }),
      },
    ],
  });
  return { rate: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

function startChild(mode: "memory" | "durable"): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--conditions=@execlayer/source", "--import", "tsx", path.join(here, "serve-child.ts"), mode], {
    cwd: path.resolve(here, ".."),
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let found = false;
    child.stdout!.on("data", (c: Buffer) => {
      if (found) return; // the service's log lines: drained, not kept
      out += c.toString();
      const m = /^(http:\/\/\S+)\n/m.exec(out);
      if (m !== null) {
        found = true;
        resolve({ child, url: m[1]! });
      }
    });
    child.on("exit", (code) => reject(new Error(`the service exited (${code}) before listening`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(argv: readonly string[]): Promise<number> {
  const quick = argv.includes("--quick");
  const outAt = argv.indexOf("--out");
  const out = outAt >= 0 && argv[outAt + 1] !== undefined ? path.resolve(argv[outAt + 1]!) : path.join(here, "results.json");
  const unknown = argv.filter((a, i) => !["--quick", "--out", "--only", "http"].includes(a) && argv[i - 1] !== "--out");
  if (unknown.length > 0) {
    console.error(`unknown option \`${unknown[0]}\` (usage: npm run bench -- --only http [--quick] [--out FILE])`);
    return 2;
  }
  const seconds = quick ? 2 : 4;
  const rounds = quick ? 1 : 3;
  console.log(`http bench: node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}; ${rounds} round(s) of ${seconds} s per figure, decision and no-op interleaved`);
  const results: Record<string, unknown>[] = [];
  let met = true;
  for (const mode of ["memory", "durable"] as const) {
    const { child, url } = await startChild(mode);
    try {
      // warm-up: JIT, connections, the store's first group commits
      await drive(url, "/v1/decisions", WORKLOAD, 8, 1);
      await drive(url, "/bench/noop", [NOOP_BODY], 8, 1);
      for (const connections of [1, 64]) {
        const dec: Run[] = [];
        const noop: Run[] = [];
        for (let r = 0; r < rounds; r++) {
          noop.push(await drive(url, "/bench/noop", [NOOP_BODY], connections, seconds));
          dec.push(await drive(url, "/v1/decisions", WORKLOAD, connections, seconds));
        }
        const rate = median(dec.map((d) => d.rate));
        const noopRate = median(noop.map((d) => d.rate));
        const share = rate / noopRate;
        const ok = share >= TARGET;
        met &&= ok;
        const bad = dec.reduce((n, d) => n + d.non2xx + d.errors, 0) + noop.reduce((n, d) => n + d.non2xx + d.errors, 0);
        const row = {
          store: mode === "memory" ? "stateless (memory)" : "durable receipts (fsync)",
          connections,
          decisionsPerSecond: Math.round(rate),
          p50Ms: median(dec.map((d) => d.p50Ms)),
          p99Ms: median(dec.map((d) => d.p99Ms)),
          noopPerSecond: Math.round(noopRate),
          noopP50Ms: median(noop.map((d) => d.p50Ms)),
          noopP99Ms: median(noop.map((d) => d.p99Ms)),
          shareOfNoop: Math.round(share * 1000) / 10,
          failedRequests: bad,
          target: `>= ${TARGET * 100}% of no-op`,
          met: ok,
        };
        results.push(row);
        console.log(
          `${row.store.padEnd(26)} ${String(connections).padStart(2)} conn: ${String(row.decisionsPerSecond).padStart(6)} decisions/s (p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms)` +
            ` vs no-op ${row.noopPerSecond}/s (p50 ${row.noopP50Ms} ms, p99 ${row.noopP99Ms} ms): ${row.shareOfNoop}% ${ok ? "met" : "NOT met"}${bad > 0 ? `; ${bad} failed requests` : ""}`,
        );
        if (bad > 0) met = false;
      }
    } finally {
      await stopChild(child);
    }
  }
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, quick, seconds, rounds, results }, null, 2) + "\n");
  console.log(`results written to ${path.relative(process.cwd(), out) || out}`);
  return met ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
