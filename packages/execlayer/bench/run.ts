// The benchmark harness: `npm run bench -- [--quick] [--only NAME] [--runs N] [--out FILE]`. Runs every case, prints a
// table and the targets, and writes bench/results.json (or FILE); a full run gives each case a process of its own.
// Each figure is the median of at least 5 timed runs after a warm-up, with min and max; peers (Cedar, @bufbuild/cel,
// raw signing) are measured in the same process on the same inputs, interleaved run by run, so their ratios hold on any
// machine. BENCHMARKS.md describes every case.
//
// Cases: decide (stateless decisions vs Cedar), cel (expressions vs @bufbuild/cel), receipts (decisions with
// receipts vs raw signing), compile (100 / 1,000 / 10,000 rules), verify (a whole log), memory (a child process
// with --expose-gc). The stateless case first checks that both engines reach the same decision on the whole
// workload and exits 1 with the first disagreement otherwise.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CedarPeer, checkAgreement, timeCedar, toCedarRequest, type Agreement } from "./cedar.ts";
import { runCelBench } from "./cel.ts";
import { runScaleBench } from "./scale.ts";
import { decideBenchCase, runCompileBench, timeDecisions, type DecideBenchCase } from "./decide.ts";
import { benchAppend, benchRawSign, benchRawSignAllCores, timeVerifyLog, writeBenchLog, type BenchResult } from "./receipts.ts";
import {
  benchBytesPerPending,
  benchDurable,
  benchRawAppends,
  benchHeapCounters,
  benchMemoryBookkeeping,
  benchIrFloor,
  benchJournaled,
  benchMemoryDecide,
  driveWithReceipts,
  journaledEnforcer,
  type RuntimeBenchResult,
} from "./runtime.ts";
import { pairedRatios, percentileSorted, summarize, type Summary } from "./stats.ts";
import { compileExample, timeReplay, timeVerify, writeReplayLog } from "./replay.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..");

// ------------------------------------------------------------------------------------------------------------------
// Results

export interface Figure {
  /** stable id, e.g. `decide.xpol` */
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  /** over the timed runs */
  readonly value: Summary;
  readonly samples: readonly number[];
  /** the same figure from the process's CPU time instead of wall time (single-threaded cases) */
  readonly cpu?: Summary;
  /** latency percentiles, microseconds: the median (min, max) over the runs of each run's percentile */
  readonly p50Us?: Summary;
  readonly p99Us?: Summary;
  readonly notes?: string;
}

export interface TargetCheck {
  readonly case: string;
  readonly target: string;
  /** the measured value, as text */
  readonly measured: string;
  /** null: not evaluated (e.g. a quick run measures a smaller size) */
  readonly met: boolean | null;
  readonly note?: string;
}

export interface CaseResult {
  readonly name: string;
  readonly title: string;
  readonly figures: Figure[];
  readonly targets: TargetCheck[];
  readonly seconds: number;
  readonly loadavg: { readonly start: number; readonly end: number };
  readonly details?: Readonly<Record<string, unknown>>;
}

interface Options {
  readonly quick: boolean;
  /** timed runs per figure (>= 5) */
  readonly runs: number;
}

class HarnessError extends Error {}

function figure(id: string, label: string, unit: string, samples: readonly number[], extra: Partial<Figure> = {}): Figure {
  return { id, label, unit, value: summarize(samples), samples, ...extra };
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** Rounds up to a multiple of `m` (so every timed run cycles through whole workloads). */
function multipleOf(n: number, m: number): number {
  return Math.max(m, Math.ceil(n / m) * m);
}

// ------------------------------------------------------------------------------------------------------------------
// Case 1: stateless decisions against Cedar

/** Checks agreement on the whole workload; throws a HarnessError describing the first disagreement. */
export function requireAgreement(c: DecideBenchCase, peer: CedarPeer): Agreement {
  const a = checkAgreement(c.policy, c.items, peer);
  if (!a.ok && a.first !== undefined) {
    const f = a.first;
    throw new HarnessError(
      `the engines disagree on workload item ${f.index} (${f.label}): ${f.why}\n` +
        `  ours:  ${JSON.stringify(f.ours)}\n  cedar: ${JSON.stringify(f.cedar)}\n` +
        "refusing to report decision rates for policies that do not decide alike",
    );
  }
  return a;
}

async function caseDecide(o: Options): Promise<Omit<CaseResult, "seconds" | "loadavg">> {
  const c = decideBenchCase();
  const peer = CedarPeer.prepare();
  const agreement = requireAgreement(c, peer);
  const requests = c.items.map(toCedarRequest);
  const n = c.items.length;
  const runMs = o.quick ? 100 : 300;

  // Warm-up, which also calibrates each engine's iterations to about runMs per run.
  timeDecisions(c, 100_000);
  const oursPerMs = 200_000 / timeDecisions(c, 200_000);
  timeCedar(peer, requests, 300);
  const cedarPerMs = 1_000 / timeCedar(peer, requests, 1_000);
  const oursIterations = multipleOf(oursPerMs * runMs, n);
  const cedarIterations = multipleOf(cedarPerMs * runMs, n);

  const ours: number[] = [];
  const oursCpu: number[] = [];
  const cedar: number[] = [];
  const cedarCpu: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    let c0 = process.cpuUsage();
    const ms = timeDecisions(c, oursIterations);
    oursCpu.push((oursIterations / cpuMs(c0)) * 1000);
    ours.push((oursIterations / ms) * 1000);
    c0 = process.cpuUsage();
    const cms = timeCedar(peer, requests, cedarIterations);
    cedarCpu.push((cedarIterations / cpuMs(c0)) * 1000);
    cedar.push((cedarIterations / cms) * 1000);
  }
  const ratio = pairedRatios(ours, cedar);
  const ratioCpu = pairedRatios(oursCpu, cedarCpu);

  // The Enforcer end to end (in-memory store, no receipts): what an embedding pays per decision.
  const enforcerOps = o.quick ? 5_000 : 30_000;
  const decideRates: number[] = [];
  const bookkeepingRates: number[] = [];
  await benchMemoryDecide(enforcerOps, enforcerOps);
  await benchMemoryBookkeeping(enforcerOps, enforcerOps);
  for (let r = 0; r < o.runs; r++) {
    decideRates.push((await benchMemoryDecide(enforcerOps, 1_000)).rate);
    bookkeepingRates.push((await benchMemoryBookkeeping(enforcerOps, 1_000)).rate);
  }

  const figures = [
    figure("decide.xpol", "xpol stateless decisions (invoice workload)", "decisions/s", ours, {
      cpu: summarize(oursCpu),
      notes: `${oursIterations} decisions per run over ${n} workload items`,
    }),
    figure("decide.cedar", "Cedar statefulIsAuthorized, same workload", "decisions/s", cedar, {
      cpu: summarize(cedarCpu),
      notes: `${cedarIterations} decisions per run; request validation on; answer mapped to allow / deny / require_approval`,
    }),
    figure("decide.ratio", "xpol / Cedar (paired runs)", "x", ratio, { cpu: summarize(ratioCpu) }),
    figure("decide.enforcer.memory", "Enforcer.decide end to end, in-memory store", "decisions/s", decideRates, {
      notes: "tool-call normalization, digests, counters, approvals; no receipts",
    }),
    figure("decide.enforcer.bookkeeping", "Enforcer.decide with the IR prebuilt", "decisions/s", bookkeepingRates, {
      notes: "evaluation + counters + approval requests; normalization cached",
    }),
  ];
  const perItem = perItemCosts(c, peer, o.quick);
  const xpol = summarize(ours);
  const rs = summarize(ratio);
  const targets: TargetCheck[] = [
    {
      case: "decide",
      target: "stateless decisions >= 1,000,000/s on one core",
      measured: `${fmt(xpol.median)}/s (CPU time: ${fmt(summarize(oursCpu).median)}/s)`,
      met: xpol.median >= 1_000_000,
    },
    { case: "decide", target: ">= 300x Cedar", measured: `${rs.median.toFixed(0)}x`, met: rs.median >= 300 },
  ];
  return {
    name: "decide",
    title: "1. Stateless decisions vs Cedar",
    figures,
    targets,
    details: { agreement: { compared: agreement.compared, effects: agreement.effects }, perItem },
  };
}

