// The durability contract, tested the hard way: a child process makes decisions against a durable store and prints
// each one after `decide` returned it; we kill -9 it mid-stream, reopen the directory, and check that every decision
// it had returned is in the store, and that the rebuilt counters agree with the log.
import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { readReceipts } from "../../src/receipts/index.ts";
import type { Receipt } from "../../src/index.ts";
import { verifyLog } from "../../src/receipts/index.ts";
import { DurableStore } from "../../src/index.ts";
import { StoreError } from "../../src/index.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, "helpers", "durable-child.ts");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

interface Line {
  readonly i: number;
  readonly effect: string;
  readonly seq: number | null;
  readonly agent: string;
  readonly request: string | null;
}

async function runAndKill(dir: string, afterLines: number, mode: "main" | "threads" | "batch"): Promise<{ lines: Line[]; lockError: unknown; pid: number }> {
  const proc = spawn(process.execPath, ["--import", "tsx", child, dir, mode], { stdio: ["ignore", "pipe", "pipe"], cwd: path.resolve(here, "../..") });
  const lines: Line[] = [];
  let lockError: unknown;
  let pid = 0;
  let buffer = "";
  let stderr = "";
  proc.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.on("exit", () => (lines.length >= afterLines ? resolve() : reject(new Error(`child exited early: ${stderr}`))));
    proc.stdout.on("data", (b: Buffer) => {
      buffer += b.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const msg = JSON.parse(text) as Line & { ready?: boolean; pid?: number };
        if (msg.ready === true) {
          pid = msg.pid!;
          // a second process (this one) cannot open the directory while the child holds it
          DurableStore.open(dir).then(
            (s) => {
              lockError = new Error("opened a locked directory");
              void s.close();
            },
            (e: unknown) => (lockError = e),
          );
          continue;
        }
        lines.push(msg);
        if (lines.length === afterLines) proc.kill("SIGKILL");
      }
    });
  });
  return { lines, lockError, pid };
}

describe.each(["main", "threads", "batch"] as const)("kill -9 (signing: %s)", (mode) => {
  it("every decision the process returned is in the reopened store", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xpol-crash-"));
    dirs.push(dir);
    const { lines, lockError, pid } = await runAndKill(dir, 400, mode);

    expect(lockError).toBeInstanceOf(StoreError);
    expect((lockError as StoreError).reason).toBe("locked");
    expect((lockError as StoreError).message).toContain(`pid ${pid}`);

    // the dead child's lock is stale and reclaimed
    const store = await DurableStore.open(dir);
    const receipts: Receipt[] = [];
    for await (const item of readReceipts(dir)) {
      expect(item.ok).toBe(true);
      if (item.ok) receipts.push(item.receipt);
    }
    expect(receipts.length).toBe(store.log.size);
    for (const line of lines) {
      expect(line.seq).not.toBeNull();
      const r = receipts[line.seq!];
      expect(r, `decision ${line.i} (seq ${line.seq})`).toBeDefined();
      expect((r!.body["decision"] as { effect: string }).effect).toBe(line.effect);
    }
    // counters rebuilt from the log equal the allowed updates in the log, per agent, and cover every acknowledged one
    const decisions = receipts.filter((r) => r.kind !== "seal");
    if (mode === "batch") expect(decisions.length).toBeLessThan(receipts.length);
    for (const agent of ["agent-0", "agent-1"]) {
      const inLog = decisions.filter(
        (r) => (r.body["decision"] as { effect: string }).effect === "allow" && (r.body["ir"] as { actor: { agent: string } }).actor.agent === agent && (r.body["ir"] as { action: { type: string } }).action.type === "invoice.update_status",
      ).length;
      const acked = lines.filter((l) => l.agent === agent && l.effect === "allow").length;
      const value = store.state.counter("status_updates", { kind: "calendar", unit: "month" }, JSON.stringify([agent]), Date.now());
      expect(value).toBe(inLog);
      expect(value).toBeGreaterThanOrEqual(acked);
    }
    // every approval request the child reported is pending in the reopened store
    const open = new Set((await store.openRequests(Date.now())).map((s) => s.request.id));
    for (const l of lines) if (l.request !== null) expect(open.has(l.request)).toBe(true);
    await store.close();
    expect((await verifyLog(dir, store.signer.publicKey)).ok).toBe(true);
  });
});
