import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { run as bufRun } from "@bufbuild/cel";
import { parseExpression } from "../../src/syntax/parse.ts";
import { checkExpression, TypeEnv } from "../../src/cel/checker.ts";
import { T, formatType, isAssignable, listType, mapType, recordType, type CelType } from "../../src/cel/types.ts";
import { valueHasType } from "../../src/cel/stdlib.ts";
import { compileExpression, type Activation, type CompileOptions } from "../../src/cel/planner.ts";
import { CelError } from "../../src/cel/errors.ts";
import { fromJson } from "../../src/cel/json.ts";
import { CelMap, CelRecord, CelUint, celEquals, type CelResult, type CelValue } from "../../src/cel/values.ts";

const action = recordType("action.invoice.refund", [
  { name: "amount", type: T.int },
  { name: "customer", type: T.string },
  { name: "note", type: T.string, optional: true },
  { name: "tags", type: listType(T.string) },
]);
const env = new TypeEnv()
  .withVariable("action", action)
  .withVariable("x", T.int)
  .withVariable("y", T.int)
  .withVariable("m", mapType(T.string, T.int))
  .withVariable("args", T.dyn);

function act(json: Record<string, unknown> = {}): Activation {
  const a = fromJson({ amount: 1500, customer: "c-7", tags: ["vip"], ...json }, action);
  if (a instanceof CelError) throw new Error(a.message);
  const m = CelMap.from([["a", 1n]]);
  if (m instanceof CelError) throw new Error(m.message);
  return { action: a, x: 7n, y: 0n, m, args: CelMap.fromObject({ n: 3, s: "str" }) };
}

function compile(text: string, options: CompileOptions = {}, e: TypeEnv = env) {
  const p = parseExpression(text);
  if (p.expr === null) throw new Error(`parse failed: ${text}`);
  const c = checkExpression(p.expr, e);
  return compileExpression(c.checked, options);
}

function evaluate(text: string, activation: Activation = act(), options: CompileOptions = {}): CelResult {
  return compile(text, options)(activation);
}

function errorKind(r: CelResult): string | undefined {
  return r instanceof CelError ? r.kind : undefined;
}

describe("error values", () => {
  it("makes && and || commutative over errors", () => {
    expect(evaluate("false && x / y > 0")).toBe(false);
    expect(evaluate("x / y > 0 && false")).toBe(false);
    expect(evaluate("true || x / y > 0")).toBe(true);
    expect(evaluate("x / y > 0 || true")).toBe(true);
    expect(errorKind(evaluate("true && x / y > 0"))).toBe("division_by_zero");
    expect(errorKind(evaluate("x / y > 0 || false"))).toBe("division_by_zero");
  });
  it("reports operands that cannot be ordered as no_such_overload at the comparison", () => {
    const r = evaluate("args.s < 1") as CelError;
    expect([r.kind, r.message, r.span]).toEqual(["no_such_overload", "no such overload: _<_(string, int)", { start: 0, end: 10 }]);
    expect((evaluate("x >= args.s") as CelError).message).toBe("no such overload: _>=_(int, string)");
    expect(evaluate("args.n > 2.5")).toBe(true);
  });
  it("propagates errors through strict functions, the condition of ? : and !", () => {
    expect(errorKind(evaluate("x / y > 0 ? 1 : 2"))).toBe("division_by_zero");
    expect(evaluate("x > 0 ? 1 : x / y")).toBe(1n);
    expect(errorKind(evaluate("!(x / y > 0)"))).toBe("division_by_zero");
    expect(errorKind(evaluate("size([x / y])"))).toBe("division_by_zero");
  });
  it("reports overflow and division by zero", () => {
    expect(errorKind(evaluate("-(-9223372036854775808)"))).toBe("overflow");
    expect(errorKind(evaluate("9223372036854775807 + 1"))).toBe("overflow");
    expect(errorKind(evaluate("x % y"))).toBe("modulus_by_zero");
    expect(errorKind(evaluate("0u - 1u"))).toBe("overflow");
    expect(evaluate("1.0 / 0.0")).toBe(Infinity);
  });
  it("attributes run-time errors to the span of the failing sub-expression", () => {
    const r = evaluate("x > 0 && x / y > 1");
    expect(r).toBeInstanceOf(CelError);
    expect((r as CelError).span).toEqual({ start: 9, end: 14 });
  });
  it("absorbs an error inside all/exists when another element decides", () => {
    expect(evaluate("[0, 1].exists(i, 10 / i == 10)")).toBe(true);
    expect(evaluate("[0, 1].all(i, 10 / i == 5)")).toBe(false);
    expect(errorKind(evaluate("[0, 1].all(i, 10 / i == 10)"))).toBe("division_by_zero");
  });
});

