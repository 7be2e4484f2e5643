// Shared by the receipts tests: where the official vectors live, temp dirs, deterministic keys.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keyPairFromSeed, type KeyPair } from "../../src/index.ts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const vectorsDir = path.resolve(repoRoot, "test/vectors");

export function tempDir(prefix = "xp-receipts-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Every `*.json` file under dir, recursively, as [relative path, parsed JSON]. */
export function jsonFilesUnder(dir: string): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".json")) out.push([path.relative(dir, p), JSON.parse(readFileSync(p, "utf8"))]);
    }
  };
  walk(dir);
  return out;
}

export function seedKey(n: number): KeyPair {
  const seed = new Uint8Array(32);
  seed[0] = n & 0xff;
  seed[1] = (n >> 8) & 0xff;
  seed[31] = 0x5a;
  return keyPairFromSeed(seed);
}

import { ReceiptLog } from "../../src/receipts/log.ts";
import { NativeSigner, type Signer } from "../../src/index.ts";
import type { JsonObject } from "../../src/index.ts";

export const ORIGIN = "test.example/receipts";

export function decisionBody(i: number, tag = "a"): JsonObject {
  return { tag, i, decision: { effect: i % 3 === 0 ? "deny" : "allow", reasons: [`rule r${i % 5}`] }, note: "ünïcode ✓" };
}

/** Writes a closed log of `count` receipts (native signer, no fsync) and returns its directory. */
export async function buildLog(
  count: number,
  options: { seedNo?: number; checkpointEvery?: number; tag?: string; flushEvery?: number; signer?: Signer } = {},
): Promise<string> {
  const dir = tempDir();
  const log = await ReceiptLog.open(dir, {
    signer: options.signer ?? new NativeSigner(seedKey(options.seedNo ?? 1)),
    origin: ORIGIN,
    checkpointEvery: options.checkpointEvery ?? 10,
    durability: "none",
  });
  for (let i = 0; i < count; i++) {
    const r = log.append("decision", decisionBody(i, options.tag), new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
    if (!r.ok) throw r.error;
    if ((i + 1) % (options.flushEvery ?? 1) === 0) await log.flush();
  }
  await log.close();
  return dir;
}

/**
 * The chain hash as the format defines it, computed independently of src/: sha256 of the line with its top-level
 * `"sig":"...",` field cut out (the unsigned payload). The top-level sig is the last `,"sig":"` before `"signer"`.
 */
export function chainHashOfLine(line: string): string {
  const at = line.lastIndexOf(',"sig":"');
  const end = line.indexOf('",', at + 8);
  if (at < 0 || end < 0) throw new Error("not a receipt line");
  const unsigned = line.slice(0, at + 1) + line.slice(end + 2);
  return "sha256:" + createHash("sha256").update(unsigned, "utf8").digest("hex");
}
