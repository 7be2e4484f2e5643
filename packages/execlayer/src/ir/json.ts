// A strict JSON (RFC 8259) parser for untrusted proposals. Unlike JSON.parse it rejects duplicate keys (JSON.parse
// keeps the last one, so a policy and a tool could read different values), integers it cannot carry exactly and
// numbers that overflow to Infinity; it reports the JSON path and offset of every error, bounds size and depth,
// never throws and never recurses (an explicit stack), in time linear in the input.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { fail, pathIndex, pathKey, show, type IrError, type IrResult } from "./errors.ts";
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

/** The UTF-8 size of `text` when it is over `limit` (a lower bound when that is already decisive), else undefined. */
function overByteLimit(text: string, limit: number): { readonly bytes: number; readonly exact: boolean } | undefined {
  if (text.length * 3 <= limit) return undefined; // each UTF-16 unit is at most 3 UTF-8 bytes
  if (text.length > limit) return { bytes: text.length, exact: false }; // and at least 1
  const bytes = Buffer.byteLength(text, "utf8"); // only now: encoding is the costly step
  return bytes > limit ? { bytes, exact: true } : undefined;
}

interface Frame {
  readonly array: JsonValue[] | undefined;
  readonly object: Record<string, JsonValue> | undefined;
  key: string;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

type Failure = { readonly ok: false; readonly error: IrError };

/**
 * The parser behind `parseJson`. With `bigIntegers` true, integer literals beyond ±(2^53-1) become `bigint`s
 * instead of errors, so normalization can carry them as decimal strings where a field is marked `@decimal`; the
 * result is then JSON plus bigints, not a JsonValue.
 */
export function parseJsonText(input: unknown, options: ParseJsonOptions, bigIntegers: boolean): IrResult<unknown> {
  if (typeof input !== "string") return fail(Diagnostics.irNotJson, "$", ["a non-string payload"]);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = overByteLimit(input, maxBytes);
  if (size !== undefined) return fail(Diagnostics.irPayloadTooLarge, "$", [`${size.exact ? "" : "at least "}${size.bytes}`, maxBytes]);
  return new Parser(input, options.maxDepth ?? DEFAULT_MAX_DEPTH, bigIntegers).parse();
}

// State lives in fields, not in variables captured by closures: V8 keeps monomorphic field access fast.
class Parser {
  private pos = 0;
  private readonly n: number;
  private readonly stack: Frame[] = [];
  private stringError: { what: string; at: number } | undefined;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    private readonly bigIntegers: boolean,
  ) {
    this.n = text.length;
  }