describe("literal conversions", () => {
  it("folds timestamp and duration literals, keeping their errors as values", () => {
    const e = new TypeEnv().withVariable("now", T.timestamp);
    const f = compile('now - duration("24h") < timestamp("2026-01-01T00:00:00Z")', {}, e);
    const now = fromJson("2026-01-01T12:00:00Z", T.timestamp) as CelValue;
    expect(f({ now })).toBe(true);
    const g = compile('now < timestamp("2026-13-01T00:00:00Z")', {}, e);
    expect(errorKind(g({ now }))).toBe("conversion");
  });
});

describe("records and maps", () => {
  it("reads fields and tests presence of optional ones", () => {
    expect(evaluate("action.amount > 1000 && action.customer in ['c-1', 'c-7']")).toBe(true);
    expect(evaluate("has(action.note)")).toBe(false);
    expect(evaluate("has(action.note)", act({ note: "refund" }))).toBe(true);
    expect(evaluate("has(action.note) && action.note.startsWith('refund')")).toBe(false);
  });
  it("fails closed on an absent optional field", () => {
    const r = evaluate("action.note.startsWith('refund')");
    expect(errorKind(r)).toBe("no_such_field");
    expect((r as CelError).message).toBe("field `note` is not set");
  });
  it("reports a missing map key and a missing variable as errors", () => {
    expect(errorKind(evaluate("m.b == 1"))).toBe("no_such_key");
    expect(errorKind(evaluate("m['b'] == 1"))).toBe("no_such_key");
    expect(errorKind(evaluate("action.amount > 1", {}))).toBe("no_such_variable");
    expect(errorKind(evaluate("x > 1", { toString: 1n } as unknown as Activation))).toBe("no_such_variable");
  });
  it("dispatches on run-time types for dyn values", () => {
    expect(evaluate("args.n > 2")).toBe(true);
    expect(evaluate("args.s + '!'")).toBe("str!");
    expect(errorKind(evaluate("args.s > 2"))).toBe("no_such_overload");
    expect(evaluate("args.n == 3u")).toBe(true);
  });
});

describe("never throws", () => {
  it("turns activation values of the wrong type into errors", () => {
    const bad = { action: new CelRecord("action.invoice.refund", { amount: "lots", customer: 7n }), x: "seven", y: [], m: 5n, args: null } as unknown as Activation;
    for (const text of [
      "action.amount > 1000",
      "size(action.customer) > 0",
      "action.customer.startsWith('a')",
      "x + 1 > y",
      "m.a == 1",
      "args.n",
      "action.tags.exists(t, t == 'a')",
      "x * 2 > 1",
    ]) {
      const r = evaluate(text, bad);
      expect(r instanceof CelError, text).toBe(true);
      // a typed error from the operator that met the value, not an exception caught at the top
      expect(errorKind(r), `${text}: ${(r as CelError).message}`).not.toBe("internal");
    }
    // Heterogeneous equality is false, not an error: a wrongly typed value is simply not in the list.
    expect(evaluate("action.customer in ['a']", bad)).toBe(false);
  });
});

