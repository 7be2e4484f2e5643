// RFC 8785 JSON Canonicalization Scheme (JCS): one byte sequence per JSON value, so a digest names a value rather
// than a way of writing it.
//   - object keys sorted by UTF-16 code units (JavaScript's default sort order), no whitespace;
//   - numbers as ECMAScript's Number.prototype.toString (RFC 8785 §3.2.2.3), -0 as 0, NaN and ±Infinity rejected;
//   - strings as JSON.stringify writes them (§3.2.2.2: `\"`, `\\`, \b \f \n \r \t, other controls `\u00xx`, the
//     rest verbatim); strings must be well-formed Unicode (I-JSON), so lone surrogates are rejected.
import { hash } from "node:crypto";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { irError, pathIndex, pathKey, type IrError, type IrResult } from "./errors.ts";
import type { JsonValue } from "./types.ts";

/** Deeper values are rejected rather than risking the call stack; IR values are far shallower (parser limit 64). */
export const MAX_CANONICAL_DEPTH = 1000;

/** Thrown by `canonicalize` and `digest` for a value that is not JSON; `tryCanonicalize` returns it as a value. */
export class CanonicalizationError extends Error {
  constructor(readonly error: IrError) {
    super(`${error.code} at ${error.path}: ${error.message}`);
    this.name = "CanonicalizationError";
  }
}

// Internal signal: the writer stays free of path bookkeeping; the path is found again only when something failed.
class Fault {
  constructor(readonly kind: "number" | "surrogate" | "type" | "depth") {}
}

/** No lone surrogates (I-JSON); String.prototype.isWellFormed, which the TS lib in use does not declare. */
export const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

// Printable ASCII other than `"` and `\\` is written as is: skip the general path for the common case.
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

// An object key's quoted text and colon, cached: the same few keys (an IR's, a receipt body's) are written in every
// decision, and the lookup costs less than the check and the concatenation (a receipt body: 4.8 -> 3.6 µs). Bounded:
// keys come from callers' data too, so a full cache starts over.
const KEY_PREFIXES_MAX = 4096;
const keyPrefixes = new Map<string, string>();

function keyPrefix(k: string): string {
  let p = keyPrefixes.get(k);
  if (p === undefined) {
    p = quote(k) + ":";
    if (keyPrefixes.size >= KEY_PREFIXES_MAX) keyPrefixes.clear();
    keyPrefixes.set(k, p);
  }
  return p;
}

function quote(s: string): string {
  if (VERBATIM.test(s)) return '"' + s + '"';
  if (!wellFormed(s)) throw new Fault("surrogate");
  return JSON.stringify(s);
}

/**
 * Sorts object keys by UTF-16 code units (what `Array.prototype.sort` does by default, and `<` on strings): an
 * insertion sort for the few keys JSON objects usually have, where the default sort's generic comparator cost a
 * fifth of a receipt body's encoding; the built-in sort beyond that.
 */
