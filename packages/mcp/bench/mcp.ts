// The mcp bench case: `npm run bench -- --only mcp` (forwarded by the core's harness) or `npm run bench -w
// @execlayer/mcp -- [--quick] [--out FILE]`. The SDK's client calls the "everything" reference server's `echo` tool
// over stdio, directly and through `xpol mcp` (the CLI, as a user runs it), in the same run, interleaved round by
// round: through the proxy with a memory store (decisions only) and with the durable store (every decision a signed,
// fsync'd receipt; and `--signatures per-batch`, one signed seal per group commit), deciding through a remote `xpol serve --memory` on loopback (`--server URL`: one HTTP round trip
// per decision; reported, not held to the goals, which are the in-process proxy's), and through a byte relay
// (bench/relay.mjs: a process that only copies the bytes both ways; the floor of what any process between the client
// and the server costs on this machine, reported beside the goals, so the proxy's own cost reads apart from the hop's). Reports per-call latency p50/p99 (sequential calls) and the added latency over direct, and
// throughput at 16 calls in flight (after an untimed pass at that concurrency) as a share of direct. Goals (issue
// 18): p50 added under 1 ms, throughput at least 70% of direct.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const XPOL = path.resolve(here, "../../execlayer/bin/xpol.js");
const EVERYTHING = path.join(path.dirname(require.resolve("@modelcontextprotocol/server-everything/package.json")), "dist/index.js");
const GOAL_ADDED_P50_MS = 1;
const GOAL_RATIO = 0.7;

const POLICY = `policy bench version "1"

actor {
  agent: string
}

action demo.echo {
  message: string
}
tier demo.echo = T0

tool echo -> demo.echo {
  message: args.message
}

rule echo on demo.echo {
  allow
}
`;

type Mode = "direct" | "relay" | "proxy-memory" | "proxy-durable" | "proxy-batch" | "proxy-remote";
const RELAY = path.join(here, "relay.mjs");

/** `xpol serve --memory` on a free loopback port: the remote decision service of proxy-remote. */
async function startService(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [XPOL, "serve", "--policy", "bench.xpol", "--memory", "--listen", "127.0.0.1:0", "--no-watch", "--log-level", "warn"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m !== null) resolve(m[1]!);
    });
    child.on("exit", () => reject(new Error(`xpol serve exited: ${err}`)));
  });
  return { url, child };
}

async function connect(mode: Mode, dir: string, serviceUrl: string): Promise<Client> {
  const upstream = [EVERYTHING, "stdio"];
  const decider =
    mode === "proxy-memory"
      ? ["--policy", "bench.xpol", "--memory"]
      : mode === "proxy-remote"
        ? ["--server", serviceUrl]
        : ["--policy", "bench.xpol", "--state", `state-${Date.now()}`, ...(mode === "proxy-batch" ? ["--signatures", "per-batch"] : [])];
  const args = mode === "direct" ? upstream : mode === "relay" ? [RELAY, process.execPath, ...upstream] : [XPOL, "mcp", ...decider, "--no-watch", "--actor", '{"agent":"bench"}', "--", process.execPath, ...upstream];
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args, cwd: dir, stderr: "ignore" }));
  return client;
}

async function callOnce(c: Client, i: number): Promise<void> {
  const r = await c.callTool({ name: "echo", arguments: { message: `m${i}` } });
  if (r.isError === true) throw new Error(`the call failed: ${JSON.stringify(r.content)}`);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function latencies(c: Client, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await callOnce(c, i);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

async function throughput(c: Client, total: number, inFlight: number): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await callOnce(c, next++);
    }),
  );
  return total / ((performance.now() - t) / 1000);
}

