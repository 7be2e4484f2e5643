// Shared by the receipts tests: where the official vectors live, temp dirs, deterministic keys.
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keyPairFromSeed, type KeyPair } from "../../src/receipts/keys.ts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const vectorsDir = path.resolve(repoRoot, "../shared/vectors");

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
