// A strict JSON (RFC 8259) parser for untrusted proposals. Unlike JSON.parse it rejects duplicate keys (JSON.parse
// keeps the last one, so a policy and a tool could read different values), integers it cannot carry exactly and
// numbers that overflow to Infinity; it reports the JSON path and offset of every error, bounds size and depth,
// never throws and never recurses (an explicit stack), in time linear in the input.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { fail, pathIndex, pathKey, show, type IrResult } from "./errors.ts";
import type { JsonValue } from "./types.ts";

export const DEFAULT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 64;

export interface ParseJsonOptions {
  /** largest accepted input, in UTF-8 bytes (default 1 MiB) */
  readonly maxBytes?: number;
  /** most nested objects/arrays (default 64; the top-level container counts as 1) */
  readonly maxDepth?: number;
}

/** Parses `text` strictly; see the file comment. Integer literals beyond ±(2^53-1) are errors (XP4005). */
export function parseJson(text: string, options: ParseJsonOptions = {}): IrResult<JsonValue> {
  return parseJsonText(text, options, false) as IrResult<JsonValue>;
}

/** UTF-8 length of `text`, without encoding it when its UTF-16 length already decides against `limit`. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** The UTF-8 size of `text` when it is over `limit` (a lower bound when that is already decisive), else undefined. */
export function overByteLimit(text: string, limit: number): { readonly bytes: number; readonly exact: boolean } | undefined {
  if (text.length * 3 <= limit) return undefined; // each UTF-16 unit is at most 3 UTF-8 bytes
  if (text.length > limit) return { bytes: text.length, exact: false }; // and at least 1
  const bytes = utf8Length(text);
  return bytes > limit ? { bytes, exact: true } : undefined;
}

