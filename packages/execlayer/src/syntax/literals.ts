import type { Span } from "../vocabulary/span.ts";
import type { Result } from "../vocabulary/result.ts";
// Decoding of literal tokens: CEL strings and bytes (all escape forms), ints, uints, doubles, and .xpol durations.
// Every function returns its problems as values with spans relative to the token, never throws.

export interface LiteralProblem {
  readonly kind: "escape" | "unterminated";
  readonly escape: string;
  readonly why: string;
  readonly span: Span;
}

export type DecodedString =
  | { readonly type: "string"; readonly value: string; readonly problems: readonly LiteralProblem[] }
  | { readonly type: "bytes"; readonly value: Uint8Array; readonly problems: readonly LiteralProblem[] };

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  "\\": 92,
  "?": 63,
  '"': 34,
  "'": 39,
  "`": 96,
};

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isOctal(c: number): boolean {
  return c >= 48 && c <= 55;
}

function utf8Push(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

/**
 * Decodes a string or bytes token (`"a\n"`, `r'x'`, `b"""..."""`, `br'...'`). `offset` is the token's position in
 * the source, for problem spans. An unterminated token (the lexer took the rest of the line or file) is decoded as
 * far as it goes.
 */
export function decodeStringToken(image: string, offset: number): DecodedString {
  let i = 0;
  let bytes = false;
  let raw = false;
  if (image[i] === "b" || image[i] === "B") {
    bytes = true;
    i++;
  }
  if (image[i] === "r" || image[i] === "R") {
    raw = true;
    i++;
  }
  const quote = image[i] ?? '"';
  const triple = image.startsWith(quote.repeat(3), i);
  const delimiter = triple ? quote.repeat(3) : quote;
  const bodyStart = i + delimiter.length;
  const closed = image.length >= bodyStart + delimiter.length && image.endsWith(delimiter);
  const bodyEnd = closed ? image.length - delimiter.length : image.length;
  const problems: LiteralProblem[] = [];
  if (!closed) {
    problems.push({ kind: "unterminated", escape: "", why: "", span: { start: offset, end: offset + image.length } });
  }

  const chars: string[] = [];
  const out: number[] = [];
  let j = bodyStart;
  if (raw) {
    const body = image.slice(bodyStart, bodyEnd);
    if (!bytes) return { type: "string", value: body, problems };
    for (const ch of body) utf8Push(out, ch.codePointAt(0)!);
    return { type: "bytes", value: Uint8Array.from(out), problems };
  }

  while (j < bodyEnd) {
    const c = image.charCodeAt(j);
    if (c !== 92 /* \ */) {
      // Copy a run of plain characters at once (strings are mostly plain).
      let k = j + 1;
      while (k < bodyEnd && image.charCodeAt(k) !== 92) k++;
      const run = image.slice(j, k);
      if (bytes) for (const ch of run) utf8Push(out, ch.codePointAt(0)!);
      else chars.push(run);
      j = k;
      continue;
    }
    const escStart = j;
    const kind = image[j + 1];
    const bad = (len: number, why: string): void => {
      const end = Math.min(bodyEnd, escStart + len);
      problems.push({
        kind: "escape",
        escape: image.slice(escStart, end),
        why,
        span: { start: offset + escStart, end: offset + end },
      });
      j = end;
    };
    if (kind === undefined || j + 1 >= bodyEnd) {
      bad(1, "a backslash must be followed by an escape code");
      continue;
    }
    const simple = SIMPLE_ESCAPES[kind];
    if (simple !== undefined) {
      if (bytes) out.push(simple);
      else chars.push(String.fromCharCode(simple));
      j += 2;
      continue;
    }
    if (kind === "x" || kind === "X") {
      if (j + 4 > bodyEnd || !isHex(image.charCodeAt(j + 2)) || !isHex(image.charCodeAt(j + 3))) {
        bad(2, "`\\x` needs two hexadecimal digits");
        continue;
      }
      const v = parseInt(image.slice(j + 2, j + 4), 16);
      if (bytes) out.push(v);
      else chars.push(String.fromCharCode(v));
      j += 4;
      continue;
    }
    if (kind === "u" || kind === "U") {
      const n = kind === "u" ? 4 : 8;
      let ok = j + 2 + n <= bodyEnd;
      for (let k = 0; ok && k < n; k++) ok = isHex(image.charCodeAt(j + 2 + k));
      if (!ok) {
        bad(2, `\`\\${kind}\` needs ${n} hexadecimal digits`);
        continue;
      }
      if (bytes) {
        bad(2 + n, "unicode escapes are not allowed in bytes literals, use `\\x` or octal escapes");
        continue;
      }
      let cp = parseInt(image.slice(j + 2, j + 2 + n), 16);
      let len = 2 + n;
      if (kind === "u" && cp >= 0xd800 && cp <= 0xdbff) {
        // A high surrogate must be followed by `\uDC00`..`\uDFFF`: together they encode one code point.
        const next = image.slice(j + 6, j + 12);
        const low = /^\\u[dD][c-fC-F][0-9a-fA-F]{2}$/.test(next) ? parseInt(next.slice(2), 16) : -1;
        if (low < 0) {
          bad(6, "unpaired surrogate code point");
          continue;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        len = 12;
      } else if (cp >= 0xd800 && cp <= 0xdfff) {
        bad(len, "unpaired surrogate code point");
        continue;
      } else if (cp > 0x10ffff) {
        bad(len, "code point beyond U+10FFFF");
        continue;
      }
      chars.push(String.fromCodePoint(cp));
      j += len;
      continue;
    }
    if (isOctal(image.charCodeAt(j + 1))) {
      if (
        j + 4 > bodyEnd ||
        image.charCodeAt(j + 1) > 51 /* '3' */ ||
        !isOctal(image.charCodeAt(j + 2)) ||
        !isOctal(image.charCodeAt(j + 3))
      ) {
        bad(Math.min(4, bodyEnd - j), "octal escapes are three digits from `\\000` to `\\377`");
        continue;
      }
      const v = parseInt(image.slice(j + 1, j + 4), 8);
      if (bytes) out.push(v);
      else chars.push(String.fromCharCode(v));
      j += 4;
      continue;
    }
    // Keep a surrogate pair together in the message.
    const cp = image.codePointAt(j + 1)!;
    bad(cp > 0xffff ? 3 : 2, "unknown escape code");
  }
  if (bytes) return { type: "bytes", value: Uint8Array.from(out), problems };
  return { type: "string", value: chars.join(""), problems };
}

export type NumberResult<T> = Result<T>;

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function integerText(text: string): bigint {
  return text.startsWith("0x") || text.startsWith("0X") ? BigInt("0x" + text.slice(2)) : BigInt(text);
}

/** An int literal's value, `negated` when a unary minus was folded into it (`-9223372036854775808` is valid). */
export function decodeInt(text: string, negated: boolean): NumberResult<bigint> {
  const v = integerText(text);
  const signed = negated ? -v : v;
  if (signed > INT64_MAX || signed < -INT64_MAX - 1n) return { ok: false, error: "out of range" };
  return { ok: true, value: signed };
}

export function decodeUint(text: string): NumberResult<bigint> {
  const v = integerText(text.slice(0, -1));
  if (v > UINT64_MAX) return { ok: false, error: "out of range" };
  return { ok: true, value: v };
}

export function decodeDouble(text: string, negated: boolean): NumberResult<number> {
  const v = Number(text);
  if (!Number.isFinite(v)) return { ok: false, error: "out of the range of a double" };
  return { ok: true, value: negated ? -v : v };
}

const UNIT_MILLIS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const UNIT_ORDER = ["d", "h", "m", "s", "ms"];

/** `24h`, `90m`, `1h30m`, `500ms`, `7d` to milliseconds. Units must appear at most once, largest first. */
export function decodeDuration(text: string): NumberResult<number> {
  let millis = 0;
  let lastUnit = -1;
  for (const m of text.matchAll(/(\d+)(ms|[dhms])/g)) {
    const unit = UNIT_ORDER.indexOf(m[2]!);
    if (unit <= lastUnit) return { ok: false, error: "units must each appear once, largest first (as in `1h30m`)" };
    lastUnit = unit;
    millis += Number(m[1]) * UNIT_MILLIS[m[2]!]!;
  }
  if (!Number.isSafeInteger(millis)) return { ok: false, error: "too large" };
  return { ok: true, value: millis };
}
