// Checker diagnostics, golden-style: every case is rendered (message, help, span) into one pinned file, and the
// structured fields (code, span) are asserted directly for the important ones.
import { describe, expect, it } from "vitest";
import { parseExpression } from "../../src/syntax/parse.ts";
import { checkExpression, TypeEnv } from "../../src/cel/checker.ts";
import { T, formatType, listType, mapType, recordType, type CelType } from "../../src/cel/types.ts";
import { renderDiagnostic, SourceFile } from "../../src/diagnostics/index.ts";
import type { Expr } from "../../src/syntax/ast.ts";

const action = recordType("action.invoice.refund", [
  { name: "type", type: T.string },
  { name: "amount", type: T.int },
  { name: "customer", type: T.string },
  { name: "note", type: T.string, optional: true },
  { name: "labels", type: mapType(T.string, T.string) },
]);
const context = recordType("context", [{ name: "assigned_customers", type: listType(T.string) }]);
const env = new TypeEnv()
  .withVariable("action", action)
  .withVariable("context", context)
  .withVariable("now", T.timestamp)
  .withVariable("args", T.dyn);

function parse(text: string): Expr {
  const p = parseExpression(text, "cond.xpol");
  if (p.expr === null) throw new Error(`parse failed: ${text}`);
  return p.expr;
}

function check(text: string, e: TypeEnv = env) {
  return checkExpression(parse(text), e, { file: "cond.xpol" });
}

function typeOfText(text: string): string {
  const r = check(text);
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
  return formatType(r.type);
}

const GOLDEN_CASES = [
  "action.amont > 1000",
  "acton.amount > 1000",
  'action.amount > "1000"',
  "action.amount == 1.0",
  "1 + 1u",
  'action.customer.startWith("refund")',
  "siz(action.customer)",
  'action.customer.matches("(unclosed")',
  "action.amount.currency",
  "has(action.notes)",
  "[1, 2].all(x, x)",
  "5.exists(x, x > 1)",
  'true ? 1 : "one"',
  "action.amount && true",
  "{1.5: 'a'}",
  "context.assigned_customers.exists(c, c == action.custmer)",
  "action.customer.size(1)",
  "startsWith(action.customer, 'a')",
  'now > timestamp("2024-13-01T00:00:00Z") && now - duration("1y") < now',
  'now > timestamp("2024-05-19 12:00")',
  'now - duration("14 days") < now',
  "action.customer.lowerAsci() == 'c-1'",
  "math.greatest(action.customer, 1)",
];

describe("checker diagnostics (golden)", () => {
  it("renders every case as pinned", async () => {
    const out: string[] = [];
    for (const text of GOLDEN_CASES) {
      const r = check(text);
      const src = new SourceFile("cond.xpol", text);
      out.push(`>>> ${text}`);
      out.push(...r.diagnostics.map((d) => renderDiagnostic(d, src)));
      out.push("");
    }
    await expect(out.join("\n")).toMatchFileSnapshot("golden/expr-diagnostics.txt");
  });

  it("points at the misspelled field and suggests the declared one", () => {
    const r = check("action.amont > 1000");
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d).toMatchObject({ code: "XP2004", severity: "error", file: "cond.xpol", span: { start: 7, end: 12 } });
    expect(d.message).toBe("`action.invoice.refund` has no field `amont`");
    expect(d.help).toBe("did you mean `amount`?");
  });

  it("points at the unknown identifier and suggests a declared variable", () => {
    const d = check("acton.amount > 1000").diagnostics;
    expect(d.map((x) => [x.code, x.span.start, x.span.end, x.help])).toEqual([["XP2001", 0, 5, "did you mean `action`?"]]);
  });

  it("points at the function name of an unknown method", () => {
    const d = check('action.customer.startWith("refund")').diagnostics;
    expect(d.map((x) => [x.code, x.span.start, x.span.end, x.help])).toEqual([
      ["XP2002", 16, 25, "did you mean `startsWith`?"],
    ]);
  });

  it("reports a literal regex RE2 rejects at the pattern", () => {
    const d = check('action.customer.matches("(a+)\\\\1")').diagnostics;
    expect(d.map((x) => x.code)).toEqual(["XP2006"]);
    expect(d[0]!.span.start).toBe(24);
  });

  it("reports one error, not a cascade, for one mistake", () => {
    expect(check("acton.amount > 1000 && acton.customer == 'x'").diagnostics.map((d) => d.code)).toEqual([
      "XP2001",
      "XP2001",
    ]);
    expect(check("(action.amont + 1) * 2 > 3").diagnostics.map((d) => d.code)).toEqual(["XP2004"]);
  });

  it("warns about literal conversions that always fail, without making the expression invalid", () => {
    const r = check('now < timestamp("2024-02-30T00:00:00Z")');
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([["XP2011", "warning"]]);
    expect(r.checked.ok).toBe(true);
  });

  it("checks the expected type of a condition", () => {
    const r = checkExpression(parse("action.amount + 1"), env, { expectedType: T.bool, expectedWhat: "a rule condition" });
    expect(r.diagnostics.map((d) => d.message)).toEqual(["a rule condition must be `bool`, found `int`"]);
    expect(checkExpression(parse("args.ok"), env, { expectedType: T.bool }).diagnostics).toEqual([]);
  });
});

