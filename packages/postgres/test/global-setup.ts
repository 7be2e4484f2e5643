// One throwaway PostgreSQL cluster for the whole run (test/helpers/cluster.ts); each test file makes its own
// databases in it. Without PostgreSQL binaries the suite says so loudly and skips, except under CI=true, where it fails.
import { destroyCluster, findPostgresBin, startCluster, type Cluster } from "./helpers/cluster.ts";

let cluster: Cluster | null = null;

export async function setup(): Promise<void> {
  const bin = findPostgresBin();
  if (bin === null) {
    const msg = "@execlayer/postgres: NO PostgreSQL BINARIES (initdb, pg_ctl) FOUND: set XP_PG_BIN or install postgresql-15";
    if (process.env["CI"] === "true") throw new Error(msg);
    console.warn(`\n${"!".repeat(100)}\n${msg}; the PostgreSQL tests are SKIPPED\n${"!".repeat(100)}\n`);
    return;
  }
  cluster = await startCluster(bin);
  process.env["XP_TEST_PG"] = JSON.stringify(cluster);
}

export async function teardown(): Promise<void> {
  if (cluster !== null) destroyCluster(cluster);
}
