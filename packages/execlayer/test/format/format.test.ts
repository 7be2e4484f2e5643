import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatPolicy, astEqual } from "../../src/format/index.ts";
import { POSITION_KEYS } from "../../src/format/ast-equal.ts";
import { parseExpression, parsePolicy } from "../../src/syntax/parse.ts";
import { xpolLexer } from "../../src/syntax/lexer.ts";
import { generatePolicy } from "../../bench/gen-policy.ts";
import { findXpolFiles } from "../../src/format/files.ts";

const root = resolve(import.meta.dirname, "../..");
const corpus = findXpolFiles(["examples", "stdlib", "test/testing/fixtures", "test/format/golden"], root, []).files;

function fmt(text: string, file = "t.xpol"): string {
  const r = formatPolicy(text, file);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.text;
}

/** Formatting succeeds, keeps the tree and every comment (formatPolicy checks both), and is idempotent. */
function wellFormatted(text: string, file = "t.xpol"): boolean {
  const r = formatPolicy(text, file);
  if (!r.ok) return false;
  const again = formatPolicy(r.text, file);
  return again.ok && again.text === r.text && astEqual(parsePolicy(text).ast, parsePolicy(r.text).ast);
}

describe("the corpus (examples, stdlib, fixtures)", () => {
  it("has files", () => expect(corpus.length).toBeGreaterThan(20));
  for (const f of corpus) {
    it(`${f}: fmt(fmt(x)) == fmt(x) and the tree is unchanged`, () => {
      const text = readFileSync(join(root, f), "utf8");
      const once = fmt(text, f);
      expect(fmt(once, f)).toBe(once);
      expect(astEqual(parsePolicy(text).ast, parsePolicy(once).ast)).toBe(true);
    });
  }
});

describe("comments", () => {
  it("golden: every kind of comment placement", () => {
    const input = readFileSync(join(root, "test/format/golden/comments.input.xpol"), "utf8");
    const expected = readFileSync(join(root, "test/format/golden/comments.expected.xpol"), "utf8");
    expect(fmt(input)).toBe(expected);
    expect(fmt(expected)).toBe(expected);
  });

  const comments = [" // line\n", " /* block */ ", "/*tight*/", "\n/* two\n   lines */\n", "\n\n// after a blank line\n\n"];
  const samples = ["examples/coding-agent/coding-agent.test.xpol", "examples/devops/devops.xpol", "test/format/golden/comments.input.xpol"];
  for (const f of samples) {
    const text = readFileSync(join(root, f), "utf8");
    test.prop([fc.array(fc.tuple(fc.nat(), fc.constantFrom(...comments)), { minLength: 1, maxLength: 3 }), fc.boolean()], { numRuns: 60 })(
      `${f}: comments inserted between any two tokens are kept, with CRLF or LF`,
      (inserts, crlf) => {
        let t = text;
        for (const [n, c] of inserts) {
          const bounds = [0, ...xpolLexer.tokenize(t).tokens.map((k) => k.startOffset + k.image.length)];
          const at = bounds[n % bounds.length]!;
          t = t.slice(0, at) + c + t.slice(at);
        }
        if (crlf) t = t.replace(/\n/g, "\r\n");
        const r = formatPolicy(t, f);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        for (const [, c] of inserts) expect(r.text).toContain(c.trim().split(/\r?\n/)[0]!);
        expect(wellFormatted(t, f)).toBe(true);
      },
    );
  }
});

