// Bounded cost for every input: every operation whose work grows with its operands is charged that work, so an
// evaluation over any admitted input either finishes within the cost limit or stops with `cost_limit`. The tests
// count the steps charged (the smallest limit an evaluation passes), not time.
import { describe, expect, it } from "vitest";
import { parseExpression } from "../../src/syntax/parse.ts";
import { checkExpression, TypeEnv } from "../../src/cel/checker.ts";
import { T, listType, mapType } from "../../src/cel/types.ts";
import { compileExpression, DEFAULT_COST_LIMIT, type Activation } from "../../src/cel/planner.ts";
import { CelError } from "../../src/cel/errors.ts";
import { CelMap, type CelResult, type CelValue } from "../../src/cel/values.ts";

const env = new TypeEnv()
  .withVariable("s", T.string)
  .withVariable("p", T.string)
  .withVariable("xs", listType(T.string))
  .withVariable("ys", listType(T.string))
  .withVariable("ns", listType(T.int))
  .withVariable("ll", listType(listType(T.int)))
  .withVariable("ll2", listType(listType(T.int)))
  .withVariable("m", mapType(T.string, T.int))
  .withVariable("d", T.dyn);

function compile(text: string, costLimit = DEFAULT_COST_LIMIT) {
  const parsed = parseExpression(text);
  if (parsed.expr === null) throw new Error(`parse failed: ${text}`);
  const c = checkExpression(parsed.expr, env);
  if (c.diagnostics.some((d) => d.severity === "error")) throw new Error(`${text}: ${c.diagnostics[0]!.message}`);
  return (a: Activation) => compileExpression(c.checked, { costLimit })(a);
}

const isCost = (r: CelResult): boolean => r instanceof CelError && r.kind === "cost_limit";