describe("cost limit", () => {
  it("stops a runaway comprehension with an error value", () => {
    const text = "[0,1,2,3,4,5,6,7,8,9].all(a, [0,1,2,3,4,5,6,7,8,9].all(b, [0,1,2,3,4,5,6,7,8,9].all(c, true)))";
    expect(evaluate(text, act(), { costLimit: 10_000 })).toBe(true);
    const r = evaluate(text, act(), { costLimit: 500 });
    expect(errorKind(r)).toBe("cost_limit");
    expect((r as CelError).message).toBe("evaluation cost limit of 500 steps exceeded");
  });
  it("is not absorbed by || or &&", () => {
    const text = "true || [0,1,2,3,4,5,6,7,8,9].map(a, [0,1,2,3,4,5,6,7,8,9].map(b, b)).size() > 0";
    expect(evaluate(text, act(), { costLimit: 5 })).toBe(true); // short-circuited: never evaluated
    const text2 = "[0,1,2,3,4,5,6,7,8,9].map(a, [0,1,2,3,4,5,6,7,8,9].map(b, b)).size() > 0 || true";
    expect(errorKind(evaluate(text2, act(), { costLimit: 50 }))).toBe("cost_limit");
  });
  it("stops two-variable comprehensions too, and counts their steps with the one-variable ones", () => {
    const ten = "[0,1,2,3,4,5,6,7,8,9]";
    const text = `${ten}.all(i, v, ${ten}.exists(j, w, false) || ${ten}.all(x, true))`;
    // 10 pairs built + 10 iterations + 10 * (10 pairs + 10 iterations + 10 iterations)
    expect(evaluate(text, act(), { costLimit: 320 })).toBe(true);
    const r = evaluate(text, act(), { costLimit: 319 });
    expect(errorKind(r)).toBe("cost_limit");
    expect((r as CelError).message).toBe("evaluation cost limit of 319 steps exceeded");
    expect(errorKind(evaluate(`${ten}.transformList(i, v, ${ten}.transformList(j, w, w))`, act(), { costLimit: 50 }))).toBe("cost_limit");
  });
  it("counts per evaluation, not per compiled expression", () => {
    const f = compile("[1, 2, 3].all(i, i > 0)", { costLimit: 3 });
    for (let k = 0; k < 5; k++) expect(f(act())).toBe(true);
  });
});

describe("regex safety", () => {
  it("matches a dynamic catastrophic pattern in linear time", () => {
    const e = new TypeEnv().withVariable("s", T.string).withVariable("p", T.string);
    const f = compile("s.matches(p)", {}, e);
    expect(f({ s: "a".repeat(50_000) + "!", p: "(a+)+$" })).toBe(false);
    expect(errorKind(f({ s: "a", p: "(" }))).toBe("invalid_argument");
  });
  it("gives a literal pattern RE2 rejects the same error as a dynamic one, at the pattern", () => {
    const e = new TypeEnv().withVariable("s", T.string).withVariable("p", T.string);
    const dynamic = compile("s.matches(p)", {}, e)({ s: "a", p: "(" }) as CelError;
    const literal = compile("s.matches('(')", {}, e)({ s: "a" }) as CelError;
    expect(literal).toBeInstanceOf(CelError);
    expect(literal.message).toBe(dynamic.message);
    expect(literal.message).toMatch(/^invalid regular expression `\(`: /);
    expect([literal.kind, literal.span]).toEqual(["invalid_argument", { start: 10, end: 13 }]);
  });
});

// --- property: agreement with @bufbuild/cel on random well-typed int/bool expressions -------------------------

