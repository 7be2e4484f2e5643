// CEL's strings extension (cel-go ext/strings.go): charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace,
// split, join, substring, trim, reverse, strings.quote and format. Indices count code points, as CEL strings are
// sequences of code points (a JS string is UTF-16: a character above U+FFFF is two code units). Errors carry
// cel-go's messages. Each overload is charged what it scans and what it builds.
import { T, listType } from "../types.ts";
import { CelError, celErrors } from "../errors.ts";
import { typeNameOf, type CelResult, type CelValue } from "../values.ts";
import { deepSize } from "../cost.ts";
import { formatValue } from "./format.ts";
import { method, globalFn, scanSteps, type ExtOverload } from "./decl.ts";
import type { FunctionDecl } from "../functions.ts";

const s = (v: CelValue) => v as string;
const i = (v: CelValue) => v as bigint;

const SURROGATE = /[\uD800-\uDFFF]/;

/** The code points of `x`, or null when every code unit is one (no surrogates): then indices are code units. */
function codePoints(x: string): string[] | null {
  return SURROGATE.test(x) ? Array.from(x) : null;
}

function outOfRange(n: bigint): CelError {
  return celErrors.invalidArgument(`index out of range: ${n}`);
}

function charAt(str: string, index: bigint): CelResult {
  const cps = codePoints(str);
  const len = cps === null ? str.length : cps.length;
  if (index < 0n || index > BigInt(len)) return outOfRange(index);
  const k = Number(index);
  if (k === len) return "";
  return cps === null ? str[k]! : cps[k]!;
}

function indexOf(str: string, sub: string, offset: bigint): CelResult {
  const cps = codePoints(str);
  const len = cps === null ? str.length : cps.length;
  if (offset < 0n || offset > BigInt(len)) return outOfRange(offset);
  const off = Number(offset);
  if (sub === "") return offset;
  if (cps === null) return BigInt(str.indexOf(sub, off));
  const subs = Array.from(sub);
  for (let k = off; k + subs.length <= len; k++) if (matchesAt(cps, subs, k)) return BigInt(k);
  return -1n;
}

function lastIndexOf(str: string, sub: string, offset: bigint | null): CelResult {
  const cps = codePoints(str);
  const len = cps === null ? str.length : cps.length;
  if (offset === null) {
    if (sub === "") return BigInt(len);
    offset = BigInt(Math.max(len - 1, 0));
  } else if (offset < 0n || offset > BigInt(len)) return outOfRange(offset);
  const off = Number(offset);
  if (sub === "") return offset;
  if (cps === null) return BigInt(str.lastIndexOf(sub, off));
  const subs = Array.from(sub);
  for (let k = Math.min(off, len - subs.length); k >= 0; k--) if (matchesAt(cps, subs, k)) return BigInt(k);
  return -1n;
}

