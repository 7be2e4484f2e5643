// The cost model's measures of values, shared by the planner and the extension libraries (ext/): a string or bytes
// value scanned is one step per 8 code units, a list element or map entry visited one step, a regex match the
// scanned length times the pattern's weight. planner.ts explains how the steps bound an evaluation.
import { CelMap, CelOpaqueValue, CelOptional, CelRecord, type CelResult, type CelValue } from "./values.ts";

/** Steps for scanning string and bytes operands once: one per 8 code units (0 for scalars and short values). */
export function scanWeight(a: CelResult, b: CelResult | null): number {
  return scanOne(a) + (b === null ? 0 : scanOne(b));
}

export function scanOne(v: CelResult): number {
  if (typeof v === "string") return v.length >>> 3;
  if (v instanceof Uint8Array) return v.length >>> 3;
  return 0;
}

/** A regex match's steps per 8 characters scanned: RE2 simulates the pattern's states in step, so it grows with it. */
export function regexWeight(patternLength: number): number {
  return 1 + (patternLength >>> 3);
}

/** Matching a pattern only known at run time: compiling it (64 steps a character) and the match. */
export function dynamicRegexCost(s: string, pattern: string): number {
  return pattern.length * 64 + (s.length >>> 3) * regexWeight(pattern.length);
}

export function shallowSize(v: CelValue): number {
  if (Array.isArray(v)) return v.length;
  if (v instanceof CelMap) return v.size;
  return scanOne(v);
}

/** Deep sizes of the lists, maps and records equality and membership walk (values are immutable: cached). */
const deepSizes = new WeakMap<object, number>();

/** The work of walking a value: its elements and entries, nested ones included, and its strings' scan weight. */
export function deepSize(v: CelValue): number {
  if (typeof v === "string") return v.length >>> 3;
  if (typeof v !== "object" || v === null) return 0;
  if (v instanceof Uint8Array) return v.length >>> 3;
  const isList = Array.isArray(v);
  if (v instanceof CelOptional) return 1 + (v.value === undefined ? 0 : deepSize(v.value));
  if (v instanceof CelOpaqueValue) return v.size();
  if (!isList && !(v instanceof CelMap) && !(v instanceof CelRecord)) return 0;
  let n = deepSizes.get(v);
  if (n !== undefined) return n;
  n = 1;
  if (isList) for (let k = 0; k < v.length; k++) n += 1 + deepSize(v[k] as CelValue);
  else if (v instanceof CelMap) for (const [k, x] of v.entries()) n += 1 + deepSize(k) + deepSize(x);
  else for (const k of Object.keys((v as CelRecord).fields)) n += 1 + deepSize((v as CelRecord).fields[k] as CelValue);
  deepSizes.set(v, n);
  return n;
}