const intExpr: fc.Arbitrary<string> = fc.letrec<{ int: string; bool: string }>((tie) => ({
  int: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.integer({ min: -20, max: 20 }).map((n) => (n < 0 ? `(${n})` : String(n))),
    // Not the literal -9223372036854775808: @bufbuild/cel folds `-(-(lit))` at parse time, hiding the overflow
    // that CEL (and we) report for negating it.
    fc.constantFrom("x", "y", "9223372036854775807", "(-9223372036854775807)"),
    fc.tuple(tie("int"), fc.constantFrom("+", "-", "*", "/", "%"), tie("int")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie("int").map((a) => `-(${a})`),
    fc.tuple(tie("bool"), tie("int"), tie("int")).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
  ),
  bool: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("true", "false"),
    fc.tuple(tie("int"), fc.constantFrom("<", "<=", ">", ">=", "==", "!="), tie("int")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie("bool"), fc.constantFrom("&&", "||"), tie("bool")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie("bool").map((a) => `!${a}`),
  ),
})).bool;

function sameResult(ours: CelResult, theirs: unknown): boolean {
  const theirsIsError = theirs instanceof Error || (typeof theirs === "object" && theirs !== null && "message" in theirs && !(theirs instanceof CelUint));
  if (ours instanceof CelError) return theirsIsError;
  if (theirsIsError) return false;
  return celEquals(ours, theirs as CelValue);
}

describe("agreement with @bufbuild/cel", () => {
  test.prop([intExpr, fc.bigInt({ min: -50n, max: 50n }), fc.bigInt({ min: -50n, max: 50n })], { numRuns: 150 })(
    "random int/bool expressions evaluate alike",
    (text, x, y) => {
      const ours = compile(text)({ x, y });
      const theirs = bufRun(text, { x, y });
      expect(sameResult(ours, theirs), `${text} with x=${x}, y=${y}: ours=${String(ours)} theirs=${String(theirs)}`).toBe(true);
    },
  );
});

// --- property: well-typed expressions fail only with CEL's defined errors, and values have their static type ---

type Typed = { int: string; double: string; string: string; bool: string; listInt: string; mapStrInt: string };

const typedExpr = fc.letrec<Typed>((tie) => {
  const bin = (a: fc.Arbitrary<string>, ops: string[], b: fc.Arbitrary<string>) =>
    fc.tuple(a, fc.constantFrom(...ops), b).map(([l, op, r]) => `(${l} ${op} ${r})`);
  const opts = { depthSize: "small", withCrossShrink: true } as const;
  return {
    int: fc.oneof(
      opts,
      fc.integer({ min: -9, max: 9 }).map((n) => `(${n})`),
      fc.constantFrom("x", "y", "9223372036854775807"),
      bin(tie("int"), ["+", "-", "*", "/", "%"], tie("int")),
      tie("string").map((a) => `size(${a})`),
      tie("listInt").map((a) => `size(${a})`),
      fc.tuple(tie("listInt"), tie("int")).map(([l, i]) => `${l}[${i}]`),
      fc.tuple(tie("mapStrInt"), tie("string")).map(([m, k]) => `${m}[${k}]`),
      tie("double").map((d) => `int(${d})`),
      tie("string").map((d) => `int(${d})`),
      fc.tuple(tie("bool"), tie("int"), tie("int")).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    ),
    double: fc.oneof(
      opts,
      fc.constantFrom("0.5", "(-2.25)", "1e300", "0.0"),
      tie("int").map((a) => `double(${a})`),
      bin(tie("double"), ["+", "-", "*", "/"], tie("double")),
    ),
    string: fc.oneof(
      opts,
      fc.constantFrom("''", "'a'", "'bc'", "'\u00e9'", "'12'", "s"),
      bin(tie("string"), ["+"], tie("string")),
      tie("int").map((a) => `string(${a})`),
      tie("double").map((a) => `string(${a})`),
    ),
    bool: fc.oneof(
      opts,
      fc.constantFrom("true", "false"),
      bin(tie("int"), ["<", "<=", ">", ">=", "==", "!="], tie("int")),
      bin(tie("string"), ["<", "==", "!="], tie("string")),
      bin(tie("double"), ["<", ">="], tie("double")),
      bin(tie("bool"), ["&&", "||", "=="], tie("bool")),
      tie("bool").map((a) => `!${a}`),
      fc.tuple(tie("string"), fc.constantFrom("startsWith", "endsWith", "contains", "matches"), tie("string")).map(
        ([a, m, b]) => `${a}.${m}(${b})`,
      ),
      bin(tie("int"), ["in"], tie("listInt")),
      bin(tie("string"), ["in"], tie("mapStrInt")),
      fc.tuple(tie("listInt"), fc.constantFrom("all", "exists", "exists_one"), tie("int")).map(
        ([l, m, i]) => `${l}.${m}(v, v > ${i})`,
      ),
      tie("mapStrInt").map((m) => `${m}.exists(k, k.startsWith('a'))`),
    ),
    listInt: fc.oneof(
      opts,
      fc.constantFrom("[]", "[1, 2, 3]", "l"),
      fc.tuple(tie("int"), tie("int")).map(([a, b]) => `[${a}, ${b}]`),
      bin(tie("listInt"), ["+"], tie("listInt")),
      fc.tuple(tie("listInt"), tie("int")).map(([l, i]) => `${l}.map(v, v * ${i})`),
      fc.tuple(tie("listInt"), tie("int")).map(([l, i]) => `${l}.filter(v, v % 2 == ${i})`),
      tie("mapStrInt").map((m) => `${m}.map(k, size(k))`),
    ),
    mapStrInt: fc.oneof(
      opts,
      fc.constantFrom("{}", "{'a': 1}", "m"),
      fc.tuple(tie("string"), tie("int"), tie("string"), tie("int")).map(([k1, v1, k2, v2]) => `{${k1}: ${v1}, ${k2}: ${v2}}`),
    ),
  };
});

