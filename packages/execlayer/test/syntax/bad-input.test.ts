// Bad input: whatever the text, parsing returns diagnostics with positions; no exception, stack overflow or hang.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { MAX_EXPR_DEPTH, MAX_NESTING, MAX_TOKENS, parseExpression, parsePolicy } from "../../src/syntax/parse.ts";
import type { Diagnostic } from "../../src/index.ts";

const N = 10_000;

function codes(ds: readonly Diagnostic[]): string[] {
  return ds.map((d) => d.code);
}

function inText(ds: readonly Diagnostic[], text: string): void {
  for (const d of ds) {
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeLessThanOrEqual(text.length);
    expect(d.span.start).toBeLessThanOrEqual(d.span.end);
  }
}

describe("nesting", () => {
  test("the documented limits", () => {
    expect(MAX_NESTING).toBe(100);
    expect(MAX_EXPR_DEPTH).toBe(250);
    expect(MAX_TOKENS).toBe(500_000);
  });

  test.each([
    ["parentheses", "(".repeat(N) + "1" + ")".repeat(N)],
    ["lists", "[".repeat(N) + "1" + "]".repeat(N)],
    ["maps", "{1: ".repeat(N) + "1" + "}".repeat(N)],
    ["calls", "f(".repeat(N) + ")".repeat(N)],
    ["unclosed", "(".repeat(N)],
  ])("%s 10,000 deep: one XP1010 at the first bracket past the limit", (_, text) => {
    const r = parseExpression(text);
    expect(r.expr).toBeNull();
    expect(codes(r.diagnostics)).toEqual(["XP1010"]);
    expect(r.diagnostics[0]!.message).toBe("nesting is deeper than the limit of 100 levels");
    expect(r.diagnostics[0]!.span.start).toBe(text.split("").findIndex((_c, i) => i > 0 && text.slice(0, i + 1).replace(/[^([{]/g, "").length === 101));
  });

  test("exactly at the limit still parses", () => {
    expect(parseExpression("(".repeat(MAX_NESTING) + "1" + ")".repeat(MAX_NESTING)).diagnostics).toEqual([]);
    expect(parseExpression("[".repeat(MAX_NESTING) + "1" + "]".repeat(MAX_NESTING)).diagnostics).toEqual([]);
    expect(parseExpression("(".repeat(MAX_NESTING + 1) + "1" + ")".repeat(MAX_NESTING + 1)).diagnostics.map((d) => d.code)).toEqual(["XP1010"]);
  });

  test.each([
    ["a.b.c chain", "a" + ".b".repeat(N)],
    ["!!!!", "!".repeat(N) + "true"],
    ["----", "-".repeat(N) + "x"],
    ["|| chain", Array(N).fill("x").join(" || ")],
    ["+ chain", Array(N).fill("1").join(" + ")],
    ["index chain", "a" + "[0]".repeat(N)],
    ["?: chain", Array(N).fill("a ? b").join(" : ") + " : c"],
    ["method chain", "a" + ".f()".repeat(N)],
  ])("%s 10,000 long: XP1011, the expression is left out", (_, text) => {
    const r = parseExpression(text);
    expect(r.expr).toBeNull();
    expect(codes(r.diagnostics)).toEqual(["XP1011"]);
    inText(r.diagnostics, text);
  });

  test("in a policy, a too-deep expression drops only its declaration", () => {
    const text = `rule deep on a { when ${"!".repeat(N)}true allow }\nrule fine on a { allow }`;
    const r = parsePolicy(text);
    expect(codes(r.diagnostics)).toEqual(["XP1011"]);
    expect(r.ast.declarations.map((d) => d.kind === "rule" && d.name.text)).toEqual(["fine"]);
  });

  test("type arguments count as nesting", () => {
    const text = `action a { x: ${"list<".repeat(N)}int${">".repeat(N)} }`;
    expect(codes(parsePolicy(text).diagnostics)).toEqual(["XP1010"]);
    const ok = `action a { x: ${"list<".repeat(50)}int${">".repeat(50)} }`;
    expect(parsePolicy(ok).diagnostics).toEqual([]);
  });

  test("a long comparison chain is not mistaken for type arguments", () => {
    const text = `rule r on a { when ${Array(200).fill("x").join(" < ")} allow }`;
    expect(codes(parsePolicy(text).diagnostics)).toEqual([]);
  });
});

describe("size", () => {
  test("a 10 MB policy is refused before lexing, with a position", () => {
    const example = readFileSync(new URL("../../examples/invoices/invoices.xpol", import.meta.url), "utf8");
    const parts: string[] = [];
    let size = 0;
    while (size < 10_000_000) {
      parts.push(example);
      size += example.length;
    }
    const text = parts.join("\n");
    const r = parsePolicy(text, "big.xpol");
    expect(codes(r.diagnostics)).toEqual(["XP1022"]);
    expect(r.diagnostics[0]!.message).toBe("input is too large: more than 500000 tokens");
    inText(r.diagnostics, text);
  });

  test("10 MB of any one token kind is refused the same way", () => {
    for (const unit of ["{", "1+", "abc ", "#$^&", "é"]) {
      const text = unit.repeat(Math.ceil(10_000_000 / unit.length));
      const r = parsePolicy(text);
      expect(codes(r.diagnostics), unit).toEqual(["XP1022"]);
    }
  });

  test("a 10 MB string literal is one token: reported as unterminated, not refused", () => {
    const text = `"${"a".repeat(10_000_000)}`;
    const r = parsePolicy(text);
    expect(codes(r.diagnostics)).toEqual(["XP1003", "XP1001"]);
  });

  test("a long line comment or block comment is fine", () => {
    expect(parsePolicy(`// ${"x".repeat(1_000_000)}\nrule r on a { allow }`).diagnostics).toEqual([]);
    expect(parsePolicy(`/* ${"*x".repeat(500_000)} */ rule r on a { allow }`).diagnostics).toEqual([]);
  });
});

describe("garbage", () => {
  test("binary data (a NUL) is one diagnostic", () => {
    const bytes = Buffer.alloc(100_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    const text = bytes.toString("latin1");
    const r = parsePolicy(text);
    expect(codes(r.diagnostics)).toEqual(["XP1009"]);
    expect(r.diagnostics[0]!.span.start).toBe(text.indexOf("\u0000"));
  });

  test("binary-looking text without NUL gets at most 100 diagnostics and a final note", () => {
    const bytes = Buffer.alloc(100_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = 1 + ((i * 7919) % 255);
    const text = bytes.toString("latin1");
    const r = parsePolicy(text);
    expect(r.diagnostics).toHaveLength(101);
    expect(r.diagnostics[100]!.code).toBe("XP1019");
    inText(r.diagnostics, text);
  });

  test("thousands of syntax errors: the first 100 and a final note", () => {
    for (const [line, first] of [["rule r on a { x }\n", "x }"], ["option x = (1 ]\n", "]"], ["rule r on a { allow ) \n", ")"]] as const) {
      const text = line.repeat(30_000);
      const r = parsePolicy(text);
      expect(r.diagnostics, line).toHaveLength(101);
      expect(r.diagnostics[0]!.span.start).toBe(line.indexOf(first));
      expect(r.diagnostics[100]!.code).toBe("XP1019");
      inText(r.diagnostics, text);
    }
  });

  test("unpaired surrogates are reported where they are", () => {
    const text = `rule a on b { deny "\ud800" } \udc00`;
    const r = parsePolicy(text);
    expect(codes(r.diagnostics)).toEqual(["XP1008", "XP1008"]);
    expect(r.diagnostics.map((d) => d.span.start)).toEqual([text.indexOf("\ud800"), text.indexOf("\udc00")]);
  });

  test("stray characters are reported, parsing continues", () => {
    const text = "rule a on b { deny } § rule c on d { allow } ¤";
    const r = parsePolicy(text);
    expect(r.diagnostics.map((d) => d.message)).toEqual(["unexpected character `§`", "unexpected character `¤`"]);
    expect(r.ast.declarations).toHaveLength(2);
  });

  test("control characters are named by code, not printed raw", () => {
    expect(parsePolicy("rule a on b { allow } \u0007").diagnostics[0]!.message).toBe("unexpected character `\\u{7}`");
  });

  test("unterminated string and comment", () => {
    expect(codes(parsePolicy(`rule a on b { deny "abc }`).diagnostics)).toEqual(["XP1003", "XP1001"]);
    expect(codes(parsePolicy(`rule a on b { deny } /* abc`).diagnostics)).toEqual(["XP1004"]);
    expect(codes(parsePolicy(`rule a on b { deny """abc }`).diagnostics)).toEqual(["XP1003", "XP1001"]);
  });

  test("empty and whitespace-only files are valid empty policies", () => {
    for (const text of ["", "   \n\t\n", "// only a comment", "\ufeff"]) {
      const r = parsePolicy(text);
      expect(r.diagnostics).toEqual([]);
      expect(r.ast.declarations).toEqual([]);
    }
  });
});