async function main(argv: readonly string[]): Promise<number> {
  const quick = argv.includes("--quick");
  const outAt = argv.indexOf("--out");
  const out = outAt >= 0 && argv[outAt + 1] !== undefined ? path.resolve(argv[outAt + 1]!) : path.join(here, "results.json");
  const unknown = argv.filter((a, i) => !["--quick", "--out", "--only", "mcp"].includes(a) && argv[i - 1] !== "--out");
  if (unknown.length > 0) {
    console.error(`usage: bench/mcp.ts [--quick] [--out FILE] (unknown: ${unknown.join(" ")})`);
    return 2;
  }
  const rounds = quick ? 1 : 3;
  const sequential = quick ? 300 : 1500;
  const concurrent = quick ? 1000 : 4000;
  const dir = mkdtempSync(path.join(os.tmpdir(), "xpol-mcp-bench-"));
  writeFileSync(path.join(dir, "bench.xpol"), POLICY);
  const modes: Mode[] = ["direct", "relay", "proxy-memory", "proxy-durable", "proxy-batch", "proxy-remote"];
  const service = await startService(dir);
  const lat = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  const rates = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) {
        const c = await connect(mode, dir, service.url);
        try {
          await latencies(c, 100); // warm-up: JIT, schema compilation
          lat.get(mode)!.push(...(await latencies(c, sequential)));
          // the steady state is what a client sees: every process here is new, and V8 was still optimizing the
          // concurrent path of proxy and server (91 functions after the first concurrent calls) within the timed
          // window; an untimed pass at the same concurrency first, for every mode alike
          await throughput(c, concurrent, 16);
          rates.get(mode)!.push(await throughput(c, concurrent, 16));
        } finally {
          await c.close();
        }
      }
    }
  } finally {
    service.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  const direct = [...lat.get("direct")!].sort((a, b) => a - b);
  const directRate = Math.max(...rates.get("direct")!);
  const relayRate = Math.max(...rates.get("relay")!);
  const rows = modes.map((mode) => {
    const s = [...lat.get(mode)!].sort((a, b) => a - b);
    const rate = Math.max(...rates.get(mode)!);
    return {
      mode,
      p50Ms: +quantile(s, 0.5).toFixed(3),
      p99Ms: +quantile(s, 0.99).toFixed(3),
      addedP50Ms: +(quantile(s, 0.5) - quantile(direct, 0.5)).toFixed(3),
      addedP99Ms: +(quantile(s, 0.99) - quantile(direct, 0.99)).toFixed(3),
      callsPerSecond: Math.round(rate),
      ratio: +(rate / directRate).toFixed(3),
      shareOfRelay: +(rate / relayRate).toFixed(3),
    };
  });
  console.log(`mcp: tools/call echo over stdio (the everything server), ${rounds} round(s), ${sequential} sequential calls and ${concurrent} at 16 in flight per mode`);
  console.log("mode            p50 ms  p99 ms  added p50  added p99  calls/s  share of direct  share of relay");
  for (const r of rows) {
    console.log(`${r.mode.padEnd(14)}  ${r.p50Ms.toFixed(3).padStart(6)}  ${r.p99Ms.toFixed(3).padStart(6)}  ${r.addedP50Ms.toFixed(3).padStart(9)}  ${r.addedP99Ms.toFixed(3).padStart(9)}  ${String(r.callsPerSecond).padStart(7)}  ${(r.ratio * 100).toFixed(0).padStart(14)}%  ${(r.shareOfRelay * 100).toFixed(0).padStart(13)}%`);
  }
  for (const r of rows.filter((x) => x.mode === "proxy-memory" || x.mode === "proxy-durable" || x.mode === "proxy-batch")) {
    const ok = r.addedP50Ms < GOAL_ADDED_P50_MS && r.ratio >= GOAL_RATIO;
    console.log(`${r.mode}: goal (p50 added < ${GOAL_ADDED_P50_MS} ms, throughput >= ${GOAL_RATIO * 100}% of direct) ${ok ? "met" : "MISSED"}`);
  }
  // the relay does none of the proxy's work: what it loses against direct is what a third process and its pipe hops
  // cost on this machine's cores, the yardstick for any proxy's share of direct
  console.log(`relay (bytes only, ${os.cpus().length} cores): ${((relayRate / directRate) * 100).toFixed(0)}% of direct: what a process that only copies the bytes keeps here`);
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, load: os.loadavg(), quick, rounds, sequential, concurrent, results: rows }, null, 2) + "\n");
  console.log(`results written to ${path.relative(process.cwd(), out) || out}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
