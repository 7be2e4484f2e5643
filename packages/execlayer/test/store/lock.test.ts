import { afterEach, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { acquireDirectoryLock, LOCK_FILE } from "../../src/store/lock.ts";
import { StoreError } from "../../src/index.ts";

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "xpol-lock-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("directory lock", () => {
  it("is exclusive: a second open gets a typed error naming the holder", () => {
    const dir = tempDir();
    const lock = acquireDirectoryLock(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    let err: unknown;
    try {
      acquireDirectoryLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    const se = err as StoreError;
    expect(se.reason).toBe("locked");
    expect(se.code).toBe("XP5020");
    expect(se.holder?.pid).toBe(process.pid);
    expect(se.message).toContain(`pid ${process.pid}`);
    expect(se.message).toContain("this process");
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    acquireDirectoryLock(dir).release();
  });

  it("reclaims a stale lock left by a dead process", () => {
    const dir = tempDir();
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), since: "2026-01-01T00:00:00Z" }));
    const lock = acquireDirectoryLock(dir);
    expect(lock.holder.pid).toBe(process.pid);
    expect(fs.readdirSync(dir)).toEqual([LOCK_FILE]); // no temporary or stale files left behind
    lock.release();
  });

  it("reclaims an unreadable lock, and treats a lock from another host as held", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, LOCK_FILE), "garbage");
    acquireDirectoryLock(dir).release();
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: "elsewhere.example", since: "x" }));
    expect(() => acquireDirectoryLock(dir)).toThrow(/pid 1 on elsewhere\.example/);
  });

  it("a live process's lock is held", () => {
    const dir = tempDir();
    // pid 1 (init) is alive on this host; kill(1, 0) gives EPERM for non-root, which still means alive
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: os.hostname(), since: "x" }));
    expect(() => acquireDirectoryLock(dir)).toThrow(/in use by pid 1/);
  });

  it("release does not remove a lock that is no longer ours", () => {
    const dir = tempDir();
    const lock = acquireDirectoryLock(dir);
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: "other", since: "x" }));
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(true);
  });

  it("a missing directory is an io error", () => {
    expect(() => acquireDirectoryLock(path.join(tempDir(), "nope"))).toThrow(StoreError);
  });
});
