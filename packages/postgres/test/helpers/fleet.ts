// Starting replica processes (replica.ts) and reading what they print.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { ReplicaArgs } from "./replica.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, "../..");

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
  // The replicas run the packages' builds (dist/, as a deployment would; `npm test` builds first): only this helper
  // goes through tsx, which keeps a replica's start to about a second instead of transforming the core's sources.
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(here, "replica.ts"), JSON.stringify(args)], {
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
    waitFor(pred, timeoutMs = 60_000) {
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
