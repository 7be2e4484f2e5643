// Receipts in a fleet: every store connection (a replica) writes its own signed hash chain, so replicas never wait
// for one another to extend a chain; the database holds all of them (execlayer_chains, _receipts, _checkpoints).
// An auditor checks every chain. Both operations here go through the directory format of the receipt log
// (receipts.jsonl, checkpoints.jsonl): `exportChains` writes one directory per chain, which `xpol verify DIR --key PUB`
// accepts as it is, and `verifyChains` exports to a temporary directory and runs the project's one log verifier
// (`verifyLog`) on each chain, so a chain in the database is held to exactly the rules of a log on disk.
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { canonicalize, formatPublicKey, parsePublicKey } from "execlayer";
import { verifyLog, type VerifyLogResult } from "execlayer/receipts";
import { createPool, describeTarget } from "./store.ts";
import { databaseStoreError } from "execlayer";
import type { Pool } from "pg";

/** One chain as exported: its directory (relative to the export's) and its registered identity. */
export interface ChainExport {
  readonly id: string;
  readonly replica: string;
  readonly origin: string;
  readonly keyId: string;
  /** `ed25519:<64 hex>` as registered in the database */
  readonly publicKey: string;
  readonly receipts: number;
  readonly checkpoints: number;
  /** the store closed the chain (its last checkpoint covers every receipt) */
  readonly closed: boolean;
  readonly dir: string;
}

export interface ExportResult {
  readonly chains: readonly ChainExport[];
}

const PAGE = 5000;

/** A chain id as a directory name: chain ids are [A-Za-z0-9._-] (store.ts), anything else is escaped. */
function dirName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return safe === "." || safe === ".." ? `%2e${safe.slice(1)}` : safe;
}

async function exportWith(pool: Pool, dir: string): Promise<ExportResult> {
  await fs.mkdir(dir, { recursive: true });
  const chains = (
    await pool.query<{ id: string; replica: string; origin: string; key_id: string; public_key: string; closed: boolean }>(
      "SELECT id, replica, origin, key_id, public_key, closed_at IS NOT NULL AS closed FROM execlayer_chains ORDER BY started_at, id",
    )
  ).rows;
  const out: ChainExport[] = [];
  for (const c of chains) {
    const sub = dirName(c.id);
    const chainDir = path.join(dir, sub);
    await fs.mkdir(chainDir, { recursive: true });
    const receiptsFile = await fs.open(path.join(chainDir, "receipts.jsonl"), "w");
    let count = 0;
    try {
      let from = 0;
      for (;;) {
        // keyset pages in seq order: a gap or a duplicate stays visible to the verifier, nothing is filled in
        const page = await pool.query<{ seq: string; line: string }>(
          "SELECT seq, line FROM execlayer_receipts WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
          [c.id, from, PAGE],
        );
        if (page.rows.length === 0) break;
        await receiptsFile.write(page.rows.map((r) => r.line + "\n").join(""));
        count += page.rows.length;
        from = Number(page.rows[page.rows.length - 1]!.seq) + 1;
        if (page.rows.length < PAGE) break;
      }
    } finally {
      await receiptsFile.close();
    }
    const cps = (await pool.query<{ note: string }>("SELECT note FROM execlayer_checkpoints WHERE chain = $1 ORDER BY size", [c.id])).rows;
    await fs.writeFile(path.join(chainDir, "checkpoints.jsonl"), cps.map((r) => canonicalize({ note: r.note }) + "\n").join(""));
    await fs.writeFile(path.join(chainDir, "runtime.pub"), c.public_key + "\n");
    out.push({ id: c.id, replica: c.replica, origin: c.origin, keyId: c.key_id, publicKey: c.public_key, receipts: count, checkpoints: cps.length, closed: c.closed, dir: sub });
  }
  await fs.writeFile(path.join(dir, "chains.json"), JSON.stringify({ format: "execlayer/postgres-export/v1", chains: out }, null, 2) + "\n");
  return { chains: out };
}

/**
 * Writes every chain of the database at `url` to `dir`: `dir/<chain id>/receipts.jsonl`, `checkpoints.jsonl` and
 * `runtime.pub` (the key registered for the chain), plus `dir/chains.json` listing them. Each chain directory is a
 * receipt log `xpol verify` checks offline. Throws StoreError (XP5025) when the database cannot be read.
 */
export async function exportChains(url: string, dir: string): Promise<ExportResult> {
  const pool = createPool(url, { poolSize: 1, statementTimeoutMs: 120_000 });
  try {
    return await exportWith(pool, dir);
  } catch (e: unknown) {
    throw databaseStoreError("io", describeTarget(url), e instanceof Error ? e.message : String(e), e);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

export interface ChainVerdict extends ChainExport {
  readonly ok: boolean;
  /** the log verifier's result over the chain (with the key it was checked against) */
  readonly result: VerifyLogResult;
  /** set when the chain's registered key is not one of the keys given */
  readonly unknownKey?: true;
}

export interface VerifyChainsOptions {
  /**
   * The replicas' public keys (`ed25519:<64 hex>` or raw bytes) the auditor trusts. Every chain must be signed by one
   * of them. Without keys, each chain is checked against the key registered beside it in the same database, which
   * proves the chains intact but not who wrote them (`keysFromDatabase`).
   */
  readonly keys?: readonly (string | Uint8Array)[];
}

export interface VerifyChainsResult {
  readonly ok: boolean;
  readonly chains: readonly ChainVerdict[];
  readonly keysFromDatabase: boolean;
}

/** Verifies every receipt chain in the database at `url` (`xpol verify --postgres URL`). Never writes to it. */
export async function verifyChains(url: string, options: VerifyChainsOptions = {}): Promise<VerifyChainsResult> {
  const trusted = new Set<string>();
  for (const k of options.keys ?? []) {
    if (typeof k === "string") {
      const parsed = parsePublicKey(k.trim());
      if (!parsed.ok) throw new RangeError(`not a public key: ${parsed.error}`);
      trusted.add(formatPublicKey(parsed.value));
    } else {
      trusted.add(formatPublicKey(k));
    }
  }
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "xpol-pg-verify-"));
  try {
    const exported = await exportChains(url, tmp);
    const chains: ChainVerdict[] = [];
    for (const c of exported.chains) {
      const key = parsePublicKey(c.publicKey);
      const unknownKey = trusted.size > 0 && !trusted.has(c.publicKey);
      if (!key.ok) {
        const result: VerifyLogResult = { ok: false, count: 0, checkpoints: 0 };
        chains.push({ ...c, ok: false, result });
        continue;
      }
      const result = await verifyLog(path.join(tmp, c.dir), key.value, { threads: 0 });
      chains.push({ ...c, ok: result.ok && !unknownKey, result, ...(unknownKey ? { unknownKey: true as const } : {}) });
    }
    return { ok: chains.every((c) => c.ok), chains, keysFromDatabase: trusted.size === 0 };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