const soundEnv = new TypeEnv()
  .withVariable("x", T.int)
  .withVariable("y", T.int)
  .withVariable("s", T.string)
  .withVariable("l", listType(T.int))
  .withVariable("m", mapType(T.string, T.int));
const soundActivation: Activation = {
  x: 3n,
  y: 0n,
  s: "ab",
  l: [1n, 5n],
  m: CelMap.fromObject({ a: 1n, b: 2n }),
};

/** valueHasType, also checking list elements and map entries. */
function deepHasType(v: CelValue, t: CelType): boolean {
  if (!valueHasType(v, t)) return false;
  if (t.kind === "list") return (v as readonly CelValue[]).every((x) => deepHasType(x, t.elem));
  if (t.kind === "map") return [...(v as CelMap).entries()].every(([k, x]) => deepHasType(k, t.key) && deepHasType(x, t.value));
  return true;
}

describe("soundness", () => {
  test.prop(
    [
      fc.oneof(
        typedExpr.int.map((t) => [t, T.int] as const),
        typedExpr.double.map((t) => [t, T.double] as const),
        typedExpr.string.map((t) => [t, T.string] as const),
        typedExpr.bool.map((t) => [t, T.bool] as const),
        typedExpr.listInt.map((t) => [t, listType(T.int)] as const),
        typedExpr.mapStrInt.map((t) => [t, mapType(T.string, T.int)] as const),
      ),
    ],
    { numRuns: 200 },
  )("a well-typed expression yields a value of its type or a defined error", ([text, type]) => {
    const p = parseExpression(text);
    expect(p.expr, text).not.toBeNull();
    const c = checkExpression(p.expr!, soundEnv);
    expect(c.diagnostics.filter((d) => d.severity === "error"), text).toEqual([]);
    // The checker may be less precise (`[][0]` is dyn) but never disagree.
    expect(isAssignable(type, c.type, new Map()), `${text}: ${formatType(c.type)}`).toBe(true);
    const r = compileExpression(c.checked)(soundActivation);
    if (r instanceof CelError) expect(r.kind, `${text}: ${r.message}`).not.toBe("internal");
    else expect(deepHasType(r, type) && valueHasType(r, c.type), `${text} gave ${String(r)}`).toBe(true);
  });
});