describe("expressions", () => {
  const cases: [string, string][] = [
    ["(a + b) * c", "(a + b) * c"],
    ["a + (b * c)", "a + (b * c)"],
    ["((a))", "a"],
    ["a - (b - c)", "a - (b - c)"],
    ["(a - b) - c", "(a - b) - c"],
    ["-(5)", "-(5)"],
    ["-(-5)", "--5"],
    ["- 5", "-5"],
    ["!(!x)", "!(!x)"],
    ["!(-x)", "!(-x)"],
    ["-(!x)", "-(!x)"],
    ["(-x).size()", "(-x).size()"],
    ["(-1).abs()", "-1.abs()"],
    ["(a ? b : c) ? d : e", "(a ? b : c) ? d : e"],
    ["a ? b : (c ? d : e)", "a ? b : (c ? d : e)"],
    ["a ? b : c ? d : e", "a ? b : c ? d : e"],
    ["a ? (b ? c : d) : e", "a ? (b ? c : d) : e"],
    ["a && (b && c)", "a && (b && c)"],
    ["(a && b) && c", "(a && b) && c"],
    ["a && b && c", "a && b && c"],
    ["((a && b)) || c", "(a && b) || c"],
    ["(a) && (b)", "a && b"],
    ["x || (a) && (b)", "x || a && b"],
    ["(action.amount > 100) && (actor.team == 'ops')", "(action.amount > 100) && (actor.team == 'ops')"],
    ["(a || b) && c", "(a || b) && c"],
    ["x in ([1, 2])", "x in [1, 2]"],
    ["(x < y) == true", "(x < y) == true"],
    ["(!x) || y", "(!x) || y"],
    ["x == (y < z)", "x == (y < z)"],
    ["(a.b)[0]", "a.b[0]"],
    ["(a + b).c", "(a + b).c"],
    ["has(a.`b-c`)", "has(a.`b-c`)"],
    ["a.`x.y`", "a.`x.y`"],
    ["{'k':1,'j':[1,2,]}", "{ 'k': 1, 'j': [1, 2] }"],
    ["-(5).size()", "-(5.size())"],
    ["!(-5).size()", "!(-5.size())"],
    ["l.map(x, x > 1, x * 2)", "l.map(x, x > 1, x * 2)"],
    ['r"\\d+" + """a\\nb""" + b"\\x00" + \'\\\'\'', 'r"\\d+" + """a\\nb""" + b"\\x00" + \'\\\'\''],
    ["0x1F + 5u + 1e3 + .5", "0x1F + 5u + 1e3 + .5"],
    [".x + y", ".x + y"],
  ];
  for (const [input, expected] of cases) {
    it(`${input}  ->  ${expected}`, () => {
      const out = fmt(`policy p\noption x = ${input}\n`);
      expect(out).toBe(`policy p\n\noption x = ${expected}\n`);
    });
  }

  it("breaks a long && chain with the operator first, and keeps short ones on one line", () => {
    const long = Array.from({ length: 8 }, (_, i) => `action.field_number_${i} == "value"`).join(" && ");
    const out = fmt(`policy p\nrule r on * {\n  when ${long}\n  allow\n}\n`);
    expect(out).toContain('  when action.field_number_0 == "value"\n    && action.field_number_1 == "value"\n');
    expect(out.split("\n").every((l) => l.length <= 120)).toBe(true);
    expect(fmt('policy p\nrule r on * {\n  when a &&\n b\n  allow\n}\n')).toContain("  when a && b\n");
  });

  // Random expression text with redundant parentheses, odd spacing and every literal form: the formatted
  // policy parses to the same tree (formatPolicy checks it) and formatting again changes nothing.
  const atom = fc.constantFrom("0", "42", "-7", "0x1F", "9223372036854775807", "-9223372036854775808", "5u", "1.5", "-2.5", "1e3",
    '"a\\n"', "'x'", 'r"\\d+"', '"""tri\nple"""', 'b"\\x00"', "true", "null", "a", "b.c", ".d", "e.`f-g`", "size(a)", "[]", "{}");
  const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      atom,
      fc.tuple(fc.constantFrom("!", "-", "- "), tie("e")).map(([o, x]) => `${o}${x}`),
      fc.tuple(tie("e"), fc.constantFrom("||", "&&", "==", "!=", "<", ">=", "in", "+", "-", "*", "/", "%"), tie("e"), fc.constantFrom(" ", "", "\n    ")).map(
        ([l, o, r, ws]) => `${l}${ws}${o} ${r}`,
      ),
      fc.tuple(tie("e"), tie("e"), tie("e")).map(([a, b, c]) => `${a} ? ${b} : ${c}`),
      tie("e").map((x) => `(${x})`),
      fc.tuple(tie("e"), tie("e")).map(([a, b]) => `f(${a}, ${b})`),
      tie("e").map((x) => `(${x}).size()`),
      fc.tuple(tie("e"), tie("e")).map(([a, b]) => `[${a}, ${b}]`),
      fc.tuple(tie("e"), tie("e")).map(([a, b]) => `{${a}: ${b}}`),
      tie("e").map((x) => `l.all(v, ${x})`),
      fc.tuple(tie("e"), tie("e")).map(([a, b]) => `${a}[${b}]`),
    ),
  })).e;
  test.prop([expr], { numRuns: 300 })("random expressions keep their tree and format idempotently", (e) => {
    const text = `policy p\nrule r on * {\n  when ${e}\n  allow\n}\n`;
    fc.pre(!parsePolicy(text).diagnostics.some((d) => d.severity === "error"));
    expect(wellFormatted(text)).toBe(true);
  });
});

describe("generated policies", () => {
  for (const size of [10, 60]) {
    it(`bench/gen-policy with ${size} rules`, () => {
      const g = generatePolicy(size);
      expect(wellFormatted(g.text, g.path)).toBe(true);
    });
  }
});

describe("refusals", () => {
  it("does not format a file with syntax errors", () => {
    const r = formatPolicy("policy p\nrule r on * { when allow }\n", "bad.xpol");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics[0]!.code).toBe("XP7021");
      expect(r.diagnostics.some((d) => d.code.startsWith("XP1"))).toBe(true);
    }
  });

  it("an empty file formats to one newline, and a formatted file reports no change", () => {
    expect(fmt("")).toBe("\n");
    const r = formatPolicy("policy p\n", "p.xpol");
    expect(r.ok && !r.changed).toBe(true);
  });
});

describe("astEqual", () => {
  it("ignores every position key of the tree, and only those", () => {
    const text = readFileSync(join(root, "test/syntax/golden/valid-all-constructs.xpol"), "utf8");
    const spanKeys = new Set<string>();
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(visit);
      if (v === null || typeof v !== "object" || v instanceof Uint8Array) return;
      for (const [k, x] of Object.entries(v)) {
        const isSpan = x !== null && typeof x === "object" && Object.keys(x).sort().join() === "end,start";
        if (isSpan) spanKeys.add(k);
        else visit(x);
      }
    };
    visit(parsePolicy(text).ast);
    visit(parseExpression("[1].all(x, x > 0)").expr); // the golden policy has no comprehension
    expect([...spanKeys].sort()).toEqual([...POSITION_KEYS].sort());
    // moved by a blank line, the same tree; a changed name, not
    expect(astEqual(parsePolicy(text).ast, parsePolicy("\n" + text).ast)).toBe(true);
    expect(astEqual(parsePolicy("policy p").ast, parsePolicy("policy q").ast)).toBe(false);
  });
});