interface ItemCost {
  readonly label: string;
  readonly effect: string;
  /** best of 3 short runs of this item alone: a diagnostic, not a headline figure */
  readonly xpolNs: number;
  readonly cedarNs: number;
}

/** Per workload item: what one decision costs in each engine (shows which outcomes dominate the mix). */
function perItemCosts(c: DecideBenchCase, peer: CedarPeer, quick: boolean): ItemCost[] {
  const ourIterations = quick ? 5_000 : 20_000;
  const cedarIterations = quick ? 100 : 300;
  return c.items.map((x) => {
    const one: DecideBenchCase = { policy: c.policy, items: [x] };
    const req = [toCedarRequest(x)];
    let xpolNs = Infinity;
    let cedarNs = Infinity;
    for (let r = 0; r < 3; r++) {
      xpolNs = Math.min(xpolNs, (timeDecisions(one, ourIterations) * 1e6) / ourIterations);
      cedarNs = Math.min(cedarNs, (timeCedar(peer, req, cedarIterations) * 1e6) / cedarIterations);
    }
    return { label: x.label, effect: c.policy.evaluate(x.ir, x.counters).effect, xpolNs, cedarNs };
  });
}

// ------------------------------------------------------------------------------------------------------------------
// Case 2: expressions against @bufbuild/cel

async function caseCel(o: Options): Promise<Omit<CaseResult, "seconds" | "loadavg">> {
  const rows = runCelBench({ runs: o.runs, runMs: o.quick ? 40 : 150, warmupMs: o.quick ? 60 : 200 });
  const figures: Figure[] = [];
  for (const [i, r] of rows.entries()) {
    const id = `cel.${i}`;
    figures.push({ id: `${id}.xpol`, label: `${r.name}: xpol`, unit: "ns/eval", value: r.ours, samples: [] });
    figures.push({ id: `${id}.bufbuild`, label: `${r.name}: @bufbuild/cel`, unit: "ns/eval", value: r.bufbuild, samples: [] });
    figures.push({ id: `${id}.ratio`, label: `${r.name}: speedup`, unit: "x", value: r.speedups, samples: [] });
  }
  const brief = rows.find((r) => r.name === "refund condition (brief)");
  const targets: TargetCheck[] = [
    {
      case: "cel",
      target: "refund condition at least as fast as @bufbuild/cel",
      measured:
        brief === undefined
          ? "missing"
          : `${brief.speedups.median.toFixed(1)}x (${brief.ours.median.toFixed(0)} ns vs ${brief.bufbuild.median.toFixed(0)} ns)`,
      met: brief === undefined ? false : brief.speedups.median >= 1,
    },
  ];
  const ext = rows.filter((r) => r.name.startsWith("ext: "));
  const slowest = ext.reduce<(typeof ext)[number] | undefined>((a, r) => (a === undefined || r.speedups.median < a.speedups.median ? r : a), undefined);
  targets.push({
    case: "cel",
    target: "every strings-extension case at least as fast as @bufbuild/cel",
    measured: slowest === undefined ? "missing" : `slowest ${slowest.speedups.median.toFixed(1)}x (${slowest.name})`,
    met: slowest !== undefined && slowest.speedups.median >= 1,
  });
  return { name: "cel", title: "2. Expression evaluation vs @bufbuild/cel", figures, targets };
}

// ------------------------------------------------------------------------------------------------------------------
// Case 3: decisions with receipts against the raw signing rates

