import { describe, expect, test } from "vitest";
import { parseExpression } from "../../src/syntax/parse.ts";
import type { Expr } from "../../src/syntax/ast.ts";
import { children, errors, ok, walk } from "./helpers.ts";

function literal(text: string): unknown {
  const r = parseExpression(text);
  if (r.expr === null || r.expr.kind !== "literal") throw new Error(`not a literal: ${text}: ${JSON.stringify(r.diagnostics)}`);
  const l = r.expr.literal;
  return "value" in l ? l.value : null;
}

describe("precedence and associativity", () => {
  test.each([
    ["a || b && c", "(a || (b && c))"],
    ["a && b || c", "((a && b) || c)"],
    ["a == b && c != d", "((a == b) && (c != d))"],
    ["a < b + c", "(a < (b + c))"],
    ["a + b * c", "(a + (b * c))"],
    ["a * b + c", "((a * b) + c)"],
    ["a - b - c", "((a - b) - c)"],
    ["a / b % c * d", "(((a / b) % c) * d)"],
    ["a < b == c", "((a < b) == c)"],
    ["x in [1] && y", "((x in [1]) && y)"],
    ["a + b in c", "((a + b) in c)"],
    ["!a && b", "((!a) && b)"],
    ["-a * b", "((-a) * b)"],
    ["!a.b", "(!a.b)"],
    ["-a[0]", "(-a[0])"],
    ["a ? b : c ? d : e", "(a ? b : (c ? d : e))"],
    ["a || b ? c + 1 : d", "((a || b) ? (c + 1) : d)"],
    ["(a || b) && c", "((a || b) && c)"],
    ["a.b.c(d)[e].f", "a.b.c(d)[e].f"],
    ["!!a", "(!(!a))"],
    ["a - -b", "(a - (-b))"],
  ])("%s", (text, shape) => {
    expect(ok(text)).toBe(shape);
  });

  test("the conformance repetition forms parse (32 of each)", () => {
    const n = 32;
    expect(ok(Array(n).fill("x").join(" || "))).toContain("||");
    expect(ok(Array(n).fill("x").join(" && "))).toContain("&&");
    expect(ok("a" + ".b".repeat(n))).toContain(".b.b");
    expect(ok("a" + "[0]".repeat(n))).toContain("[0][0]");
    expect(ok("(".repeat(n) + "7" + ")".repeat(n))).toBe("7");
    expect(ok("!".repeat(n) + "true")).toMatch(/^\(!/);
    expect(ok(Array(n).fill("true ? 1").join(" : ") + " : 2")).toMatch(/^\(true \? 1 : \(true/);
  });
});

describe("numbers", () => {
  test.each([
    ["0", 0n],
    ["42", 42n],
    ["0x1F", 31n],
    ["0XfF", 255n],
    ["9223372036854775807", 9223372036854775807n],
    ["-9223372036854775808", -9223372036854775808n],
    ["-5", -5n],
  ])("int %s", (text, value) => {
    expect(literal(text)).toBe(value);
    const r = parseExpression(text);
    expect(r.expr?.kind === "literal" && r.expr.literal.type).toBe("int");
  });

  test.each([
    ["1u", 1n],
    ["0U", 0n],
    ["0x1Fu", 31n],
    ["18446744073709551615u", 18446744073709551615n],
  ])("uint %s", (text, value) => {
    const r = parseExpression(text);
    expect(r.expr?.kind === "literal" && r.expr.literal).toEqual({ type: "uint", value });
  });

  test.each([
    ["1.5", 1.5],
    [".5", 0.5],
    ["1e3", 1000],
    ["1.5e-3", 0.0015],
    ["0e+0", 0],
    ["-2.5", -2.5],
  ])("double %s", (text, value) => {
    const r = parseExpression(text);
    expect(r.expr?.kind === "literal" && r.expr.literal).toEqual({ type: "double", value });
  });

  test("out of range ints and uints are errors; the sign makes the difference at the int minimum", () => {
    expect(errors("9223372036854775808")).toEqual(["XP1006 int literal `9223372036854775808` is out of range"]);
    expect(errors("-9223372036854775809")).toEqual(["XP1006 int literal `-9223372036854775809` is out of range"]);
    expect(errors("0x8000000000000000")[0]).toMatch(/^XP1006/);
    expect(errors("18446744073709551616u")).toEqual(["XP1006 uint literal `18446744073709551616u` is out of range"]);
    expect(errors("1e999")[0]).toMatch(/^XP1007/);
  });

  test("a minus folds into the literal only right before it", () => {
    expect(ok("--19")).toBe("(--19)");
    expect(ok("-1.abs()")).toBe("-1.abs()");
    expect(ok("-(1)")).toBe("(-(1))");
    expect(ok("-1u")).toBe("(-(1u))");
    expect(ok("- 5")).toBe("-5");
  });

  test("`1.` is not a double (the spec's grammar needs a digit after the dot)", () => {
    expect(errors("1.")).toEqual(["XP1001 unexpected end of file, expected `?`, a name or a quoted field name"]);
  });

  test("the folded literal's span covers the minus", () => {
    const r = parseExpression("x + -5");
    const e = r.expr as Extract<Expr, { kind: "binary" }>;
    expect(e.right.span).toEqual({ start: 4, end: 6 });
  });
});

describe("strings and bytes", () => {
  test.each([
    [`"hello"`, "hello"],
    [`'hello'`, "hello"],
    [`"""a"b""c"""`, `a"b""c`],
    [`'''x''x'''`, "x''x"],
    ["'''a\nb'''", "a\nb"],
    [`' \\\\ \\? \\" \\' \\\` '`, ` \\ ? " ' \` `],
    [`"\\a\\b\\f\\n\\r\\t\\v"`, "\x07\b\f\n\r\t\v"],
    [`"\\x41\\X42\\u00e9\\U0001F62C"`, "ABé😬"],
    [`"\\101\\000\\377"`, "A\0ÿ"],
    [`"\\uD83D\\uDE2C"`, "😬"],
    [`"\\303\\277"`, "Ã¿"],
    [`r"\\n\\\\"`, "\\n\\\\"],
    [`R'\\x'`, "\\x"],
    [`r"""a\\"""`, "a\\"],
    [`"é😬"`, "é😬"],
  ])("string %s", (text, value) => {
    expect(literal(text)).toBe(value);
  });

  test.each([
    [`b"abc"`, [97, 98, 99]],
    [`b"ÿ"`, [195, 191]],
    [`b"\\303\\277"`, [195, 191]],
    [`b"\\377"`, [255]],
    [`b"\\xFF\\x00"`, [255, 0]],
    [`B'\\n'`, [10]],
    [`br"\\x"`, [92, 120]],
    [`b'''a\nb'''`, [97, 10, 98]],
    [`b"😬"`, [0xf0, 0x9f, 0x98, 0xac]],
  ])("bytes %s", (text, bytes) => {
    const r = parseExpression(text);
    expect(r.expr?.kind === "literal" && r.expr.literal.type).toBe("bytes");
    expect([...(literal(text) as Uint8Array)]).toEqual(bytes);
  });

  test.each([
    [`"\\q"`, "invalid escape sequence `\\q`: unknown escape code"],
    [`"\\x4"`, "invalid escape sequence `\\x`: `\\x` needs two hexadecimal digits"],
    [`"\\u12"`, "invalid escape sequence `\\u`: `\\u` needs 4 hexadecimal digits"],
    [`"\\400"`, "invalid escape sequence `\\400`: octal escapes are three digits from `\\000` to `\\377`"],
    [`"\\uD800"`, "invalid escape sequence `\\uD800`: unpaired surrogate code point"],
    [`"\\U00110000"`, "invalid escape sequence `\\U00110000`: code point beyond U+10FFFF"],
    [`b"\\u0041"`, "invalid escape sequence `\\u0041`: unicode escapes are not allowed in bytes literals, use `\\x` or octal escapes"],
  ])("bad escape %s", (text, message) => {
    const r = parseExpression(text);
    expect(r.expr).toBeNull();
    expect(r.diagnostics.map((d) => d.message)).toEqual([message]);
    expect(r.diagnostics[0]!.code).toBe("XP1005");
  });

  test("a bad escape is pointed at precisely, and every bad escape is reported", () => {
    const r = parseExpression(`"ab\\qc\\zd"`);
    expect(r.diagnostics.map((d) => d.span)).toEqual([
      { start: 3, end: 5 },
      { start: 6, end: 8 },
    ]);
  });

  test("unterminated strings", () => {
    expect(errors(`"abc`)).toContain("XP1003 unterminated string");
    expect(errors(`'abc\n'`)).toContain("XP1003 unterminated string");
    expect(errors(`"""abc`)).toContain("XP1003 unterminated string");
    expect(errors(`"abc\\"`)).toContain("XP1003 unterminated string");
  });

  test("a NUL character inside a string is just a character", () => {
    expect(literal("'a\u0000b'")).toBe("a\u0000b");
  });
});

describe("names, members and calls", () => {
  test.each([
    ["a", "a"],
    [".a.b", ".a.b"],
    ["f(1, 2)", "f(1, 2)"],
    ["a.f()", "a.f()"],
    ["math.greatest(1, 2)", "math.greatest(1, 2)"],
    ["a.b[c].d(e)", "a.b[c].d(e)"],
    ["{'a-b': 1}.`a-b`", '{"a-b": 1}.a-b'],
    ["true && false || null == null", "((true && false) || (null == null))"],
    ["[1, 2,]", "[1, 2]"],
    ["[]", "[]"],
    ["{}", "{}"],
    ["{'a': 1, 2: [3],}", '{"a": 1, 2: [3]}'],
    ["counter.status_updates < 1000", "(counter.status_updates < 1000)"],
    ["context.window == action.target", "(context.window == action.target)"],
    ["rule.when + tier.expect", "(rule.when + tier.expect)"],
    ["a.if() || a.as || a.else", "((a.if() || a.as) || a.else)"],
    ["a.allow && a.deny()", "(a.allow && a.deny())"],
  ])("%s", (text, shape) => {
    expect(ok(text)).toBe(shape);
  });

  test("reserved words cannot be variables or global functions", () => {
    for (const w of ["as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]) {
      expect(errors(w)).toEqual([`XP1012 \`${w}\` is a reserved word and cannot be used as a name`]);
    }
    expect(errors("if(x)")[0]).toMatch(/^XP1012/);
  });

  test("`in`, `true`, `false`, `null` are not names", () => {
    expect(errors("in")[0]).toMatch(/^XP1001 unexpected `in`, expected an expression/);
    expect(errors("a.true")[0]).toMatch(/^XP1001/);
  });

  test("message construction is reported as unsupported", () => {
    expect(errors("T{a: 1}")).toEqual(["XP1015 message construction `T{...}` is not supported"]);
    expect(errors("a.b.C{}")).toEqual(["XP1015 message construction `a.b.C{...}` is not supported"]);
  });
});

describe("macros", () => {
  test.each([
    ["has(a.b)", "has(a.b)"],
    ["has(a.b.c)", "has(a.b.c)"],
    ["l.all(x, x > 0)", "l.all(x, (x > 0))"],
    ["l.exists(x, x == 1)", "l.exists(x, (x == 1))"],
    ["l.exists_one(x, x)", "l.exists_one(x, x)"],
    ["l.map(x, x * 2)", "l.map(x, (x * 2))"],
    ["l.map(x, x > 0, x * 2)", "l.map(x, (x > 0), (x * 2))"],
    ["l.filter(x, x > 0)", "l.filter(x, (x > 0))"],
    ["[1].all(x, [2].exists(y, x < y))", "[1].all(x, [2].exists(y, (x < y)))"],
    // not macros: other arities and global forms stay calls
    ["l.all(x)", "l.all(x)"],
    ["all(l, x, p)", "all(l, x, p)"],
    ["has(a.b, c)", "has(a.b, c)"],
    ["a.has(b)", "a.has(b)"],
  ])("%s", (text, shape) => {
    expect(ok(text)).toBe(shape);
  });

  test("has needs a field selection", () => {
    expect(errors("has(a)")).toEqual(["XP1013 the argument of `has` must be a field selection such as `a.b`"]);
    expect(errors("has(a[0])")[0]).toMatch(/^XP1013/);
  });

  test("the variable of a comprehension must be a simple name", () => {
    expect(errors("l.all(1, true)")).toEqual(["XP1014 the first argument of `all` must be a simple name"]);
    expect(errors("l.map(a.b, 1)")[0]).toMatch(/^XP1014/);
    expect(errors("l.exists(.x, true)")[0]).toMatch(/^XP1014/);
  });

  test("comprehension spans: the whole call and the variable", () => {
    const r = parseExpression("items.all(x, x > 0)");
    const e = r.expr as Extract<Expr, { kind: "comprehension" }>;
    expect(e.span).toEqual({ start: 0, end: 19 });
    expect(e.variableSpan).toEqual({ start: 10, end: 11 });
  });
});

describe("spans", () => {
  const text = "a.b[1] + f(x, 'y') * -(2) > 3 ? [1, {k: v}] : has(c.d) || !e.all(i, i in z)";

  test("every node lies within its parent and inside the text", () => {
    const r = parseExpression(text);
    expect(r.expr).not.toBeNull();
    for (const node of walk(r.expr!)) {
      expect(node.span.start).toBeGreaterThanOrEqual(0);
      expect(node.span.end).toBeLessThanOrEqual(text.length);
      expect(node.span.start).toBeLessThan(node.span.end);
      for (const c of children(node)) {
        expect(c.span.start).toBeGreaterThanOrEqual(node.span.start);
        expect(c.span.end).toBeLessThanOrEqual(node.span.end);
      }
    }
  });

  test("spans name the source text", () => {
    const r = parseExpression("  foo.bar(1)  ");
    const e = r.expr as Extract<Expr, { kind: "call" }>;
    expect(e.span).toEqual({ start: 2, end: 12 });
    expect(e.fnSpan).toEqual({ start: 6, end: 9 });
    expect(e.target!.span).toEqual({ start: 2, end: 5 });
    const b = parseExpression("a  <=  b").expr as Extract<Expr, { kind: "binary" }>;
    expect(b.opSpan).toEqual({ start: 3, end: 5 });
    const s = parseExpression("(a).b").expr as Extract<Expr, { kind: "select" }>;
    expect(s.span).toEqual({ start: 0, end: 5 });
    expect(s.fieldSpan).toEqual({ start: 4, end: 5 });
  });
});

describe("syntax errors", () => {
  test.each([
    ["a +", "XP1001 unexpected end of file, expected an expression"],
    ["(1", "XP1001 unexpected end of file, expected `)` to close this `(`"],
    ["[1, 2", "XP1001 unexpected end of file, expected `]` to close this `[`"],
    ["f(a,)", "XP1001 unexpected `)`, expected an expression"],
    ["a b", "XP1001 unexpected `b`, expected the end of the expression"],
    ["!-x", "XP1001 unexpected `-`, expected an expression"],
    ["a # b", "XP1002 unexpected character `#`"],
    ["24h", "XP1001 unexpected `24h`, expected an expression"],
    ["a[0](1)", "XP1001 unexpected `(`, expected the end of the expression"],
    ["", "XP1001 unexpected end of file, expected an expression"],
  ])("%s", (text, first) => {
    const r = parseExpression(text);
    expect(r.expr).toBeNull();
    expect(`${r.diagnostics[0]!.code} ${r.diagnostics[0]!.message}`).toBe(first);
  });

  test("an unclosed bracket names where it opened", () => {
    const r = parseExpression("f(a, [1, 2)");
    const d = r.diagnostics[0]!;
    expect(d.message).toBe("unexpected `)`, expected `]` to close this `[`");
    expect(d.related).toEqual([{ message: "the `[` opens here", span: { start: 5, end: 6 } }]);
  });

  test("diagnostics carry the file name", () => {
    const r = parseExpression("a +", "cond.cel");
    expect(r.diagnostics[0]!.file).toBe("cond.cel");
  });
});
