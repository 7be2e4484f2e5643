// Properties: for any text, and for valid policies with random edits, parsing never throws, always returns an AST
// or diagnostics, every diagnostic span lies within the text, and every node's span within its parent's.
import { readFileSync } from "node:fs";
import { describe, expect } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { parseExpression, parsePolicy } from "../../src/syntax/parse.ts";
import type { Diagnostic } from "../../src/index.ts";
import type { Expr } from "../../src/syntax/ast.ts";
import { checkCover, show, walk } from "./helpers.ts";

const examples = ["invoices.xpol", "invoices.test.xpol"].map((f) =>
  readFileSync(new URL(`../../examples/invoices/${f}`, import.meta.url), "utf8"),
);
const golden = readFileSync(new URL("./golden/valid-all-constructs.xpol", import.meta.url), "utf8");
const valid = [...examples, golden];

function spansWithin(ds: readonly Diagnostic[], text: string): boolean {
  return ds.every((d) => d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= text.length);
}

function policyHolds(text: string): boolean {
  const r = parsePolicy(text);
  expect(r.ast.kind).toBe("policy");
  checkCover(r.ast);
  expect(spansWithin(r.diagnostics, text)).toBe(true);
  for (const d of r.diagnostics) {
    expect(d.code).toMatch(/^XP1\d{3}$/);
    expect(d.message).not.toMatch(/\.$/);
    expect(d.message[0]).toBe(d.message[0]!.toLowerCase());
  }
  return true;
}

function expressionHolds(text: string): boolean {
  const r = parseExpression(text);
  expect(spansWithin(r.diagnostics, text)).toBe(true);
  // an expression or an error, never neither nor both
  expect(r.expr === null).toBe(r.diagnostics.some((d) => d.severity === "error"));
  if (r.expr !== null) {
    for (const n of walk(r.expr)) {
      expect(n.span.start).toBeGreaterThanOrEqual(0);
      expect(n.span.end).toBeLessThanOrEqual(text.length);
    }
    checkCover(r.expr);
  }
  return true;
}

/** Pieces of policy syntax, so random edits produce near-valid text rather than only stray characters. */
const TOKENS = [
  "{", "}", "(", ")", "[", "]", ",", ":", ".", "?", "=", "==", "<", ">=", "->", "@", "|", "||", "&&", "!", "-", "+",
  "*", "/", "%", "rule", "action", "when", "allow", "deny", "require", "approval", "of", "within", "else", "tier",
  "T3", "counter", "window", "calendar", "rolling", "24h", "1h30m", "group", "from", "tool", "test", "property",
  "forall", "expect", "not", "that", "on", "per", "sum", "where", "in", "has", "all", "x", "1", "0x1F", "1u", "1.5",
  '"s"', "'s'", '"""t"""', "r'r'", "b'b'", '"', "'", "/*", "*/", "//", "\n", " ", "list<", "map<", "\\", "`",
];

type Edit = { kind: "insert" | "delete" | "replace"; at: number; text: string; length: number };

const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom("insert" as const, "delete" as const, "replace" as const),
  at: fc.nat(),
  text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 }), fc.string({ unit: "binary", maxLength: 2 })),
  length: fc.integer({ min: 1, max: 12 }),
});

function apply(text: string, edits: readonly Edit[]): string {
  let t = text;
  for (const e of edits) {
    const at = e.at % (t.length + 1);
    if (e.kind === "insert") t = t.slice(0, at) + e.text + t.slice(at);
    else if (e.kind === "delete") t = t.slice(0, at) + t.slice(at + e.length);
    else t = t.slice(0, at) + e.text + t.slice(at + e.length);
  }
  return t;
}

describe("parsing never throws", () => {
  test.prop([fc.string({ maxLength: 200 })], { numRuns: 300 })("parsePolicy on arbitrary strings", (s) => policyHolds(s));

  test.prop([fc.string({ unit: "binary", maxLength: 200 })], { numRuns: 200 })("parsePolicy on arbitrary UTF-16, surrogates included", (s) =>
    policyHolds(s),
  );

  test.prop([fc.string({ maxLength: 120 })], { numRuns: 300 })("parseExpression on arbitrary strings", (s) => expressionHolds(s));

  test.prop([fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((ts) => ts.join(" "))], { numRuns: 300 })(
    "parsePolicy and parseExpression on random token soup",
    (s) => policyHolds(s) && expressionHolds(s),
  );

  test.prop([fc.constantFrom(...valid), fc.array(edit, { minLength: 1, maxLength: 4 })], { numRuns: 200 })(
    "parsePolicy on valid policies with random edits",
    (text, edits) => policyHolds(apply(text, edits)),
  );
});

/** Random well-formed expressions, printed fully parenthesized and re-parsed: the tree comes back the same. */
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("a", "b.c", "1", "2u", "1.5", '"s"', "true", "null", "[1, 2]", "{'k': 1}", "-3"),
    fc.tuple(tie("e"), fc.constantFrom("||", "&&", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/", "%"), tie("e")).map(
      ([l, op, r]) => `(${l} ${op} ${r})`,
    ),
    tie("e").map((x) => `(!(${x}))`),
    tie("e").map((x) => `(-(${x}))`),
    fc.tuple(tie("e"), tie("e"), tie("e")).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
    tie("e").map((x) => `(${x}).f`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `(${a})[${b}]`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `f(${a}, ${b})`),
    tie("e").map((x) => `l.all(v, ${x})`),
  ),
})).e;

describe("round trip", () => {
  test.prop([expr], { numRuns: 300 })("show(parse(e)) parses back to the same tree", (text) => {
    const first = parseExpression(text);
    expect(first.diagnostics).toEqual([]);
    const printed = show(first.expr as Expr);
    const again = parseExpression(printed);
    expect(again.diagnostics).toEqual([]);
    expect(show(again.expr as Expr)).toBe(printed);
  });
});
