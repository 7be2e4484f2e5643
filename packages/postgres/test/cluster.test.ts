// The test harness's throwaway cluster dies with the process that started it: a run killed before its teardown
// (SIGKILL: no handler runs) leaves no PostgreSQL server and no directory behind (helpers/cluster-watchdog.mjs).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { describe, expect, it } from "vitest";
import type { Cluster } from "./helpers/cluster.ts";
import { noPostgres } from "./helpers/db.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    return (e as { code?: unknown }).code === "EPERM";
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return cond();
}

describe.skipIf(noPostgres)("the throwaway cluster", () => {
  it("is stopped and removed when the process that started it is killed", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "helpers/cluster-child.ts")], { cwd: path.resolve(here, ".."), stdio: ["ignore", "pipe", "inherit"] });
    const first = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the child exited (${code}) before its cluster started`)));
    });
    const c = JSON.parse(first) as Cluster;
    const postmaster = Number(fs.readFileSync(path.join(c.data, "postmaster.pid"), "utf8").split("\n")[0]);
    // the cluster serves while its parent lives
    const client = new pg.Client({ connectionString: c.url });
    await client.connect();
    expect((await client.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await client.end();
    expect(alive(postmaster)).toBe(true);

    child.kill("SIGKILL");
    // the watchdog polls every 500 ms; the wait allows for a loaded machine
    expect(await until(() => !alive(postmaster) && !fs.existsSync(c.dir), 60_000)).toBe(true);
  });
});