function matchesAt(cps: readonly string[], subs: readonly string[], at: number): boolean {
  for (let j = 0; j < subs.length; j++) if (cps[at + j] !== subs[j]) return false;
  return true;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * ASCII letters only: `'TacoCÆt'.lowerAscii()` is `'tacocÆt'` (toLowerCase would change Æ too). On an all-ASCII
 * string the built-in conversion changes exactly the ASCII letters.
 */
export function lowerAscii(x: string): string {
  if (ASCII.test(x)) return x.toLowerCase();
  return x.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function upperAscii(x: string): string {
  if (ASCII.test(x)) return x.toUpperCase();
  return x.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/** Occurrences `replace` would substitute (Go's strings.Replace; an empty `old` matches around every code point). */
function replaceCount(str: string, old: string, n: bigint): number {
  let count: number;
  if (old === "") count = (codePoints(str)?.length ?? str.length) + 1;
  else {
    count = 0;
    for (let at = str.indexOf(old); at !== -1; at = str.indexOf(old, at + old.length)) count++;
  }
  return n < 0n || BigInt(count) < n ? count : Number(n);
}

function replace(str: string, old: string, rep: string, n: bigint): string {
  if (n === 0n) return str;
  if (old === "") {
    const cps = Array.from(str);
    const limit = n < 0n ? cps.length + 1 : Math.min(Number(n), cps.length + 1);
    let out = "";
    for (let k = 0; k < cps.length; k++) out += (k < limit ? rep : "") + cps[k];
    return limit > cps.length ? out + rep : out;
  }
  // replaceAll reads `$&`, `$1`... in a replacement string: only a replacement without `$` is passed as is
  if (n < 0n) return rep.includes("$") ? str.split(old).join(rep) : str.replaceAll(old, rep);
  let out = "";
  let from = 0;
  let left = n;
  while (left > 0n) {
    const at = str.indexOf(old, from);
    if (at === -1) break;
    out += str.slice(from, at) + rep;
    from = at + old.length;
    left--;
  }
  return out + str.slice(from);
}

function replaceCost(args: readonly CelValue[]): number {
  const [str, old, rep, n] = args as [string, string, string, bigint | undefined];
  const count = replaceCount(str, old, n ?? -1n);
  return scanSteps(str) + scanSteps(old) + ((count * rep.length) >>> 3) + 1;
}

/** Go's strings.SplitN: n < 0 all pieces, 0 none, else at most n (the last holds the rest). */
function split(str: string, sep: string, n: bigint): readonly string[] {
  if (n === 0n) return [];
  if (sep === "") {
    const cps = Array.from(str);
    if (n < 0n || BigInt(cps.length) <= n) return cps;
    const k = Number(n) - 1;
    return [...cps.slice(0, k), cps.slice(k).join("")];
  }
  const all = str.split(sep);
  if (n < 0n || BigInt(all.length) <= n) return all;
  const k = Number(n) - 1;
  return [...all.slice(0, k), all.slice(k).join(sep)];
}

function splitCost(args: readonly CelValue[]): number {
  const [str, sep] = args as [string, string];
  // one step per piece (a list element) and the scan
  const pieces = sep === "" ? str.length : Math.floor(str.length / sep.length) + 1;
  return scanSteps(str) + pieces;
}

function substring(str: string, start: bigint, end: bigint | null): CelResult {
  const cps = codePoints(str);
  const len = BigInt(cps === null ? str.length : cps.length);
  if (end === null) {
    if (start < 0n || start > len) return outOfRange(start);
    return cps === null ? str.slice(Number(start)) : cps.slice(Number(start)).join("");
  }
  if (start > end) return celErrors.invalidArgument(`invalid substring range. start: ${start}, end: ${end}`);
  if (start < 0n || start > len) return outOfRange(start);
  if (end < 0n || end > len) return outOfRange(end);
  return cps === null ? str.slice(Number(start), Number(end)) : cps.slice(Number(start), Number(end)).join("");
}

// Go's unicode.IsSpace: ASCII white space, U+0085, U+00A0 and the Unicode space separators (not U+FEFF or U+200B,
// which JS's trim() would remove or keep differently).
const SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
const TRIM = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, "g");
const SPACE_AT = new RegExp(`[${SPACE}]`);

function trim(x: string): string {
  // most strings have nothing to trim: test the two ends before running the global pattern
  if (x === "" || (!SPACE_AT.test(x[0]!) && !SPACE_AT.test(x[x.length - 1]!))) return x;
  return x.replace(TRIM, "");
}

function reverse(x: string): string {
  const cps = codePoints(x);
  if (cps === null) {
    let out = "";
    for (let k = x.length - 1; k >= 0; k--) out += x[k];
    return out;
  }
  return cps.reverse().join("");
}

function join(list: readonly CelValue[], sep: string): CelResult {
  for (const x of list) if (typeof x !== "string") return celErrors.invalidArgument(`join: invalid input: ${typeNameOf(x)}`);
  return (list as readonly string[]).join(sep);
}

function joinCost(args: readonly CelValue[]): number {
  const list = args[0] as readonly CelValue[];
  const sep = args.length > 1 ? (args[1] as string) : "";
  let n = list.length + ((list.length * sep.length) >>> 3);
  for (const x of list) if (typeof x === "string") n += x.length >>> 3;
  return n;
}

const QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
  '"': '\\"',
};

/** `strings.quote`: the string as a CEL double-quoted literal; a lone surrogate becomes U+FFFD. */
export function quote(x: string): string {
  const escaped = x.replace(/[\x07\b\f\n\r\t\v\\"]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) =>
    QUOTE_ESCAPES[c] ?? "\uFFFD",
  );
  return `"${escaped}"`;
}

const strCost = (args: readonly CelValue[]): number => {
  let n = 1;
  for (const a of args) if (typeof a === "string") n += a.length >>> 3;
  return n;
};

/** Code-point scans: charAt, indexOf, substring... decode the string (and search it) once. */
const searchCost = (args: readonly CelValue[]): number => {
  const str = args[0] as string;
  const sub = typeof args[1] === "string" ? args[1] : "";
  return 1 + scanSteps(str) + ((str.length >>> 3) * (1 + (sub.length >>> 3)));
};

function formatCost(args: readonly CelValue[]): number {
  return 1 + scanSteps(args[0] as string) + deepSize(args[1]!);
}

const m = (name: string, overloads: readonly ExtOverload[]): FunctionDecl => method(name, overloads);

export const STRING_FUNCTIONS: readonly FunctionDecl[] = [
  m("charAt", [{ id: "string_char_at_int", params: [T.string, T.int], result: T.string, impl: (a, b) => charAt(s(a), i(b)), cost: searchCost }]),
  m("indexOf", [
    { id: "string_index_of_string", params: [T.string, T.string], result: T.int, impl: (a, b) => indexOf(s(a), s(b), 0n), cost: searchCost },
    {
      id: "string_index_of_string_int",
      params: [T.string, T.string, T.int],
      result: T.int,
      impl: (a, b, c) => indexOf(s(a), s(b), i(c)),
      cost: searchCost,
    },
  ]),
  m("lastIndexOf", [
    { id: "string_last_index_of_string", params: [T.string, T.string], result: T.int, impl: (a, b) => lastIndexOf(s(a), s(b), null), cost: searchCost },
    {
      id: "string_last_index_of_string_int",
      params: [T.string, T.string, T.int],
      result: T.int,
      impl: (a, b, c) => lastIndexOf(s(a), s(b), i(c)),
      cost: searchCost,
    },
  ]),
  m("lowerAscii", [{ id: "string_lower_ascii", params: [T.string], result: T.string, impl: (a) => lowerAscii(s(a)), cost: strCost }]),
  m("upperAscii", [{ id: "string_upper_ascii", params: [T.string], result: T.string, impl: (a) => upperAscii(s(a)), cost: strCost }]),
  m("replace", [
    {
      id: "string_replace_string_string",
      params: [T.string, T.string, T.string],
      result: T.string,
      impl: (a, b, c) => replace(s(a), s(b), s(c), -1n),
      cost: replaceCost,
    },
    {
      id: "string_replace_string_string_int",
      params: [T.string, T.string, T.string, T.int],
      result: T.string,
      impl: (a, b, c, d) => replace(s(a), s(b), s(c), i(d)),
      cost: replaceCost,
    },
  ]),
  m("split", [
    { id: "string_split_string", params: [T.string, T.string], result: listType(T.string), impl: (a, b) => split(s(a), s(b), -1n), cost: splitCost },
    {
      id: "string_split_string_int",
      params: [T.string, T.string, T.int],
      result: listType(T.string),
      impl: (a, b, c) => split(s(a), s(b), i(c)),
      cost: splitCost,
    },
  ]),
  m("substring", [
    { id: "string_substring_int", params: [T.string, T.int], result: T.string, impl: (a, b) => substring(s(a), i(b), null), cost: strCost },
    {
      id: "string_substring_int_int",
      params: [T.string, T.int, T.int],
      result: T.string,
      impl: (a, b, c) => substring(s(a), i(b), i(c)),
      cost: strCost,
    },
  ]),
  m("trim", [{ id: "string_trim", params: [T.string], result: T.string, impl: (a) => trim(s(a)), cost: strCost }]),
  m("reverse", [{ id: "string_reverse", params: [T.string], result: T.string, impl: (a) => reverse(s(a)), cost: strCost }]),
  m("join", [
    { id: "list_join", params: [listType(T.string)], result: T.string, impl: (a) => join(a as readonly CelValue[], ""), cost: joinCost },
    {
      id: "list_join_string",
      params: [listType(T.string), T.string],
      result: T.string,
      impl: (a, b) => join(a as readonly CelValue[], s(b)),
      cost: joinCost,
    },
  ]),
  m("format", [
    {
      id: "string_format",
      params: [T.string, listType(T.dyn)],
      result: T.string,
      impl: (a, b) => formatValue(s(a), b as readonly CelValue[]),
      cost: formatCost,
    },
  ]),
  globalFn("strings.quote", [{ id: "strings_quote", params: [T.string], result: T.string, impl: (a) => quote(s(a)), cost: strCost }]),
];

