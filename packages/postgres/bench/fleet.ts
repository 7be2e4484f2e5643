// The fleet bench: `npm run bench -w @execlayer/postgres [-- --seconds N]`.
// On a throwaway PostgreSQL cluster (test/helpers/cluster.ts), in one run:
//   - pgbench's simple-update transaction rate (-b simple-update, 8 clients): the database's limit on this machine
//   - PostgresStore: 1 and 4 replica processes, each with 64 concurrent callers deciding counted invoice status
//     updates (every decision reads and increments the same fleet-wide counter row), without and with receipts:
//     decisions/s and p50/p99 latency
//   - the embedded durable store with receipts (one process, 64 callers, native signer): the single-machine rate
// and writes bench/results.json.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { DurableStore, Enforcer } from "execlayer";
import { migrate } from "@execlayer/postgres";
import { destroyCluster, findPostgresBin, startCluster, type Cluster } from "../test/helpers/cluster.ts";
import { startFleet } from "../test/helpers/fleet.ts";
import { invoicePolicy, setStatus, who } from "../test/helpers/policy.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const argSeconds = process.argv.indexOf("--seconds");
const SECONDS = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 10;
const CALLERS = 64;

interface Row {
  readonly case: string;
  readonly perSecond: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly notes?: string;
}

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function createDb(c: Cluster, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: c.url });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return c.url.replace(/\/postgres$/, `/${name}`);
}

function pgbench(c: Cluster, url: string): Row {
  const exe = path.join(c.bin, "pgbench");
  const init = spawnSync(exe, ["-i", "-q", "-s", "10", url], { encoding: "utf8" });
  if (init.status !== 0) throw new Error(`pgbench -i: ${init.stderr}`);
  const r = spawnSync(exe, ["-b", "simple-update", "-c", "8", "-j", "2", "-T", String(SECONDS), "-n", url], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`pgbench: ${r.stderr}`);
  const tps = Number(/tps = ([0-9.]+)/.exec(r.stdout)?.[1]);
  const lat = Number(/latency average = ([0-9.]+) ms/.exec(r.stdout)?.[1]);
  return { case: "pgbench simple-update, 8 clients", perSecond: tps, notes: `latency average ${lat} ms` };
}

async function fleet(c: Cluster, replicas: number, receipts: boolean): Promise<Row> {
  const url = await createDb(c, `xp_${replicas}_${receipts ? "r" : "n"}`);
  await migrate(url);
  const procs = await startFleet(
    Array.from({ length: replicas }, (_, i) => ({ url, mode: "timed" as const, replica: `r${i}`, seconds: SECONDS, concurrency: CALLERS, limit: 1_000_000_000, receipts, poolSize: 2 })),
  );
  const results = (await Promise.all(procs.map((p) => p.waitFor((l) => l["count"] !== undefined, (SECONDS + 60) * 1000)))) as unknown as {
    count: number;
    ms: number;
    latencies: number[];
    effects: Record<string, number>;
    stats: { batches: number; retries: number; failures: number };
  }[];
  await Promise.all(procs.map((p) => p.waitFor((l) => l["closed"] === true)));
  const count = results.reduce((n, r) => n + r.count, 0);
  const ms = Math.max(...results.map((r) => r.ms));
  const all = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const batches = results.reduce((n, r) => n + r.stats.batches, 0);
  const retries = results.reduce((n, r) => n + r.stats.retries, 0);
  const denied = results.reduce((n, r) => n + (r.effects["deny"] ?? 0), 0);
  return {
    case: `PostgresStore, ${replicas} replica process${replicas > 1 ? "es" : ""} x ${CALLERS} callers, ${receipts ? "with" : "without"} receipts`,
    perSecond: count / (ms / 1000),
    p50Ms: pct(all, 50),
    p99Ms: pct(all, 99),
    notes: `${(count / Math.max(1, batches)).toFixed(1)} decisions per database transaction, ${retries} retries, ${denied} denied`,
  };
}

async function durable(): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xp-bench-durable-"));
  try {
    const store = await DurableStore.open(dir, { signerKind: "native" });
    const enforcer = await Enforcer.create({ policy: invoicePolicy(1_000_000_000), store });
    const end = performance.now() + SECONDS * 1000;
    const lat: number[] = [];
    let k = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          await enforcer.decide(setStatus(`d-${k++}`), who);
          lat.push(performance.now() - t);
        }
      }),
    );
    const ms = performance.now() - t0;
    await store.close();
    lat.sort((a, b) => a - b);
    return { case: `DurableStore (embedded), 1 process x ${CALLERS} callers, with receipts`, perSecond: lat.length / (ms / 1000), p50Ms: pct(lat, 50), p99Ms: pct(lat, 99) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const bin = findPostgresBin();
if (bin === null) {
  console.error("bench: no PostgreSQL binaries (initdb, pg_ctl); set XP_PG_BIN");
  process.exit(2);
}
const cluster = await startCluster(bin);
const rows: Row[] = [];
try {
  rows.push(pgbench(cluster, await createDb(cluster, "pgbench")));
  for (const receipts of [false, true]) for (const replicas of [1, 4]) rows.push(await fleet(cluster, replicas, receipts));
  rows.push(await durable());
} finally {
  destroyCluster(cluster);
}

const base = rows[0]!.perSecond;
const dur = rows[rows.length - 1]!.perSecond;
console.log(`\n${SECONDS} s per case, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
for (const r of rows) {
  const lat = r.p50Ms === undefined ? "" : `  p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms!.toFixed(1)} ms`;
  console.log(`${r.case.padEnd(78)} ${r.perSecond.toFixed(0).padStart(7)}/s${lat}${r.notes === undefined ? "" : `  (${r.notes})`}`);
}
const four = (receipts: boolean) => rows.find((r) => r.case.startsWith("PostgresStore, 4") && r.case.endsWith(receipts ? "with receipts" : "without receipts"))!.perSecond;
console.log(`\ngoal 1: 4 replicas without receipts >= 50% of pgbench: ${((four(false) / base) * 100).toFixed(0)}%`);
console.log(`goal 2: 4 replicas with receipts >= 50% of the durable store with receipts: ${((four(true) / dur) * 100).toFixed(0)}%`);
fs.writeFileSync(path.join(here, "results.json"), JSON.stringify({ seconds: SECONDS, loadavg: os.loadavg(), rows }, null, 2) + "\n");