/** The steps an evaluation is charged: the smallest cost limit it passes (binary search; it must pass at 2^31). */
function steps(text: string, a: Activation): number {
  if (isCost(compile(text, 2 ** 31)(a))) throw new Error(`${text} does not finish`);
  let lo = 0;
  let hi = 2 ** 31;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (isCost(compile(text, mid)(a))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const strings = (n: number, prefix = "item-"): string[] => Array.from({ length: n }, (_, k) => `${prefix}${k}`);
const ints = (n: number): bigint[] => Array.from({ length: n }, (_, k) => BigInt(k));
const map = (n: number): CelMap => CelMap.fromObject(Object.fromEntries(strings(n).map((k, i) => [k, BigInt(i)])));
const base = (over: Record<string, CelValue> = {}): Activation => ({
  s: "",
  p: "",
  xs: [],
  ys: [],
  ns: [],
  ll: [],
  ll2: [],
  m: CelMap.EMPTY,
  d: null,
  ...over,
});

describe("the cost of one operation grows with its operands, not more", () => {
  const cases: [string, (n: number) => Activation][] = [
    ["'nope' in xs", (n) => base({ xs: strings(n) })],
    ["s.contains('zz')", (n) => base({ s: "a".repeat(n * 8) })],
    ["s.contains(p)", (n) => base({ s: "a".repeat(n * 8), p: "ab" })],
    ["s.startsWith(p)", (n) => base({ s: "a".repeat(n * 8), p: "a".repeat(n * 8) })],
    ["s.endsWith(p)", (n) => base({ s: "a".repeat(n * 8), p: "a".repeat(n * 8) })],
    ["s.matches('[a-z]+[0-9]')", (n) => base({ s: "a".repeat(n * 8) })],
    ["s.matches(p)", (n) => base({ s: "a".repeat(n * 8), p: "b" })],
    ["size(s) > 0", (n) => base({ s: "a".repeat(n * 8) })],
    ["s == p", (n) => base({ s: "a".repeat(n * 8), p: "a".repeat(n * 8 - 1) + "b" })],
    ["s < p", (n) => base({ s: "a".repeat(n * 8), p: "a".repeat(n * 8) })],
    ["size(s + p) > 0", (n) => base({ s: "a".repeat(n * 4), p: "b".repeat(n * 4) })],
    ["size(xs + ys) > 0", (n) => base({ xs: strings(n / 2), ys: strings(n / 2) })],
    ["xs == ys", (n) => base({ xs: strings(n), ys: strings(n) })],
    ["ll == ll2", (n) => base({ ll: [ints(n / 2)], ll2: [ints(n / 2)] })],
    ["[1] in ll", (n) => base({ ll: Array.from({ length: n / 4 }, () => [0n, 0n, 0n]) })],
    ["bytes(s) == bytes(p)", (n) => base({ s: "a".repeat(n * 8), p: "a".repeat(n * 8) })],
    ["int(s) > 0", (n) => base({ s: "1".repeat(n * 8) })],
    ["m.exists(k, true)", (n) => base({ m: map(n) })],
    ["xs.exists(i, v, true)", (n) => base({ xs: strings(n) })],
    ["d == d", (n) => base({ d: strings(n) })],
    ["'x' in d", (n) => base({ d: strings(n) })],
    // the extension libraries
    ["s.lowerAscii() != p", (n) => base({ s: "A".repeat(n * 8) })],
    ["s.trim() != p", (n) => base({ s: " a".repeat(n * 4) })],
    ["s.reverse() != p", (n) => base({ s: "ab".repeat(n * 4) })],
    ["s.indexOf('zz') >= -1", (n) => base({ s: "a".repeat(n * 8) })],
    ["s.charAt(1) != p", (n) => base({ s: "a".repeat(n * 8) })],
    ["size(s.split(',')) > 0", (n) => base({ s: "abcdefg,".repeat(n) })],
    ["s.replace('a', 'bb') != p", (n) => base({ s: "a".repeat(n * 8) })],
    ["xs.join(',') != p", (n) => base({ xs: strings(n) })],
    ["'%s'.format([xs]) != p", (n) => base({ xs: strings(n / 2) })],
    ["size(xs.distinct()) > 0", (n) => base({ xs: strings(n) })],
    ["size(ll.flatten()) > 0", (n) => base({ ll: Array.from({ length: n / 4 }, () => [0n, 0n]) })],
    ["size(xs.reverse()) > 0", (n) => base({ xs: strings(n) })],
    ["size(lists.range(size(s))) > 0", (n) => base({ s: "a".repeat(n) })],
    ["base64.encode(bytes(s)) != p", (n) => base({ s: "a".repeat(n * 4) })],
    ["s.find('[0-9]+') != p", (n) => base({ s: "a".repeat(n * 8) })],
    ["size(s.findAll(p)) >= 0", (n) => base({ s: "a".repeat(n * 8), p: "b" })],
    ["url(s).getHost() != p", (n) => base({ s: "https://example.com/" + "a".repeat(n * 8) })],
  ];
  for (const [text, input] of cases) {
    it(`${text}: about n steps at size n, 4n at 4n`, () => {
      const small = steps(text, input(4_000));
      const large = steps(text, input(16_000));
      expect(small, text).toBeGreaterThanOrEqual(1_000);
      expect(large / small, text).toBeGreaterThan(3);
      expect(large / small, text).toBeLessThan(5);
    });
  }

  it("keeps small operands free: a short comparison or membership adds nothing to a comprehension's steps", () => {
    expect(steps("xs.all(x, x == 'item-1' || x.startsWith('it') || x in ['a', 'b'])", base({ xs: strings(100) }))).toBe(100);
    expect(steps("ns.all(n, n >= 0 && n + 1 > n)", base({ ns: ints(100) }))).toBe(100);
  });
});

describe("the extension calls whose result outgrows their input are stopped before they build it", () => {
  it("`s.replace('', p)` with both long (the result would be |s| x |p|)", () => {
    expect(isCost(compile("s.replace('', p) != ''")(base({ s: "a".repeat(10_000), p: "b".repeat(10_000) })))).toBe(true);
  });
  it("`lists.range(n)` of a huge n", () => {
    expect(isCost(compile("size(lists.range(int(s))) > 0")(base({ s: "1000000000" })))).toBe(true);
  });
  it("`'%s'.format([xs])` repeated over a large list", () => {
    expect(isCost(compile("ns.all(n, '%s'.format([xs]) != '')")(base({ ns: ints(1_000), xs: strings(10_000) })))).toBe(true);
  });
});

describe("the inputs that ran for seconds are denied by the cost limit", () => {
  it("`x in list` over 100,000 items for each of 20,000 context entries (4.75 s before)", () => {
    const r = compile("xs.exists(x, x in ys)")(base({ xs: strings(20_000, "c-"), ys: strings(100_000) }));
    expect(isCost(r)).toBe(true);
  });
  it("equality of two large equal lists, repeated", () => {
    const big = strings(50_000);
    const r = compile("ns.all(n, xs == ys)")(base({ ns: ints(1_000), xs: big, ys: [...big] }));
    expect(isCost(r)).toBe(true);
  });
  it("a regex over a 1 MB string, repeated", () => {
    const r = compile("ns.all(n, s.matches('(foo|bar|baz|qux)[0-9]+x') == false)")(base({ ns: ints(1_000), s: "ab1".repeat(340_000) }));
    expect(isCost(r)).toBe(true);
  });
  it("a large dynamic pattern, compiled per evaluation", () => {
    expect(isCost(compile("s.matches(p)")(base({ s: "a", p: "[a-c]".repeat(10_000) })))).toBe(true);
  });
  it("the cost error names the limit in steps", () => {
    const r = compile("'nope' in xs", 10)(base({ xs: strings(11) })) as CelError;
    expect(r.message).toBe("evaluation cost limit of 10 steps exceeded");
    expect(compile("'nope' in xs", 11)(base({ xs: strings(11) }))).toBe(false);
  });
});
