// Why PostgresStore locks rows instead of running SERIALIZABLE: `node --import tsx bench/isolation.ts [--seconds N]`.
// The store's hot pattern in its simplest form, one counter row that every decision reads and increments when below
// a limit, run by 32 connections at once on a throwaway cluster, both ways, one decision per transaction:
//   locks:        BEGIN; SELECT … FOR UPDATE; UPDATE; COMMIT
//   serializable: BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT; UPDATE; COMMIT, a serialization failure retried up to
//                 5 times (then the decision would be denied)
// Prints committed decisions/s, the serialization failures, the decisions that ran out of retries, and checks that
// the counter equals the committed decisions in both.
import pg from "pg";
import { destroyCluster, findPostgresBin, startCluster } from "../test/helpers/cluster.ts";

const argSeconds = process.argv.indexOf("--seconds");
const SECONDS = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 5;
const CONNECTIONS = 32;
const RETRIES = 5;

async function run(url: string, mode: "locks" | "serializable"): Promise<string> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query("DROP TABLE IF EXISTS hot; CREATE TABLE hot (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO hot VALUES (1, 0)");
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  let committed = 0;
  let failures = 0;
  let exhausted = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        for (let attempt = 0; ; attempt++) {
          try {
            await c.query(mode === "locks" ? "BEGIN" : "BEGIN ISOLATION LEVEL SERIALIZABLE");
            const r = await c.query<{ n: string }>(mode === "locks" ? "SELECT n FROM hot WHERE id = 1 FOR UPDATE" : "SELECT n FROM hot WHERE id = 1");
            await c.query("UPDATE hot SET n = $1 WHERE id = 1", [Number(r.rows[0]!.n) + 1]);
            await c.query("COMMIT");
            committed++;
            break;
          } catch (e: unknown) {
            await c.query("ROLLBACK").catch(() => undefined);
            if ((e as { code?: string }).code !== "40001") throw e;
            failures++;
            if (attempt >= RETRIES) {
              exhausted++;
              break;
            }
          }
        }
      }
    }),
  );
  const n = Number((await setup.query<{ n: string }>("SELECT n FROM hot WHERE id = 1")).rows[0]!.n);
  await Promise.all([...clients, setup].map((c) => c.end()));
  if (n !== committed) throw new Error(`${mode}: counter ${n} != committed ${committed}`);
  return `${mode.padEnd(13)} ${(committed / SECONDS).toFixed(0).padStart(6)} decisions/s committed, ${(failures / SECONDS).toFixed(0).padStart(6)} serialization failures/s, ${exhausted} decisions out of retries (denied)`;
}

const bin = findPostgresBin();
if (bin === null) {
  console.error("bench: no PostgreSQL binaries (initdb, pg_ctl); set XP_PG_BIN");
  process.exit(2);
}
const cluster = await startCluster(bin);
try {
  for (const mode of ["locks", "serializable", "locks", "serializable"] as const) console.log(await run(cluster.url, mode));
} finally {
  destroyCluster(cluster);
}