interface PairedRun {
  /** raw signatures per second (the run's signer) and journaled decisions per second, over the same interleaved blocks */
  readonly raw: number;
  readonly journal: number;
  /** the same from the process's CPU time: less sensitive to other processes on a shared machine */
  readonly rawCpu: number;
  readonly journalCpu: number;
  /** noble only: the library's own `ed.sign(msg, seed)` in the same blocks (NaN for native) */
  readonly lib: number;
  readonly libCpu: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

/**
 * One run of "decisions with receipts vs the signing ceiling": `blocks` alternations of `ops / blocks` raw
 * signatures and `ops / blocks` journaled decisions (one caller), so both rates see the same machine.
 */
async function pairedJournalRun(kind: "noble" | "native", ops: number, blocks: number): Promise<PairedRun> {
  const enforcer = await journaledEnforcer(kind);
  await driveWithReceipts(enforcer, Math.max(20, Math.ceil(ops / 10)), 1);
  await benchRawSign(kind, Math.max(20, Math.ceil(ops / 10)), 0);
  const per = Math.max(1, Math.round(ops / blocks));
  if (kind === "noble") await benchRawSign("noble.lib", Math.max(20, Math.ceil(ops / 10)), 0);
  let rawMs = 0;
  let journalMs = 0;
  let rawCpuMs = 0;
  let journalCpuMs = 0;
  let libMs = 0;
  let libCpuMs = 0;
  const lat: Float64Array[] = [];
  for (let b = 0; b < blocks; b++) {
    let c0 = process.cpuUsage();
    if (kind === "noble") {
      libMs += (await benchRawSign("noble.lib", per, 0)).ms;
      libCpuMs += cpuMs(c0);
      c0 = process.cpuUsage();
    }
    rawMs += (await benchRawSign(kind, per, 0)).ms;
    rawCpuMs += cpuMs(c0);
    c0 = process.cpuUsage();
    const d = await driveWithReceipts(enforcer, per, 1);
    journalCpuMs += cpuMs(c0);
    journalMs += d.ms;
    lat.push(d.latencies);
  }
  const all = new Float64Array(per * blocks);
  lat.forEach((l, i) => all.set(l, i * per));
  all.sort();
  return {
    raw: ((per * blocks) / rawMs) * 1000,
    journal: ((per * blocks) / journalMs) * 1000,
    rawCpu: ((per * blocks) / rawCpuMs) * 1000,
    journalCpu: ((per * blocks) / journalCpuMs) * 1000,
    lib: kind === "noble" ? ((per * blocks) / libMs) * 1000 : NaN,
    libCpu: kind === "noble" ? ((per * blocks) / libCpuMs) * 1000 : NaN,
    p50Us: percentileSorted(all, 0.5) * 1000,
    p99Us: percentileSorted(all, 0.99) * 1000,
  };
}

async function caseReceipts(o: Options): Promise<Omit<CaseResult, "seconds" | "loadavg">> {
  const scale = o.quick ? 0.2 : 1;
  const nNoble = Math.round(1_000 * scale);
  const nNative = Math.round(5_000 * scale);
  const blocks = 5;
  const paired = { noble: [] as PairedRun[], native: [] as PairedRun[] };
  const durable = { noble: [] as RuntimeBenchResult[], native: [] as RuntimeBenchResult[] };
  const append = { noble: [] as BenchResult[], native: [] as BenchResult[] };
  // the native signer on a worker thread per core (SigningPool): log appends and decisions at 64 and 256 concurrent callers
  const nThreads = Math.round(20_000 * scale);
  const threaded = { append64: [] as BenchResult[], append256: [] as BenchResult[], durable64: [] as RuntimeBenchResult[], durable256: [] as RuntimeBenchResult[] };
  // Round -1 is the warm-up. Each round measures every configuration once, so drift hits all alike.
  for (let round = -1; round < o.runs; round++) {
    const keep = round >= 0;
    const f = keep ? 1 : 0.2;
    for (const kind of ["noble", "native"] as const) {
      const n = Math.round((kind === "noble" ? nNoble : nNative) * f);
      const p = await pairedJournalRun(kind, n, blocks);
      const d = await benchDurable(kind, { ops: n });
      const a = await benchAppend(kind, { receipts: n });
      if (keep) {
        paired[kind].push(p);
        durable[kind].push(d);
        append[kind].push(a);
      }
    }
    const n = Math.round(nThreads * f);
    const t = {
      append64: await benchAppend("native.threads", { receipts: n, concurrency: 64 }),
      append256: await benchAppend("native.threads", { receipts: n, concurrency: 256 }),
      durable64: await benchDurable("native.threads", { ops: n, concurrency: 64 }),
      durable256: await benchDurable("native.threads", { ops: n, concurrency: 256 }),
    };
    if (keep) for (const k of Object.keys(threaded) as (keyof typeof threaded)[]) (threaded[k] as (BenchResult | RuntimeBenchResult)[]).push(t[k]);
  }
  const figures: Figure[] = [];
  const ratios: Figure[] = [];
  // noble has two ceilings: the library's `ed.sign(msg, seed)` (what "the raw noble signing rate" is to a user of
  // @noble/ed25519) and our NobleSigner.sign (the same signature with the expanded key derived once: faster).
  const nobleLib = paired.noble.map((r) => r.lib);
  const nobleLibCpu = paired.noble.map((r) => r.libCpu);
  figures.push(
    figure("sign.raw.noble.lib", "raw noble signing, library ed.sign(msg, seed)", "signatures/s", nobleLib, {
      cpu: summarize(nobleLibCpu),
      notes: "@noble/ed25519's one-call API: re-derives the expanded key every call; interleaved block by block",
    }),
  );
  for (const kind of ["noble", "native"] as const) {
    const raw = paired[kind].map((r) => r.raw);
    const journal = paired[kind].map((r) => r.journal);
    const rawCpu = paired[kind].map((r) => r.rawCpu);
    const journalCpu = paired[kind].map((r) => r.journalCpu);
    const dur = durable[kind].map((r) => r.rate);
    const app = append[kind].map((r) => r.rate);
    figures.push(
      figure(`sign.raw.${kind}`, kind === "noble" ? "raw noble signing, our NobleSigner.sign" : "raw native signing (the ceiling)", "signatures/s", raw, {
        cpu: summarize(rawCpu),
        notes: kind === "noble" ? "expanded key derived once; interleaved with the journaled decisions" : "interleaved with the journaled decisions, block by block",
      }),
      figure(`runtime.journal.${kind}`, `decisions + ${kind} receipts, in-memory journal`, "decisions/s", journal, {
        cpu: summarize(journalCpu),
        p50Us: summarize(paired[kind].map((r) => r.p50Us)),
        p99Us: summarize(paired[kind].map((r) => r.p99Us)),
        notes: "Enforcer.decide end to end, one caller, one signed hash-chained receipt each, nothing written",
      }),
      figure(`runtime.durable.${kind}`, `decisions + ${kind} receipts, durable store, group commit`, "decisions/s", dur, {
        p50Us: summarize(durable[kind].map((r) => r.p50Us ?? NaN)),
        p99Us: summarize(durable[kind].map((r) => r.p99Us ?? NaN)),
        notes: "64 concurrent callers, fdatasync group commit",
      }),
      figure(`append.fsync.${kind}`, `receipt log appends (${kind}), group commit`, "receipts/s", app, { notes: "ReceiptLog.append + flush, 64 appenders" }),
    );
    const pct = (xs: readonly number[], base: readonly number[]): number[] => pairedRatios(xs, base).map((x) => x * 100);
    if (kind === "noble") {
      ratios.push(
        figure("runtime.journal.noble/sign.raw.noble.lib", "noble: journaled decisions / library ed.sign", "%", pct(journal, nobleLib), {
          cpu: summarize(pairedRatios(journalCpu, nobleLibCpu).map((x) => x * 100)),
        }),
        figure("runtime.durable.noble/sign.raw.noble.lib", "noble: durable decisions / library ed.sign", "%", pct(dur, nobleLib)),
        figure("append.fsync.noble/sign.raw.noble.lib", "noble: log appends / library ed.sign", "%", pct(app, nobleLib)),
        figure("sign.raw.noble/sign.raw.noble.lib", "noble: NobleSigner.sign / library ed.sign", "%", pct(raw, nobleLib), {
          cpu: summarize(pairedRatios(rawCpu, nobleLibCpu).map((x) => x * 100)),
        }),
      );
    }
    const who = kind === "noble" ? "NobleSigner.sign" : "raw signing";
    ratios.push(
      figure(`runtime.journal.${kind}/sign.raw.${kind}`, `${kind}: journaled decisions / ${who}`, "%", pct(journal, raw), {
        cpu: summarize(pairedRatios(journalCpu, rawCpu).map((x) => x * 100)),
      }),
      figure(`runtime.durable.${kind}/sign.raw.${kind}`, `${kind}: durable decisions / ${who}`, "%", pct(dur, raw)),
      figure(`append.fsync.${kind}/sign.raw.${kind}`, `${kind}: log appends / ${who}`, "%", pct(app, raw)),
    );
  }
  for (const c of [64, 256] as const) {
    const app = threaded[`append${c}`];
    const dur = threaded[`durable${c}`];
    figures.push(
      figure(`append.fsync.native.threads.c${c}`, `receipt log appends (native, signed on a worker per core), ${c} appenders`, "receipts/s", app.map((r) => r.rate), {
        notes: "ReceiptLog.append + flush; each group commit's batch signed by SigningPool",
      }),
      figure(`runtime.durable.native.threads.c${c}`, `decisions + native receipts signed on a worker per core, durable, ${c} callers`, "decisions/s", dur.map((r) => r.rate), {
        p50Us: summarize(dur.map((r) => r.p50Us ?? NaN)),
        p99Us: summarize(dur.map((r) => r.p99Us ?? NaN)),
        notes: "DurableStore with a SigningPool signer, fdatasync group commit",
      }),
    );
  }
  figures.push(...ratios);
  const byName = (name: string): Figure => ratios.find((f) => f.id === name) as Figure;
  const libJ = byName("runtime.journal.noble/sign.raw.noble.lib");
  const libD = byName("runtime.durable.noble/sign.raw.noble.lib");
  const libA = byName("append.fsync.noble/sign.raw.noble.lib");
  const ownJ = byName("runtime.journal.noble/sign.raw.noble");
  const ownD = byName("runtime.durable.noble/sign.raw.noble");
  const ownA = byName("append.fsync.noble/sign.raw.noble");
  const durableNative = summarize(durable.native.map((r) => r.rate)).median;
  const rawNative = summarize(paired.native.map((r) => r.raw)).median;
  const med = (xs: readonly { rate: number }[]): number => summarize(xs.map((r) => r.rate)).median;
  const threadedLog = med(threaded.append256);
  const pctText = (j: Figure, d: Figure, a: Figure): string =>
    `${j.value.median.toFixed(0)}% (decisions, in-memory journal; CPU time: ${j.cpu!.median.toFixed(0)}%); ${d.value.median.toFixed(0)}% (decisions, durable store); ${a.value.median.toFixed(0)}% (log appends)`;
  const targets: TargetCheck[] = [
    {
      case: "receipts",
      target: "noble-signed receipts >= 90% of the raw noble signing rate (the library's ed.sign)",
      measured: pctText(libJ, libD, libA),
      met: libJ.value.median >= 90,
      note: "judged on decisions with the in-memory journal against @noble/ed25519's ed.sign(msg, seed); the durable figure adds the store's transaction and fsync",
    },
    {
      case: "receipts",
      target: "the same against our NobleSigner.sign (expanded key cached: the overhead alone)",
      measured: pctText(ownJ, ownD, ownA),
      met: ownJ.value.median >= 90,
      note: "stricter reading: the receipt path's overhead over the signer it actually uses",
    },
    {
      case: "receipts",
      target: "native signer >= 20,000 durable receipts/s (group commit)",
      measured:
        `receipt log, signed on a worker per core: ${fmt(threadedLog)}/s at 256 appenders, ${fmt(med(threaded.append64))}/s at 64; ` +
        `end-to-end decisions, signed on a worker per core: ${fmt(med(threaded.durable256))}/s at 256 callers; main-thread signing: ${fmt(durableNative)}/s ` +
        `(raw native signing ${fmt(rawNative)}/s on one core)`,
      met: threadedLog >= 20_000,
      note: "judged on durable receipts at the receipt log; whole decisions are bounded by the decision's own main-thread work (IR, evaluation, store), see the notes",
    },
  ];
  return { name: "receipts", title: "3. Decisions with receipts", figures, targets };
}

// ------------------------------------------------------------------------------------------------------------------
// Case 4: compile time

async function caseCompile(o: Options): Promise<Omit<CaseResult, "seconds" | "loadavg">> {
  const sizes = o.quick ? [100, 1000, 3000] : [100, 1000, 10000];
  const rows = runCompileBench(sizes, o.runs);
  const figures = rows.map((r) =>
    figure(`compile.${r.rules}`, `parse + check + compile, ${r.rules.toLocaleString("en-US")} rules`, "ms", [], {
      value: r.ms,
      cpu: r.cpuMs,
      notes: `${(r.msPerRule * 1000).toFixed(0)} µs per rule`,
    }),
  );
  const k = rows.find((r) => r.rules === 1000)!;
  const largest = rows[rows.length - 1]!;
  const growth = largest.msPerRule / k.msPerRule;
  const targets: TargetCheck[] = [
    {
      case: "compile",
      target: "1,000 rules < 250 ms",
      measured: `${k.ms.median.toFixed(0)} ms (CPU time ${k.cpuMs.median.toFixed(0)} ms)`,
      met: k.ms.median < 250,
    },
    {
      case: "compile",
      target: "growth linear (per-rule time at the largest size within 1.5x of that at 1,000)",
      measured: `${(largest.msPerRule * 1000).toFixed(0)} µs/rule at ${largest.rules.toLocaleString("en-US")} vs ${(k.msPerRule * 1000).toFixed(0)} µs/rule at 1,000 (${growth.toFixed(2)}x)`,
      met: growth <= 1.5,
    },
  ];
  return { name: "compile", title: "4. Compile time", figures, targets };
}

// ------------------------------------------------------------------------------------------------------------------
// Case 5: log verification

// ------------------------------------------------------------------------------------------------------------------
// The whole path (issue 23): from a raw tool call to a durable, signed receipt, each stage beside its floor, in one
// run: the plain IR script (decide.floor's), raw native signing on one core and on all cores.

async function casePath(o: Options): Promise<Omit<CaseResult, "seconds" | "loadavg">> {
  const scale = o.quick ? 0.25 : 1;
  const nMemory = Math.round(40_000 * scale);
  const nJournal = Math.round(8_000 * scale);
  const nDurable = Math.round(20_000 * scale);
  const runs = {
    floor: [] as number[],
    raw: [] as number[],
    bookkeeping: [] as number[],
    journal: [] as RuntimeBenchResult[],
    signOne: [] as number[],
    signCores: [] as number[],
    durable64: [] as RuntimeBenchResult[],
    durable256: [] as RuntimeBenchResult[],
    batch64: [] as RuntimeBenchResult[],
    batch256: [] as RuntimeBenchResult[],
    appends64: [] as RuntimeBenchResult[],
    appends256: [] as RuntimeBenchResult[],
  };
  // Round -1 is the warm-up; each round measures every stage once, so drift hits all alike.
  for (let round = -1; round < o.runs; round++) {
    const f = round < 0 ? 0.25 : 1;
    const floor = benchIrFloor(Math.round(nMemory * f), 1_000).rate;
    const raw = (await benchMemoryDecide(Math.round(nMemory * f), 1_000)).rate;
    const bookkeeping = (await benchMemoryBookkeeping(Math.round(nMemory * f), 1_000)).rate;
    const journal = await benchJournaled("native", { ops: Math.round(nJournal * f), warmup: 500 });
    const signOne = (await benchRawSign("native", Math.round(nJournal * f), 50)).rate;
    const signCores = (await benchRawSignAllCores(Math.round(nDurable * 2 * f))).rate;
    const durable64 = await benchDurable("native.threads", { ops: Math.round(nDurable * f), concurrency: 64 });
    const durable256 = await benchDurable("native.threads", { ops: Math.round(nDurable * f), concurrency: 256 });
    // per-batch signatures, and the floor for them: the same bytes appended durably by a bare group commit
    for (const callers of [64, 256] as const) {
      let lines: Buffer[] = [];
      const batch = await benchDurable("native", { ops: Math.round(nDurable * f), concurrency: callers, signatures: "per-batch", keepLines: (l) => (lines = l) });
      const appends = await benchRawAppends(lines, callers);
      if (round < 0) continue;
      runs[`batch${callers}`].push(batch);
      runs[`appends${callers}`].push(appends);
    }
    if (round < 0) continue;
    runs.floor.push(floor);
    runs.raw.push(raw);
    runs.bookkeeping.push(bookkeeping);
    runs.journal.push(journal);
    runs.signOne.push(signOne);
    runs.signCores.push(signCores);
    runs.durable64.push(durable64);
    runs.durable256.push(durable256);
  }
  const cores = os.availableParallelism();
  const rates = (xs: readonly RuntimeBenchResult[]): number[] => xs.map((r) => r.rate);
  const lat = (xs: readonly RuntimeBenchResult[]): { p50Us: Summary; p99Us: Summary } => ({
    p50Us: summarize(xs.map((r) => r.p50Us ?? NaN)),
    p99Us: summarize(xs.map((r) => r.p99Us ?? NaN)),
  });
  const cpu = (xs: readonly RuntimeBenchResult[]): number[] => xs.map((r) => r.cpuUs ?? NaN);
  const pct = (xs: readonly number[], base: readonly number[]): number[] => pairedRatios(xs, base).map((x) => x * 100);
  const vsFloor = pct(runs.raw, runs.floor);
  const d64 = pct(rates(runs.durable64), runs.signCores);
  const d256 = pct(rates(runs.durable256), runs.signCores);
  const b64 = pct(rates(runs.batch64), rates(runs.appends64));
  const b256 = pct(rates(runs.batch256), rates(runs.appends256));
  const figures = [
    figure("path.floor", "floor: plain script, the same IRs + RFC 8785 + both SHA-256 digests", "IRs/s", runs.floor, {
      notes: "no validation, no schema, no state (bench/runtime.ts benchIrFloor; its digests are checked against the Enforcer's)",
    }),
    figure("path.memory.raw", "Enforcer.decide from a raw tool call, memory store", "decisions/s", runs.raw),
    figure("path.memory.bookkeeping", "Enforcer.decide, IR prebuilt, memory store", "decisions/s", runs.bookkeeping),
    figure("path.journal.native", "decisions + native receipts, memory journal, one caller", "decisions/s", rates(runs.journal), lat(runs.journal)),
    figure("path.sign.native", "raw native signing, one core", "signatures/s", runs.signOne),
    figure("path.sign.native.cores", `raw native signing, all cores (${cores} worker threads)`, "signatures/s", runs.signCores),
    figure("path.durable.c64", `decisions + native receipts, durable, signed on ${cores} worker threads, 64 callers`, "decisions/s", rates(runs.durable64), lat(runs.durable64)),
    figure("path.durable.c256", `the same, 256 callers`, "decisions/s", rates(runs.durable256), lat(runs.durable256)),
    figure("path.durable.batch.c64", "decisions + receipts sealed per batch (one signature per write), durable, 64 callers", "decisions/s", rates(runs.batch64), lat(runs.batch64)),
    figure("path.durable.batch.c256", "the same, 256 callers", "decisions/s", rates(runs.batch256), lat(runs.batch256)),
    figure("path.appends.c64", "floor: the same receipt lines appended durably by a bare group commit, 64 callers", "lines/s", rates(runs.appends64), lat(runs.appends64)),
    figure("path.appends.c256", "the same, 256 callers", "lines/s", rates(runs.appends256), lat(runs.appends256)),
    figure("path.durable.batch.c64.cpu", "CPU per per-batch durable decision, every thread of the process, 64 callers", "µs", cpu(runs.batch64)),
    figure("path.durable.batch.c256.cpu", "the same, 256 callers", "µs", cpu(runs.batch256)),
    figure("path.appends.c256.cpu", "CPU per bare durable append, every thread, 256 callers", "µs", cpu(runs.appends256)),
    figure("path.memory.raw/floor", "raw decisions / floor (paired)", "%", vsFloor),
    figure("path.durable.c64/sign.cores", "durable decisions at 64 callers / raw signing on all cores (paired)", "%", d64),
    figure("path.durable.c256/sign.cores", "durable decisions at 256 callers / raw signing on all cores (paired)", "%", d256),
    figure("path.durable.batch.c64/appends.c64", "per-batch durable decisions / bare durable appends of the same bytes, 64 callers (paired)", "%", b64),
    figure("path.durable.batch.c256/appends.c256", "the same, 256 callers (paired)", "%", b256),
  ];
  const best = Math.max(summarize(d64).median, summarize(d256).median);
  const bestBatch = Math.max(summarize(b64).median, summarize(b256).median);
  const p99 = summarize(runs.durable64.map((r) => r.p99Us ?? NaN)).median;
  const p99Batch = summarize(runs.batch64.map((r) => r.p99Us ?? NaN)).median;
  const targets: TargetCheck[] = [
    {
      case: "path",
      target: "Enforcer.decide from a raw tool call (memory store) >= 80% of the floor script",
      measured: `${summarize(vsFloor).median.toFixed(0)}%`,
      met: summarize(vsFloor).median >= 80,
    },
    {
      case: "path",
      target: "durable signed decisions >= 50% of raw native signing on all cores (per-receipt signatures), or >= 50% of bare durable appends of the same bytes (per-batch)",
      measured:
        `per-receipt: ${summarize(d64).median.toFixed(0)}% at 64 callers, ${summarize(d256).median.toFixed(0)}% at 256 (${fmt(summarize(rates(runs.durable256)).median)}/s vs ${fmt(summarize(runs.signCores).median)}/s); ` +
        `per-batch: ${summarize(b64).median.toFixed(0)}% at 64, ${summarize(b256).median.toFixed(0)}% at 256 (${fmt(summarize(rates(runs.batch64)).median)}/s vs ${fmt(summarize(rates(runs.appends64)).median)}/s at 64); ` +
        // what the CPU allows: a per-batch decision costs this much CPU on all threads together, so the cores cannot
        // run more of them than this, busy or not, against the rate the goal asks for
        `CPU per per-batch decision ${summarize(cpu(runs.batch256)).median.toFixed(0)} µs (all threads): at most ${fmt((cores * 1e6) / summarize(cpu(runs.batch256)).median)}/s on ${cores} cores, against ${fmt(summarize(rates(runs.appends64)).median / 2)}/s (64) and ${fmt(summarize(rates(runs.appends256)).median / 2)}/s (256) asked`,
      met: best >= 50 || bestBatch >= 50,
    },
    {
      case: "path",
      target: "p99 latency of a durable decision at 64 callers < 10 ms",
      measured: `per-batch ${(p99Batch / 1000).toFixed(2)} ms; per-receipt ${(p99 / 1000).toFixed(2)} ms`,
      met: p99Batch < 10_000 || p99 < 10_000,
    },
  ];
  return { name: "path", title: "The whole decision path: raw tool call to durable signed receipt", figures, targets };
}

async function caseVerify(o: Options): Promise<Omit<CaseResult, "seconds" | "loadavg">> {
  const receipts = o.quick ? 10_000 : 100_000;
  // Warm-up on a small log (large enough for the parallel path); the big log is in the page cache once written.
  const warm = await writeBenchLog(5_000);
  try {
    await timeVerifyLog(warm, 5_000);
  } finally {
    rmSync(warm, { recursive: true, force: true });
  }
  const dir = await writeBenchLog(receipts);
  try {
    const ms: number[] = [];
    let notes = "";
    for (let r = 0; r < o.runs; r++) {
      const v = await timeVerifyLog(dir, receipts);
      ms.push(v.ms);
      notes = v.notes ?? "";
    }
    const seconds = ms.map((x) => x / 1000);
    const per100k = summarize(seconds).median * (100_000 / receipts);
    const figures = [
      figure("verify.rate", `verifyLog, ${receipts.toLocaleString("en-US")}-receipt log`, "receipts/s", ms.map((x) => (receipts / x) * 1000), { notes }),
      figure("verify.seconds", `verifyLog, ${receipts.toLocaleString("en-US")}-receipt log`, "s", seconds),
    ];
    const targets: TargetCheck[] = [
      {
        case: "verify",
        target: "a 100,000-receipt log verifies in < 20 s",
        measured: receipts === 100_000 ? `${per100k.toFixed(1)} s` : `${per100k.toFixed(1)} s (extrapolated from ${receipts.toLocaleString("en-US")})`,
        met: receipts === 100_000 ? per100k < 20 : null,
      },
    ];
    return { name: "verify", title: "5. Log verification", figures, targets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Case: replay (xpol replay --key) against verification of the same log, interleaved run by run

async function caseReplay(o: Options): Promise<Omit<CaseResult, "seconds" | "loadavg">> {
  const receipts = o.quick ? 10_000 : 100_000;
  const tightened = compileExample(true);
  const warm = await writeReplayLog(5_000);
  try {
    await timeVerify(warm, 5_000);
    await timeReplay(warm, 5_000, tightened);
  } finally {
    rmSync(warm, { recursive: true, force: true });
  }
  const dir = await writeReplayLog(receipts);
  try {
    const verify: number[] = [];
    const replay: number[] = [];
    let changed = 0;
    for (let r = 0; r < o.runs; r++) {
      // alternate which goes first, so neither always runs on a cooler (or hotter) machine
      if (r % 2 === 0) verify.push(await timeVerify(dir, receipts));
      const rep = await timeReplay(dir, receipts, tightened);
      replay.push(rep.ms);
      changed = rep.report.changes.changed;
      if (r % 2 === 1) verify.push(await timeVerify(dir, receipts));
    }
    const ratio = pairedRatios(replay, verify);
    const med = summarize(ratio).median;
    const figures = [
      figure("replay.verify.seconds", `verifyLog, ${receipts.toLocaleString("en-US")}-receipt log of the invoices example`, "s", verify.map((x) => x / 1000)),
      figure("replay.seconds", `replay (verifyLog + re-deciding every decision under the tightened threshold), same log`, "s", replay.map((x) => x / 1000), {
        notes: `${changed.toLocaleString("en-US")} decisions change (allow -> require approval)`,
      }),
      figure("replay.ratio", "replay time / verify time, paired runs", "x", ratio),
    ];
    const targets: TargetCheck[] = [
      {
        case: "replay",
        target: "replay of a 100,000-receipt log within 1.1x the time verify takes on it",
        measured: `${med.toFixed(3)}x (${summarize(replay).median.toFixed(0)} ms vs ${summarize(verify).median.toFixed(0)} ms, median of ${o.runs} paired runs)`,
        met: receipts === 100_000 ? med <= 1.1 : null,
      },
    ];
    return { name: "replay", title: "Replay against verification", figures, targets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Case 7: bounded cost for every input (parse, check, format at 1 and 4 MB; the worst-case decision)

async function caseScale(o: Options): Promise<Omit<CaseResult, "seconds" | "loadavg">> {
  const rows = runScaleBench(o.quick);
  const figures = rows.map((r, k) =>
    figure(`scale.${k}`, r.label, "ms", [], { value: summarize([r.ms]), cpu: summarize([r.cpuMs]), notes: r.note }),
  );
  const worst = rows.filter((r) => r.label.startsWith("worst-case decision"));
  const slowest = worst.reduce((a, b) => (b.cpuMs > a.cpuMs ? b : a));
  const targets: TargetCheck[] = [
    {
      case: "scale",
      target: "worst-case decision (largest admitted input, costliest condition) < 100 ms CPU time",
      measured: `${slowest.cpuMs.toFixed(1)} ms CPU time (${slowest.label.replace("worst-case decision: ", "")}: ${slowest.note})`,
      met: slowest.cpuMs < 100,
    },
  ];
  return { name: "scale", title: "7. Bounded cost for every input", figures, targets };
}

// ------------------------------------------------------------------------------------------------------------------
// Case 6: memory, in a child process with --expose-gc

const CHILD_MARKER = "BENCH-MEMORY-RESULT ";

interface MemorySamples {
  readonly keys: number;
  readonly heapMiB: number[];
  readonly bytesPerKey: number[];
  readonly requests: number;
  readonly bytesPerRequest: number[];
  readonly notes: string;
}

/** Runs in the child: a warm-up of each, then `runs` measurements; prints one JSON line. */
async function memoryChild(quick: boolean, runs: number): Promise<void> {
  const keys = quick ? 200_000 : 1_000_000;
  const requests = quick ? 20_000 : 100_000;
  await benchHeapCounters(Math.min(keys, 100_000));
  await benchBytesPerPending(Math.min(requests, 10_000));
  const heapMiB: number[] = [];
  const bytesPerKey: number[] = [];
  const bytesPerRequest: number[] = [];
  let notes = "";
  for (let r = 0; r < runs; r++) {
    const h = await benchHeapCounters(keys);
    heapMiB.push(h.rate);
    bytesPerKey.push((h.rate * 1024 * 1024) / keys);
    const p = await benchBytesPerPending(requests);
    bytesPerRequest.push(p.rate);
    notes = p.notes ?? "";
  }
  const out: MemorySamples = { keys, heapMiB, bytesPerKey, requests, bytesPerRequest, notes };
  process.stdout.write(CHILD_MARKER + JSON.stringify(out) + "\n");
}

async function caseMemory(o: Options): Promise<Omit<CaseResult, "seconds" | "loadavg">> {
  const args = ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), "--memory-child", "--runs", String(o.runs)];
  if (o.quick) args.push("--quick");
  const child = spawnSync(process.execPath, args, { cwd: repo, encoding: "utf8", maxBuffer: 16 << 20 });
  const line = (child.stdout ?? "").split("\n").find((l) => l.startsWith(CHILD_MARKER));
  if (child.status !== 0 || line === undefined) {
    throw new HarnessError(`the memory child process failed (exit ${String(child.status)}): ${(child.stderr ?? "").trim().slice(-2000)}`);
  }
  const m = JSON.parse(line.slice(CHILD_MARKER.length)) as MemorySamples;
  const figures = [
    figure("memory.counters.heap", `heap after ${m.keys.toLocaleString("en-US")} distinct counter keys`, "MiB", m.heapMiB),
    figure("memory.counters.perKey", "heap per counter key (calendar month window)", "bytes", m.bytesPerKey),
    figure("memory.pending.perRequest", "heap per pending approval request", "bytes", m.bytesPerRequest, { notes: m.notes }),
  ];
  return { name: "memory", title: "6. Memory", figures, targets: [] };
}

// ------------------------------------------------------------------------------------------------------------------
// Formatting

/** A number with 3-4 significant digits and thousands separators (1,234,567 / 12.3 / 0.456). */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function printCase(r: CaseResult): void {
  console.log(`\n${r.title}  (${r.seconds.toFixed(0)} s, load average ${r.loadavg.start.toFixed(1)} -> ${r.loadavg.end.toFixed(1)})`);
  const head = `  ${"figure".padEnd(62)} ${"median".padStart(12)} ${"min".padStart(12)} ${"max".padStart(12)}  unit`;
  console.log(head);
  for (const f of r.figures) {
    const v = f.value;
    let line = `  ${f.label.padEnd(62)} ${fmt(v.median).padStart(12)} ${fmt(v.min).padStart(12)} ${fmt(v.max).padStart(12)}  ${f.unit}`;
    if (f.p50Us !== undefined && f.p99Us !== undefined) line += `  p50 ${fmt(f.p50Us.median)} µs, p99 ${fmt(f.p99Us.median)} µs`;
    if (f.cpu !== undefined) line += `  (CPU time: ${fmt(f.cpu.median)})`;
    console.log(line);
  }
  const perItem = r.details?.perItem as readonly ItemCost[] | undefined;
  if (perItem !== undefined) {
    console.log(`  per workload item (best of 3 short runs): ${"xpol ns".padStart(9)} ${"Cedar ns".padStart(10)}`);
    for (const x of perItem) console.log(`    ${`${x.label} (${x.effect})`.padEnd(64)} ${fmt(x.xpolNs).padStart(9)} ${fmt(x.cedarNs).padStart(10)}`);
  }
}

function printTargets(targets: readonly TargetCheck[]): void {
  if (targets.length === 0) return;
  console.log("\nTargets");
  for (const t of targets) {
    const verdict = t.met === null ? "n/a " : t.met ? "met " : "MISSED";
    console.log(`  [${verdict.padEnd(6)}] ${t.case.padEnd(9)} ${t.target}: ${t.measured}`);
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Main

const CASES: ReadonlyArray<{ readonly name: string; readonly run: (o: Options) => Promise<Omit<CaseResult, "seconds" | "loadavg">> }> = [
  { name: "decide", run: caseDecide },
  { name: "cel", run: caseCel },
  { name: "receipts", run: caseReceipts },
  { name: "path", run: casePath },
  { name: "compile", run: caseCompile },
  { name: "verify", run: caseVerify },
  { name: "replay", run: caseReplay },
  { name: "memory", run: caseMemory },
  { name: "scale", run: caseScale },
];

// Cases owned by other workspace packages, with their own harness and dependencies (the http case drives
// @execlayer/server with autocannon, the mcp case drives xpol mcp with the MCP SDK's client): `--only NAME` runs that
// package's `npm run bench` in a child process, so the core neither imports nor depends on them.
const FORWARDED: Readonly<Record<string, string>> = { http: "@execlayer/server", mcp: "@execlayer/mcp" };

function forward(name: string, argv: readonly string[]): number {
  const pkg = FORWARDED[name]!;
  const run = spawnSync("npm", ["run", "bench", "-w", pkg, "--", ...argv], { cwd: path.resolve(repo, "../.."), stdio: "inherit" });
  return run.status ?? 1;
}

/** Runs one case in this process and prints it; a failure is printed and returned. */
async function runCase(c: (typeof CASES)[number], options: Options): Promise<CaseResult | { readonly error: string }> {
  const load0 = os.loadavg()[0]!;
  const t0 = performance.now();
  try {
    const r = await c.run(options);
    const result: CaseResult = { ...r, seconds: (performance.now() - t0) / 1000, loadavg: { start: load0, end: os.loadavg()[0]! } };
    printCase(result);
    return result;
  } catch (e: unknown) {
    const message = e instanceof Error ? (e instanceof HarnessError ? e.message : (e.stack ?? e.message)) : String(e);
    console.error(`\n${c.name}: FAILED: ${message}`);
    return { error: message };
  }
}

/** `--case-child`: one case, printed, its result (or failure) written to `--out` for the parent. */
async function runCaseChild(cli: CliOptions, options: Options): Promise<number> {
  const c = CASES.find((x) => x.name === cli.only);
  if (c === undefined) return 2;
  const r = await runCase(c, options);
  writeFileSync(cli.out, JSON.stringify(r) + "\n");
  return "error" in r ? 1 : 0;
}

/** Runs one case in a new process (this one's Node and loader), printing as it goes; its result, or why it failed. */
function caseInChild(name: string, cli: CliOptions): CaseResult | { readonly error: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "xp-bench-case-"));
  try {
    const out = path.join(dir, "case.json");
    const args = [...process.execArgv, fileURLToPath(import.meta.url), "--case-child", "--only", name, "--runs", String(cli.runs), "--out", out, ...(cli.quick ? ["--quick"] : [])];
    const run = spawnSync(process.execPath, args, { stdio: "inherit" });
    try {
      return JSON.parse(readFileSync(out, "utf8")) as CaseResult | { error: string };
    } catch {
      const error = `the case's process ended (${run.status ?? run.signal}) without a result`;
      console.error(`\n${name}: FAILED: ${error}`);
      return { error };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface CliOptions {
  readonly quick: boolean;
  readonly only: string | null;
  readonly runs: number;
  readonly memoryChild: boolean;
  /** run as one case's own process (a full run starts one per case): print that case only */
  readonly caseChild: boolean;
  readonly out: string;
}

/** Parses the command line; returns an error message for bad usage. */
export function parseArgs(argv: readonly string[]): CliOptions | string {
  let quick = false;
  let only: string | null = null;
  let runs = 5;
  let memoryChild = false;
  let caseChild = false;
  let out = path.join(here, "results.json");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case "--quick":
        quick = true;
        break;
      case "--only": {
        const v = value();
        if (v === undefined) return "--only needs a case name";
        if (!CASES.some((c) => c.name === v) && FORWARDED[v] === undefined) return `unknown case \`${v}\` (cases: ${[...CASES.map((c) => c.name), ...Object.keys(FORWARDED)].join(", ")})`;
        only = v;
        break;
      }
      case "--runs": {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 5) return "--runs needs an integer >= 5";
        runs = v;
        break;
      }
      case "--out": {
        const v = value();
        if (v === undefined) return "--out needs a path";
        out = path.resolve(v);
        break;
      }
      case "--memory-child":
        memoryChild = true;
        break;
      case "--case-child":
        caseChild = true;
        break;
      default:
        return `unknown option \`${a}\` (usage: npm run bench -- [--quick] [--only ${CASES.map((c) => c.name).join("|")}] [--runs N] [--out FILE])`;
    }
  }
  return { quick, only, runs, memoryChild, caseChild, out };
}

async function main(argv: readonly string[]): Promise<number> {
  const cli = parseArgs(argv);
  if (typeof cli === "string") {
    console.error(cli);
    return 2;
  }
  if (cli.memoryChild) {
    await memoryChild(cli.quick, cli.runs);
    return 0;
  }
  if (cli.only !== null && FORWARDED[cli.only] !== undefined) return forward(cli.only, argv);
  const options: Options = { quick: cli.quick, runs: cli.runs };
  if (cli.caseChild) return runCaseChild(cli, options);
  const started = Date.now();
  const meta = {
    date: new Date(started).toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    loadavgAtStart: os.loadavg(),
    quick: cli.quick,
    only: cli.only,
    runs: cli.runs,
  };
  console.log(
    `ExecLayer benchmarks: node ${meta.node}, ${meta.cpus} × ${meta.cpuModel}, load average ${meta.loadavgAtStart.map((x) => x.toFixed(1)).join(" ")}` +
      `${cli.quick ? ", quick" : ""}; median of ${cli.runs} runs after a warm-up, [min, max]`,
  );
  const results: CaseResult[] = [];
  const failures: { case: string; error: string }[] = [];
  for (const c of CASES) {
    if (cli.only !== null && c.name !== cli.only) continue;
    // A full run gives each case a process of its own: one case's JIT feedback and heap would otherwise shape the
    // next (the whole path's raw decisions measured 49% of their floor after the receipts case, 88% on their own).
    const r = cli.only === null ? caseInChild(c.name, cli) : await runCase(c, options);
    if ("error" in r) {
      failures.push({ case: c.name, error: r.error });
      // Decisions that differ between the engines make every rate meaningless: stop here.
      if (c.name === "decide") break;
    } else results.push(r);
  }
  const targets = results.flatMap((r) => r.targets);
  printTargets(targets);
  const seconds = (Date.now() - started) / 1000;
  const report = { ...meta, seconds, loadavgAtEnd: os.loadavg(), cases: results, targets, failures };
  writeFileSync(cli.out, JSON.stringify(report, null, 2) + "\n");
  console.log(`\n${results.length} case(s) in ${seconds.toFixed(0)} s; results written to ${path.relative(process.cwd(), cli.out) || cli.out}`);
  return failures.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
