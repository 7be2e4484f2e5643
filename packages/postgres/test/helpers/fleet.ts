// Starting replica processes (replica.ts) and reading what they print.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { ReplicaArgs } from "./replica.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, "../..");

/**
 * The longest wait for one line of a replica: below the test timeout (vitest.config.ts, 120 s), so a replica too slow
 * to answer fails its test naming the replica, with its stderr, instead of the test running into vitest's timeout.
 */
export const REPLICA_WAIT_MS = 90_000;

let script: string | undefined;

/**
 * replica.ts and policy.ts as JavaScript, transpiled once per process into temp/replica/ (inside the package, so
 * `execlayer` and `@execlayer/postgres` resolve as from test/helpers/, to their builds). A replica then starts without
 * tsx, whose loader more than doubled the cost of importing the two packages' builds (3.4 s instead of 1.4 s of CPU
 * each, measured under load 12): with 8 replicas starting at once on 2 cores, that start was most of a fleet test's
 * time and what timed out under heavy load.
 */
function replicaScript(): string {
  if (script !== undefined) return script;
  const out = path.join(pkg, "temp", "replica");
  fs.mkdirSync(out, { recursive: true });
  for (const name of ["replica", "policy"]) {
    const source = fs.readFileSync(path.join(here, `${name}.ts`), "utf8");
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, rewriteRelativeImportExtensions: true },
    }).outputText;
    // written whole (rename), so a replica never imports a half-written file
    const tmp = path.join(out, `${name}.js.${process.pid}`);
    fs.writeFileSync(tmp, js);
    fs.renameSync(tmp, path.join(out, `${name}.js`));
  }
  return (script = path.join(out, "replica.js"));
}

export interface Replica {
  readonly proc: ChildProcess;
  /** every JSON line printed so far */
  readonly lines: Record<string, unknown>[];
  /** resolves with the first line matching */
  waitFor(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(line: string): void;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

export function startReplica(args: ReplicaArgs): Replica {
  // The replicas run the packages' builds (dist/, as a deployment would; `npm test` builds first), and this helper
  // as plain JavaScript (replicaScript).
  const proc = spawn(process.execPath, [replicaScript(), JSON.stringify(args)], {
    cwd: pkg,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = "";
  let err = "";
  proc.stdout!.setEncoding("utf8");
  proc.stdout!.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      for (const w of waiters.slice()) {
        if (w.pred(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return {
    proc,
    lines,
    exited,
    stderr: () => err,
    send: (line) => proc.stdin!.write(line + "\n"),
    waitFor(pred, timeoutMs = REPLICA_WAIT_MS) {
      const found = lines.find(pred);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`replica ${args.replica}: timed out; stderr: ${err.slice(-2000)}`)), timeoutMs);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`replica ${args.replica} exited (${code}); stderr: ${err.slice(-2000)}`));
        });
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
  };
}

/** Starts replicas, waits until all are connected, then lets them go at once. */
export async function startFleet(all: readonly ReplicaArgs[]): Promise<Replica[]> {
  const fleet = all.map(startReplica);
  await Promise.all(fleet.map((r) => r.waitFor((l) => l["ready"] === true)));
  for (const r of fleet) r.send("go");
  return fleet;
}