  parse(): IrResult<unknown> {
    const text = this.text;
    const stack = this.stack;
    for (;;) {
      // --- read one value (or open a container) ---
      this.skipWs();
      if (this.pos >= this.n) return this.malformed("expected a value, found end of input", this.pos);
      let value: unknown;
      const c = text.charCodeAt(this.pos);
      if (c === 0x22 /* " */) {
        const s = this.readString();
        if (s === undefined) return this.malformed(this.stringError!.what, this.stringError!.at);
        value = s;
      } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (stack.length >= this.maxDepth) return fail(Diagnostics.irNestingTooDeep, this.pathHere(), [this.maxDepth], { offset: this.pos });
        this.pos++;
        this.skipWs();
        if (c === 0x5b) {
          if (text.charCodeAt(this.pos) === 0x5d) {
            this.pos++;
            value = [];
          } else {
            stack.push({ array: [], object: undefined, key: "" });
            continue;
          }
        } else if (text.charCodeAt(this.pos) === 0x7d) {
          this.pos++;
          value = {};
        } else {
          const frame: Frame = { array: undefined, object: {}, key: "" };
          stack.push(frame);
          const r = this.readKey(frame);
          if (r !== undefined) return r;
          continue;
        }
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        const r = this.readNumber();
        if (r !== undefined && typeof r === "object") return r;
        value = r;
      } else if (c === 0x74 && text.startsWith("true", this.pos)) {
        this.pos += 4;
        value = true;
      } else if (c === 0x66 && text.startsWith("false", this.pos)) {
        this.pos += 5;
        value = false;
      } else if (c === 0x6e && text.startsWith("null", this.pos)) {
        this.pos += 4;
        value = null;
      } else {
        return this.malformed(`expected a value, found ${this.found(this.pos)}`, this.pos);
      }

      // --- a value is complete: store it into its container, closing containers as they end ---
      for (;;) {
        const top = stack[stack.length - 1];
        this.skipWs();
        if (top === undefined) {
          if (this.pos < this.n) return this.malformed(`unexpected ${this.found(this.pos)} after the JSON value`, this.pos);
          return { ok: true, value };
        }
        const d = text.charCodeAt(this.pos);
        if (top.array !== undefined) {
          top.array.push(value as JsonValue);
          if (d === 0x2c) {
            this.pos++;
            break;
          }
          if (d === 0x5d) {
            this.pos++;
            stack.pop();
            value = top.array;
            continue;
          }
          return this.malformedAfter(`expected \`,\` or \`]\`, found ${this.found(this.pos)}`);
        }
        setKey(top.object!, top.key, value);
        if (d === 0x2c) {
          this.pos++;
          this.skipWs();
          const r = this.readKey(top);
          if (r !== undefined) return r;
          break;
        }
        if (d === 0x7d) {
          this.pos++;
          stack.pop();
          value = top.object;
          continue;
        }
        return this.malformedAfter(`expected \`,\` or \`}\`, found ${this.found(this.pos)}`);
      }
    }
  }

  private skipWs(): void {
    const text = this.text;
    let pos = this.pos;
    while (pos < this.n) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  // Reads the string starting at `pos` (a quote); leaves `pos` after the closing quote, or sets `stringError`.
  private readString(): string | undefined {
    const text = this.text;
    const n = this.n;
    const start = this.pos + 1;
    let pos = start;
    // Fast path: no escapes.
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        this.pos = pos + 1;
        return text.slice(start, pos);
      }
      if (c === 0x5c || c < 0x20) break;
      pos++;
    }
    let out = text.slice(start, pos);
    let chunk = pos;
    while (pos < n) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        this.pos = pos + 1;
        return out + text.slice(chunk, pos);
      }
      if (c < 0x20) {
        this.stringError = { what: `unescaped control character U+${c.toString(16).padStart(4, "0")} in a string`, at: pos };
        return undefined;
      }
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(chunk, pos);
      switch (text.charCodeAt(pos + 1)) {
        case 0x22: out += '"'; break;
        case 0x5c: out += "\\"; break;
        case 0x2f: out += "/"; break;
        case 0x62: out += "\b"; break;
        case 0x66: out += "\f"; break;
        case 0x6e: out += "\n"; break;
        case 0x72: out += "\r"; break;
        case 0x74: out += "\t"; break;
        case 0x75: {
          const hex = text.slice(pos + 2, pos + 6);
          if (!HEX4.test(hex)) {
            this.stringError = { what: "invalid \\u escape", at: pos };
            return undefined;
          }
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          this.stringError = { what: pos + 1 >= n ? "unterminated string" : `invalid escape \`\\${show(text.slice(pos + 1, pos + 2))}\``, at: pos };
          return undefined;
      }
      pos += 2;
      chunk = pos;
    }
    this.stringError = { what: "unterminated string", at: start - 1 };
    return undefined;
  }

  // A number, a bigint (big integer literal, when allowed) or the error.
  private readNumber(): number | bigint | Failure {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    let integral = true;
    if (text.charCodeAt(pos) === 0x2d) pos++;
    let c = text.charCodeAt(pos);
    if (c === 0x30) pos++;
    else if (c >= 0x31 && c <= 0x39) pos = this.digits(pos);
    else return this.malformedAt(`invalid number: expected a digit, found ${this.found(pos)}`, pos);
    if (text.charCodeAt(pos) === 0x2e) {
      integral = false;
      c = text.charCodeAt(++pos);
      if (!(c >= 0x30 && c <= 0x39)) return this.malformedAt(`invalid number: expected a digit after \`.\`, found ${this.found(pos)}`, pos);
      pos = this.digits(pos);
    }
    c = text.charCodeAt(pos);
    if (c === 0x65 || c === 0x45) {
      integral = false;
      c = text.charCodeAt(++pos);
      if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++pos);
      if (!(c >= 0x30 && c <= 0x39)) return this.malformedAt(`invalid number: expected an exponent digit, found ${this.found(pos)}`, pos);
      pos = this.digits(pos);
    }
    this.pos = pos;
    const literal = text.slice(start, pos);
    const num = Number(literal);
    if (!Number.isFinite(num)) {
      return fail(Diagnostics.irNotJson, this.pathHere(), [`number \`${show(literal)}\` (it overflows to infinity)`], { offset: start });
    }
    if (integral && (num > MAX_SAFE || num < -MAX_SAFE)) {
      if (!this.bigIntegers) return fail(Diagnostics.irUnsafeInteger, this.pathHere(), [show(literal)], { offset: start, help: "send it as a decimal string" });
      return BigInt(literal);
    }
    return num;
  }

  private digits(pos: number): number {
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c >= 0x30 && c <= 0x39) pos++;
      else return pos;
    }
  }

  // Reads `"key" :` into the frame; the caller has skipped whitespace.
  private readKey(frame: Frame): Failure | undefined {
    if (this.text.charCodeAt(this.pos) !== 0x22) {
      this.stack.pop();
      return this.malformed(`expected a key string, found ${this.found(this.pos)}`, this.pos);
    }
    const keyAt = this.pos;
    const key = this.readString();
    if (key === undefined) {
      this.stack.pop();
      return this.malformed(this.stringError!.what, this.stringError!.at);
    }
    frame.key = key;
    if (Object.hasOwn(frame.object!, key)) return fail(Diagnostics.irDuplicateKey, this.pathHere(), [show(key)], { offset: keyAt });
    this.skipWs();
    if (this.text.charCodeAt(this.pos) !== 0x3a) return this.malformed(`expected \`:\`, found ${this.found(this.pos)}`, this.pos);
    this.pos++;
    return undefined;
  }

  private pathHere(): string {
    let p = "$";
    for (const f of this.stack) p = f.array !== undefined ? pathIndex(p, f.array.length) : pathKey(p, f.key);
    return p;
  }

  private found(at: number): string {
    if (at >= this.n) return "end of input";
    // the whole code point, and a lone surrogate escaped: a reason must stay valid Unicode, or its receipt cannot be written
    const cp = this.text.codePointAt(at)!;
    return cp >= 0xd800 && cp <= 0xdfff ? `\`\\u{${cp.toString(16)}}\`` : `\`${show(String.fromCodePoint(cp))}\``;
  }

  private malformed(what: string, at: number): Failure {
    return fail(Diagnostics.irMalformedJson, this.pathHere(), [`${what} at offset ${at}`], { offset: at });
  }

  private malformedAt(what: string, at: number): Failure {
    this.pos = at;
    return this.malformed(what, at);
  }

  // The error belongs to the container, not to the element just stored.
  private malformedAfter(what: string): Failure {
    this.stack.pop();
    return this.malformed(what, this.pos);
  }
}

/** Sets `key` as an own enumerable property, also when it is `__proto__` (plain assignment would set the prototype). */
export function setKey(object: Record<string, JsonValue> | Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else (object as Record<string, unknown>)[key] = value;
}

