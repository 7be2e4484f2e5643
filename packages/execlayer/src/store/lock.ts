// The single-writer lock of a state directory: a file `DIR/LOCK` holding `{"pid":..,"host":..,"since":..}`.
//
// Acquire: the lock text is written to a private temporary file, then hard-linked to `LOCK`; link(2) fails if LOCK
// exists, so the lock appears atomically and always complete (never an empty file from a crash mid-write).
// Held: if LOCK exists and names a live process (`kill(pid, 0)` succeeds or fails with EPERM), or a process on
// another host (we cannot tell whether it lives), acquiring fails with a typed error naming the holder.
// Stale: if LOCK names a dead process on this host (ESRCH), or cannot be parsed, it is reclaimed: renamed away
// (rename is atomic, so of two reclaimers only one gets the stale file), checked to still hold the stale text (if a
// racing reclaimer had already replaced it, the fresh lock is put back and we report it held), then deleted; then
// acquire is retried once. A reused pid (the dead holder's pid now belongs to another live process) makes the lock
// look held; delete `LOCK` by hand after checking that no ExecLayer process uses the directory.
// Release: LOCK is removed only if it still holds our text. Locks are also released at process exit.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { StoreError } from "../runtime/store.ts";

export const LOCK_FILE = "LOCK";

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export interface DirectoryLock {
  readonly file: string;
  readonly holder: LockHolder;
  release(): void;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== "object" || v === null) return null;
    const o = v as Record<string, unknown>;
    if (typeof o["pid"] !== "number" || !Number.isSafeInteger(o["pid"]) || o["pid"] <= 0) return null;
    if (typeof o["host"] !== "string" || typeof o["since"] !== "string") return null;
    return { pid: o["pid"], host: o["host"], since: o["since"] };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function describeHolder(h: LockHolder): string {
  const self = h.pid === process.pid && h.host === os.hostname() ? ", this process" : "";
  return `pid ${h.pid} on ${h.host}${self} (since ${h.since})`;
}

const held = new Set<DirectoryLock>();
let exitHookInstalled = false;

function releaseAllAtExit(): void {
  for (const lock of held) lock.release();
}

function lockedError(dir: string, holder: LockHolder): StoreError {
  return new StoreError(
    Diagnostics.storeLocked.code,
    Diagnostics.storeLocked.message(dir, describeHolder(holder)),
    "locked",
    holder,
  );
}

/** Takes the directory's lock or throws a StoreError (`locked` naming the holder, or `io`). */
export function acquireDirectoryLock(dir: string): DirectoryLock {
  const file = path.join(dir, LOCK_FILE);
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const text = JSON.stringify(holder) + "\n";
  const temp = path.join(dir, `${LOCK_FILE}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    fs.writeFileSync(temp, text, { flag: "wx", mode: 0o644 });
  } catch (e: unknown) {
    throw new StoreError(Diagnostics.storeOpenFailed.code, Diagnostics.storeOpenFailed.message(dir, (e as Error).message), "io");
  }
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.linkSync(temp, file);
        return register(file, holder, text);
      } catch (e: unknown) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new StoreError(Diagnostics.storeOpenFailed.code, Diagnostics.storeOpenFailed.message(dir, (e as Error).message), "io");
        }
      }
      reclaimIfStale(dir, file);
    }
    const current = readHolder(file);
    throw lockedError(dir, current ?? { pid: 0, host: "unknown", since: "unknown" });
  } finally {
    try {
      fs.unlinkSync(temp);
    } catch {
      // already gone
    }
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    return parseHolder(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** Throws `locked` when the current holder is alive; removes the lock when it is stale. */
function reclaimIfStale(dir: string, file: string): void {
  let staleText: string;
  try {
    staleText = fs.readFileSync(file, "utf8");
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // released meanwhile: retry
    throw new StoreError(Diagnostics.storeOpenFailed.code, Diagnostics.storeOpenFailed.message(dir, (e as Error).message), "io");
  }
  const h = parseHolder(staleText);
  if (h !== null && (h.host !== os.hostname() || isAlive(h.pid))) throw lockedError(dir, h);
  const aside = path.join(dir, `${LOCK_FILE}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`);
  try {
    fs.renameSync(file, aside);
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // another reclaimer moved it: retry
    throw new StoreError(Diagnostics.storeOpenFailed.code, Diagnostics.storeOpenFailed.message(dir, (e as Error).message), "io");
  }
  const moved = fs.readFileSync(aside, "utf8");
  if (moved !== staleText) {
    // We moved a fresh lock that a racing reclaimer had just taken: put it back and report it.
    try {
      fs.linkSync(aside, file);
    } catch {
      // someone else holds LOCK now; either way it is not ours
    }
    fs.unlinkSync(aside);
    const fresh = parseHolder(moved);
    throw lockedError(dir, fresh ?? { pid: 0, host: "unknown", since: "unknown" });
  }
  fs.unlinkSync(aside);
}

function register(file: string, holder: LockHolder, text: string): DirectoryLock {
  let released = false;
  const lock: DirectoryLock = {
    file,
    holder,
    release() {
      if (released) return;
      released = true;
      held.delete(lock);
      try {
        if (fs.readFileSync(file, "utf8") === text) fs.unlinkSync(file);
      } catch {
        // gone already, or unreadable: nothing of ours to remove
      }
    },
  };
  held.add(lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", releaseAllAtExit);
  }
  return lock;
}
