// One runtime replica in its own process, for the fleet tests: an Enforcer over PostgresStore with its own pool.
// argv[2] is JSON (ReplicaArgs). Prints {"ready":true} once connected, waits for "go" on stdin, then:
//   burst: decides `n` proposals (at most `concurrency` at a time), prints one summary line {"effects", "codes"};
//          then waits for another `go {"now": ms, "n": count}` (a new round at that time) or "done"
//   load:  decides until "stop" on stdin, printing one line per decision *after* decide returned it
//   timed: decides for `seconds` (bench), prints {"count", "latencies"} (ms, sorted) and the store's stats
// then closes the store (final checkpoint) and prints {"closed":true}.
import * as readline from "node:readline";
import { Enforcer } from "execlayer";
import { PostgresStore } from "@execlayer/postgres";
import { fleetKey, invoicePolicy, setStatus, who } from "./policy.ts";

export interface ReplicaArgs {
  readonly url: string;
  readonly mode: "burst" | "load" | "timed";
  /** timed: how long */
  readonly seconds?: number;
  readonly replica: string;
  readonly limit?: number;
  readonly window?: string;
  /** burst: how many decisions, and the invoice ids they name (`same`: one invoice for all) */
  readonly n?: number;
  readonly invoice?: string;
  readonly concurrency?: number;
  /** a fixed decision time (ms); default the clock */
  readonly now?: number;
  readonly receipts?: boolean;
  readonly poolSize?: number;
}

const args = JSON.parse(process.argv[2]!) as ReplicaArgs;
const store = await PostgresStore.connect(args.url, { replica: args.replica, redactionKey: fleetKey, ...(args.receipts === false ? { receipts: false } : {}), poolSize: args.poolSize ?? 2, statementTimeoutMs: 3000, connectTimeoutMs: 2000 });
let now = args.now;
const enforcer = await Enforcer.create({ policy: invoicePolicy(args.limit, args.window), store, clock: () => now ?? Date.now() });
const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + "\n");

const lines = readline.createInterface({ input: process.stdin });
let stopped = false;
// commands in arrival order: "go" or "go {json}", "done"
const commands: string[] = [];
let wake: (() => void) | null = null;
lines.on("line", (l) => {
  if (l === "stop") stopped = true;
  commands.push(l);
  wake?.();
});
async function nextCommand(): Promise<string> {
  while (commands.length === 0) await new Promise<void>((r) => (wake = r));
  return commands.shift()!;
}
out({ ready: true, pid: process.pid });
let command = await nextCommand();

if (args.mode === "burst") {
  let round = 0;
  let seq = 0;
  while (command.startsWith("go")) {
    const o = command.length > 2 ? (JSON.parse(command.slice(3)) as { now?: number; n?: number }) : {};
    if (o.now !== undefined) now = o.now;
    const n = o.n ?? args.n ?? 100;
    const effects: Record<string, number> = {};
    const codes: Record<string, number> = {};
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) {
        const d = await enforcer.decide(setStatus(args.invoice ?? `${args.replica}-${seq++}`), who);
        effects[d.effect] = (effects[d.effect] ?? 0) + 1;
        if (d.code !== undefined) codes[d.code] = (codes[d.code] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: args.concurrency ?? 32 }, worker));
    out({ round: round++, effects, codes, stats: store.stats });
    command = await nextCommand();
  }
} else if (args.mode === "timed") {
  const end = performance.now() + (args.seconds ?? 10) * 1000;
  const latencies: number[] = [];
  const effects: Record<string, number> = {};
  let k = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const d = await enforcer.decide(setStatus(`${args.replica}-${k++}`), who);
      latencies.push(performance.now() - t);
      effects[d.effect] = (effects[d.effect] ?? 0) + 1;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: args.concurrency ?? 64 }, worker));
  out({ count: latencies.length, ms: performance.now() - t0, effects, latencies: latencies.sort((a, b) => a - b), stats: store.stats });
} else {
  let i = 0;
  const worker = async () => {
    while (!stopped) {
      const k = i++;
      const d = await enforcer.decide(setStatus(`${args.replica}-${k}`), who);
      out({ i: k, t: Date.now(), effect: d.effect, code: d.code ?? null, sig: d.receipt?.sig ?? null });
      // a denied decision (the store is down) is not retried in a hot loop
      if (d.effect === "deny") await new Promise((r) => setTimeout(r, 20));
    }
  };
  await Promise.all(Array.from({ length: args.concurrency ?? 8 }, worker));
}
await store.close();
out({ closed: true });
lines.close();