function sortKeys(keys: string[]): void {
  const n = keys.length;
  if (n > 24) {
    keys.sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
}

/** A plain object (`{}` or `Object.create(null)`), not an instance of some class. */
export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

// One writer for both entry points: with `reuse`, objects passed to rememberCanonical are spliced as their remembered
// text (when that stays within the depth limit), so the output is the same bytes either way.
function write(v: unknown, depth: number, reuse = false): string {
  switch (typeof v) {
    case "string":
      return quote(v);
    case "number":
      if (!Number.isFinite(v)) throw new Fault("number");
      return String(v); // String(-0) === "0"
    case "boolean":
      return v ? "true" : "false";
    case "object": {
      if (v === null) return "null";
      if (reuse) {
        if (splicing !== undefined && v === splicing.value) return splicing.text;
        const known = rememberedText.get(v);
        if (known !== undefined && depth + known.height < MAX_CANONICAL_DEPTH) return known.text;
      }
      if (depth >= MAX_CANONICAL_DEPTH) throw new Fault("depth");
      if (Array.isArray(v)) {
        const n = v.length;
        if (n === 0) return "[]";
        let out = "[" + write(v[0], depth + 1, reuse);
        for (let i = 1; i < n; i++) out += "," + write(v[i], depth + 1, reuse);
        return out + "]";
      }
      if (!isPlainObject(v)) throw new Fault("type");
      const keys = Object.keys(v);
      const n = keys.length;
      if (n === 0) return "{}";
      if (n > 1) sortKeys(keys);
      const o = v as Record<string, unknown>;
      let out = "{";
      for (let i = 0; i < n; i++) {
        const k = keys[i]!;
        if (i > 0) out += ",";
        out += keyPrefix(k) + write(o[k], depth + 1, reuse);
      }
      return out + "}";
    }
    default:
      throw new Fault("type");
  }
}

/**
 * The RFC 8785 canonical JSON text of `value`. Throws `CanonicalizationError` when `value` is not JSON (NaN,
 * Infinity, a lone surrogate, undefined, a bigint, a class instance, deeper than MAX_CANONICAL_DEPTH); values built
 * by this stage never are. Use `tryCanonicalize` for untrusted data.
 */
export function canonicalize(value: JsonValue): string {
  const r = tryCanonicalize(value);
  if (!r.ok) throw new CanonicalizationError(r.error);
  return r.value;
}

/** `canonicalize` with errors as values. */
export function tryCanonicalize(value: unknown): IrResult<string> {
  return writeTop(value, false);
}

function writeTop(value: unknown, reuse: boolean): IrResult<string> {
  try {
    return { ok: true, value: write(value, 0, reuse) };
  } catch (e: unknown) {
    if (e instanceof Fault) return { ok: false, error: locate(value, "$", 0) ?? faultError(e.kind, "$", value) };
    /* c8 ignore next */
    return { ok: false, error: irError(Diagnostics.irNotJson, "$", [String(e)]) };
  }
}

/** `sha256:<64 lowercase hex>` of the UTF-8 bytes of `text`. */
export function sha256Text(text: string): string {
  // crypto.hash (one-shot) measured ~0.5 µs for 300 bytes, createHash ~1.1 µs, @noble/hashes ~4 µs.
  return "sha256:" + hash("sha256", text, "hex");
}

/** `sha256:<hex>` over the canonical bytes of `value`; throws like `canonicalize`. */
export function digest(value: JsonValue): string {
  return sha256Text(canonicalize(value));
}

function faultError(kind: Fault["kind"], path: string, value: unknown): IrError {
  switch (kind) {
    case "number":
      return irError(Diagnostics.irNotJson, path, [`number ${String(value)}`]);
    case "surrogate":
      return irError(Diagnostics.irLoneSurrogate, path, []);
    case "depth":
      return irError(Diagnostics.irNestingTooDeep, path, [MAX_CANONICAL_DEPTH]);
    case "type":
      return irError(Diagnostics.irNotJson, path, [describeNonJson(value)]);
  }
}

export function describeNonJson(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `bigint ${value}`;
  if (typeof value === "object" && value !== null) {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return `an instance of ${name ?? "an unknown class"}`;
  }
  return `a ${typeof value}`;
}

// The slow path, run only after a failure: find the first offending value in canonical order and name its path.
function locate(v: unknown, path: string, depth: number): IrError | undefined {
  switch (typeof v) {
    case "string":
      return wellFormed(v) ? undefined : faultError("surrogate", path, v);
    case "number":
      return Number.isFinite(v) ? undefined : faultError("number", path, v);
    case "boolean":
      return undefined;
    case "object": {
      if (v === null) return undefined;
      if (depth >= MAX_CANONICAL_DEPTH) return faultError("depth", path, v);
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const e = locate(v[i], pathIndex(path, i), depth + 1);
          if (e !== undefined) return e;
        }
        return undefined;
      }
      if (!isPlainObject(v)) return faultError("type", path, v);
      for (const k of Object.keys(v).sort()) {
        const kp = pathKey(path, k);
        if (!wellFormed(k)) return faultError("surrogate", kp, k);
        const e = locate((v as Record<string, unknown>)[k], kp, depth + 1);
        if (e !== undefined) return e;
      }
      return undefined;
    }
    default:
      return faultError("type", path, v);
  }
}

// ---- Reusing canonical text (the receipt hot path) --------------------------------------------------------------
// A value written into many receipts (the policy's identity, an engine decision) is canonicalized once: it is
// frozen deeply and its text remembered, and `tryCanonicalizeReusing` splices that text instead of walking the value
// again. Freezing is what keeps the remembered text equal to the JCS of the value.

// text, and the relative depth of the value's deepest object (so the depth limit applies as if written in place)
const rememberedText = new WeakMap<object, { readonly text: string; readonly height: number }>();

/**
 * The writer builds text by concatenation: V8 keeps it as a tree of string pieces (~50 for an IR) until something
 * reads it character by character. Text that outlives the moment (remembered text, an IR's text and a receipt body's
 * text held across a group commit) is read one character to have V8 flatten it now: one string instead of a tree the
 * GC walks and copies while it lives (at hundreds of decisions in flight, the scavenger copied every piece each time).
 */
export function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

/** Freezes deeply; returns the relative depth of the deepest object (0: `v` itself), -1 for a primitive. */
export function deepFreeze(v: unknown): number {
  if (typeof v !== "object" || v === null) return -1;
  Object.freeze(v);
  let h = 0;
  for (const k of Object.keys(v)) h = Math.max(h, deepFreeze((v as Record<string, unknown>)[k]) + 1);
  return h;
}

/**
 * Freezes `value` (deeply) and remembers its canonical text for `tryCanonicalizeReusing`; returns the text, or the
 * error when `value` is not JSON (then nothing is frozen or remembered).
 */
export function rememberCanonical(value: JsonValue & object): IrResult<string> {
  const known = rememberedText.get(value);
  if (known !== undefined) return { ok: true, value: known.text };
  const r = tryCanonicalize(value);
  if (!r.ok) return r;
  rememberedText.set(value, { text: flat(r.value), height: deepFreeze(value) });
  return r;
}

/**
 * A value whose canonical text its maker has at hand (an IR and the text `toSovereignIR` returned with it): a body
 * that holds it gets the text spliced for that very object, without a walk and without remembering it anywhere.
 * `text` must be `canonicalize(value)`, and `value` must not change before the body is canonicalized.
 */
export interface KnownCanonical {
  readonly value: object;
  readonly text: string;
}

// set for the duration of one tryCanonicalizeReusing call (the writer calls no user code)
let splicing: KnownCanonical | undefined;

/**
 * `tryCanonicalize`, splicing the remembered text of values passed to `rememberCanonical`, and `known`'s text for
 * its value: the same output.
 */
export function tryCanonicalizeReusing(value: unknown, known?: KnownCanonical): IrResult<string> {
  splicing = known;
  try {
    return writeTop(value, true);
  } finally {
    splicing = undefined;
  }
}