describe("checker types", () => {
  it("types fields, calls and operators", () => {
    expect(typeOfText("action.amount * 2 + 1")).toBe("int");
    expect(typeOfText("action.labels")).toBe("map(string, string)");
    expect(typeOfText("action.labels.team")).toBe("string");
    expect(typeOfText("action.labels['team']")).toBe("string");
    expect(typeOfText("size(context.assigned_customers)")).toBe("int");
    expect(typeOfText("now - duration('1h')")).toBe("google.protobuf.Timestamp");
    expect(typeOfText("now.getHours('Europe/Berlin')")).toBe("int");
    expect(typeOfText("type(action.amount)")).toBe("type(int)");
    expect(typeOfText("has(action.note)")).toBe("bool");
  });
  it("types macros", () => {
    expect(typeOfText("context.assigned_customers.map(c, size(c))")).toBe("list(int)");
    expect(typeOfText("context.assigned_customers.filter(c, c.startsWith('a'))")).toBe("list(string)");
    expect(typeOfText("action.labels.filter(k, k != 'x')")).toBe("list(string)");
    expect(typeOfText("context.assigned_customers.exists_one(c, c == 'a')")).toBe("bool");
    expect(typeOfText("context.assigned_customers.transformList(i, c, i)")).toBe("list(int)");
    expect(typeOfText("action.labels.transformMap(k, v, size(v))")).toBe("map(string, int)");
  });
  it("is gradual: dyn flows into any overload and lists of mixed types are list(dyn)", () => {
    expect(typeOfText("args.amount > 1000")).toBe("bool");
    expect(typeOfText("args.items.exists(i, i.price > 10.0)")).toBe("bool");
    expect(typeOfText("[1, 'a']")).toBe("list(dyn)");
    expect(typeOfText("dyn(action.amount) == 1.0")).toBe("bool");
    expect(typeOfText("[1, 2] + [dyn(3)]")).toBe("list(dyn)");
  });
  it("resolves qualified names to the longest declared prefix", () => {
    const e = new TypeEnv().withVariable("a.b.c", T.string).withVariable("a.b", mapType(T.string, T.int));
    expect(formatType(checkExpression(parse("a.b.c"), e).type)).toBe("string");
    expect(formatType(checkExpression(parse("a.b.d"), e).type)).toBe("int");
  });
  it("lets a comprehension variable shadow a declared variable", () => {
    expect(typeOfText("context.assigned_customers.all(action, action.startsWith('c'))")).toBe("bool");
  });
  it("takes extra functions from the environment", () => {
    const withFn = env.withFunction({
      name: "isWeekend",
      overloads: [{ id: "is_weekend_timestamp", receiver: false, params: [T.timestamp], result: T.bool, impl: () => false }],
    });
    const r = checkExpression(parse("isWeekend(now)"), withFn);
    expect(r.diagnostics).toEqual([]);
    expect(formatType(r.type)).toBe("bool");
    expect(check("isWeekend(now)").diagnostics.map((d) => d.code)).toEqual(["XP2002"]);
  });
  it("never throws, whatever the types", () => {
    const types: CelType[] = [T.int, T.string, listType(T.dyn), mapType(T.int, T.bool), action, T.null];
    for (const t of types) {
      const e = new TypeEnv().withVariable("x", t);
      for (const text of ["x.y", "x[0]", "x + x", "x.all(v, v)", "has(x.y)", "x()", "size(x)", "-x", "!x"]) {
        expect(() => checkExpression(parse(text), e)).not.toThrow();
      }
    }
  });
});
