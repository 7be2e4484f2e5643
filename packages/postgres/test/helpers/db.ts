// Per-test databases in the run's cluster (global-setup.ts).
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Cluster } from "./cluster.ts";

const raw = process.env["XP_TEST_PG"];
/** the run's cluster, or null when the suite is skipped (no PostgreSQL binaries) */
export const cluster: Cluster | null = raw === undefined ? null : (JSON.parse(raw) as Cluster);
export const noPostgres = cluster === null;

/** A new empty database; its URL. */
export async function freshDatabase(): Promise<string> {
  const name = `xp_${randomBytes(6).toString("hex")}`;
  const c = new pg.Client({ connectionString: cluster!.url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return cluster!.url.replace(/\/postgres$/, `/${name}`);
}

/** One query on its own connection. */
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}