interface Frame {
  readonly array: JsonValue[] | undefined;
  readonly object: Record<string, JsonValue> | undefined;
  key: string;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The parser behind `parseJson`. With `bigIntegers` true, integer literals beyond ±(2^53-1) become `bigint`s
 * instead of errors, so normalization can carry them as decimal strings where a field is marked `@decimal`; the
 * result is then JSON plus bigints, not a JsonValue.
 */
export function parseJsonText(input: unknown, options: ParseJsonOptions, bigIntegers: boolean): IrResult<unknown> {
  if (typeof input !== "string") return fail(Diagnostics.irNotJson, "$", ["a non-string payload"]);
  const text: string = input;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const size = overByteLimit(text, maxBytes);
  if (size !== undefined) return fail(Diagnostics.irPayloadTooLarge, "$", [`${size.exact ? "" : "at least "}${size.bytes}`, maxBytes]);

  const n = text.length;
  const stack: Frame[] = [];
  let pos = 0;

  const pathHere = (): string => {
    let p = "$";
    for (const f of stack) p = f.array !== undefined ? pathIndex(p, f.array.length) : pathKey(p, f.key);
    return p;
  };
  const malformed = (what: string, at: number): { ok: false; error: ReturnType<typeof fail>["error"] } =>
    fail(Diagnostics.irMalformedJson, pathHere(), [`${what} at offset ${at}`], { offset: at });
  const found = (at: number): string => (at >= n ? "end of input" : `\`${show(text.slice(at, at + 1))}\``);

  const skipWs = (): void => {
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };

  // Reads the string starting at `pos` (a quote); leaves `pos` after the closing quote. Errors are returned as the
  // offset of the problem and a description.
  let stringError: { what: string; at: number } | undefined;
  const readString = (): string | undefined => {
    const start = ++pos;
    // Fast path: no escapes.
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) return text.slice(start, pos++);
      if (c === 0x5c || c < 0x20) break;
      pos++;
    }
    const parts: string[] = [text.slice(start, pos)];
    let chunk = pos;
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        parts.push(text.slice(chunk, pos++));
        return parts.join("");
      }
      if (c < 0x20) {
        stringError = { what: `unescaped control character U+${c.toString(16).padStart(4, "0")} in a string`, at: pos };
        return undefined;
      }
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      parts.push(text.slice(chunk, pos));
      const e = text.charCodeAt(pos + 1);
      switch (e) {
        case 0x22: parts.push('"'); break;
        case 0x5c: parts.push("\\"); break;
        case 0x2f: parts.push("/"); break;
        case 0x62: parts.push("\b"); break;
        case 0x66: parts.push("\f"); break;
        case 0x6e: parts.push("\n"); break;
        case 0x72: parts.push("\r"); break;
        case 0x74: parts.push("\t"); break;
        case 0x75: {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
            stringError = { what: "invalid \\u escape", at: pos };
            return undefined;
          }
          parts.push(String.fromCharCode(parseInt(hex, 16)));
          pos += 4;
          break;
        }
        default:
          stringError = { what: pos + 1 >= n ? "unterminated string" : `invalid escape \`\\${show(text.slice(pos + 1, pos + 2))}\``, at: pos };
          return undefined;
      }
      pos += 2;
      chunk = pos;
    }
    stringError = { what: "unterminated string", at: start - 1 };
    return undefined;
  };

  const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

  for (;;) {
    // --- read one value (or open a container) ---
    skipWs();
    if (pos >= n) return malformed("expected a value, found end of input", pos);
    let value: unknown;
    const c = text.charCodeAt(pos);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return fail(Diagnostics.irNestingTooDeep, pathHere(), [maxDepth], { offset: pos });
      pos++;
      skipWs();
      if (c === 0x5b) {
        if (text.charCodeAt(pos) === 0x5d) {
          pos++;
          value = [];
        } else {
          stack.push({ array: [], object: undefined, key: "" });
          continue;
        }
      } else if (text.charCodeAt(pos) === 0x7d) {
        pos++;
        value = {};
      } else {
        const frame: Frame = { array: undefined, object: {}, key: "" };
        stack.push(frame);
        const r = readKey(frame);
        if (r !== undefined) return r;
        continue;
      }
    } else if (c === 0x22) {
      const s = readString();
      if (s === undefined) return malformed(stringError!.what, stringError!.at);
      value = s;
    } else if (c === 0x74 && text.startsWith("true", pos)) {
      pos += 4;
      value = true;
    } else if (c === 0x66 && text.startsWith("false", pos)) {
      pos += 5;
      value = false;
    } else if (c === 0x6e && text.startsWith("null", pos)) {
      pos += 4;
      value = null;
    } else if (c === 0x2d || isDigit(c)) {
      const start = pos;
      let integral = true;
      if (c === 0x2d) pos++;
      if (text.charCodeAt(pos) === 0x30) pos++;
      else if (isDigit(text.charCodeAt(pos))) while (isDigit(text.charCodeAt(pos))) pos++;
      else return malformed(`invalid number: expected a digit, found ${found(pos)}`, pos);
      if (text.charCodeAt(pos) === 0x2e) {
        integral = false;
        pos++;
        if (!isDigit(text.charCodeAt(pos))) return malformed(`invalid number: expected a digit after \`.\`, found ${found(pos)}`, pos);
        while (isDigit(text.charCodeAt(pos))) pos++;
      }
      const e = text.charCodeAt(pos);
      if (e === 0x65 || e === 0x45) {
        integral = false;
        pos++;
        const s = text.charCodeAt(pos);
        if (s === 0x2b || s === 0x2d) pos++;
        if (!isDigit(text.charCodeAt(pos))) return malformed(`invalid number: expected an exponent digit, found ${found(pos)}`, pos);
        while (isDigit(text.charCodeAt(pos))) pos++;
      }
      const literal = text.slice(start, pos);
      const num = Number(literal);
      if (!Number.isFinite(num)) {
        return fail(Diagnostics.irNotJson, pathHere(), [`number \`${show(literal)}\` (it overflows to infinity)`], { offset: start });
      }
      if (integral && (num > MAX_SAFE || num < -MAX_SAFE)) {
        if (!bigIntegers) return fail(Diagnostics.irUnsafeInteger, pathHere(), [show(literal)], { offset: start, help: "send it as a decimal string" });
        value = BigInt(literal);
      } else {
        value = num;
      }
    } else {
      return malformed(`expected a value, found ${found(pos)}`, pos);
    }

    // --- a value is complete: store it into its container, closing containers as they end ---
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        skipWs();
        if (pos < n) return malformed(`unexpected ${found(pos)} after the JSON value`, pos);
        return { ok: true, value };
      }
      skipWs();
      const d = text.charCodeAt(pos);
      if (top.array !== undefined) {
        top.array.push(value as JsonValue);
        if (d === 0x2c) {
          pos++;
          break;
        }
        if (d === 0x5d) {
          pos++;
          stack.pop();
          value = top.array;
          continue;
        }
        return malformedAfter(`expected \`,\` or \`]\`, found ${found(pos)}`);
      }
      setKey(top.object!, top.key, value as JsonValue);
      if (d === 0x2c) {
        pos++;
        skipWs();
        const r = readKey(top);
        if (r !== undefined) return r;
        break;
      }
      if (d === 0x7d) {
        pos++;
        stack.pop();
        value = top.object;
        continue;
      }
      return malformedAfter(`expected \`,\` or \`}\`, found ${found(pos)}`);
    }
  }

  // The error belongs to the container, not to the element just stored.
  function malformedAfter(what: string): { ok: false; error: ReturnType<typeof fail>["error"] } {
    stack.pop();
    return malformed(what, pos);
  }

  // Reads `"key" :` into the frame; the caller has skipped whitespace.
  function readKey(frame: Frame): { ok: false; error: ReturnType<typeof fail>["error"] } | undefined {
    if (text.charCodeAt(pos) !== 0x22) {
      stack.pop();
      return malformed(`expected a key string, found ${found(pos)}`, pos);
    }
    const keyAt = pos;
    const key = readString();
    if (key === undefined) {
      stack.pop();
      return malformed(stringError!.what, stringError!.at);
    }
    frame.key = key;
    if (Object.hasOwn(frame.object!, key)) {
      return fail(Diagnostics.irDuplicateKey, pathHere(), [show(key)], { offset: keyAt });
    }
    skipWs();
    if (text.charCodeAt(pos) !== 0x3a) return malformed(`expected \`:\`, found ${found(pos)}`, pos);
    pos++;
    return undefined;
  }
}

/** Sets `key` as an own enumerable property, also when it is `__proto__` (plain assignment would set the prototype). */
export function setKey(object: Record<string, JsonValue> | Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else (object as Record<string, unknown>)[key] = value;
}

