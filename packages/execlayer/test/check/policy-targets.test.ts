// Rule-target globs: matched without regexes, in linear time, with the semantics the regex implementation had.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileGlob } from "../../src/check/policy-targets.ts";

/** The implementation globs had before: `*` as `.*` in an anchored regex (backtracking; exponential in the `*`s). */
function oldGlobToRegExp(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

// Small alphabets so that matches are frequent; regex metacharacters included to show they stay literal.
const nameChar = fc.constantFrom("a", "b", ".", "_", "?", "+", "(", "\\", "$");
const name = fc.string({ unit: nameChar, maxLength: 12 });
const pattern = fc.string({ unit: fc.constantFrom("a", "b", ".", "*", "*", "?", "(", "$"), maxLength: 10 });

describe("rule target globs", () => {
  it("match exactly what the old regex matched", () => {
    fc.assert(
      fc.property(pattern, name, (p, n) => {
        expect(compileGlob(p).test(n)).toBe(oldGlobToRegExp(p).test(n));
      }),
      { numRuns: 20_000 },
    );
  });

  it("match names built from the glob itself (the positive cases)", () => {
    fc.assert(
      fc.property(pattern, fc.array(name, { minLength: 12, maxLength: 12 }), (p, fills) => {
        const n = p.split("*").reduce((acc, part, k) => (k === 0 ? part : acc + fills[k]! + part), "");
        expect(compileGlob(p).test(n)).toBe(true);
        expect(oldGlobToRegExp(p).test(n)).toBe(true);
      }),
    );
  });

  it("keep the documented examples", () => {
    const g = compileGlob("invoice.*");
    expect(g.test("invoice.read")).toBe(true);
    expect(g.test("invoice.line.add")).toBe(true);
    expect(g.test("invoice.")).toBe(true);
    expect(g.test("invoice")).toBe(false);
    expect(g.test("invoices.read")).toBe(false);
    expect(compileGlob("*").test("")).toBe(true);
    expect(compileGlob("*").test("anything.at.all")).toBe(true);
    expect(compileGlob("a*b*a").test("aba")).toBe(true);
    expect(compileGlob("a*a").test("a")).toBe(false);
  });

  it("take linear work on the inputs that were exponential: many `*`s, long segments", () => {
    // `*.*.*.*.*.*.*.*.*.b` against 40 segments took 19.9 s with the regex; a 33,000-character segment threw.
    const many = compileGlob("*.".repeat(9) + "b");
    const forty = Array.from({ length: 40 }, (_, k) => `s${k}`).join(".");
    expect(many.test(forty)).toBe(false);
    expect(many.test(forty + ".b")).toBe(true);
    const long = "x".repeat(33_000);
    expect(compileGlob(`${long}.*`).test(`${long}.read`)).toBe(true);
    expect(compileGlob("*." + "*.".repeat(200) + "z").test("a.".repeat(5_000) + "y")).toBe(false);
    // Work counted by the characters the searches may visit: each middle part is searched from where the last
    // match ended, so no character is scanned twice per part boundary; a 4x longer name takes at most ~4x the time.
    const work = (n: number): number => {
      const nm = "a.".repeat(n) + "y";
      const g = compileGlob("*.*.*.*.*.*.*.*.*.*.*.*.z");
      const t0 = process.cpuUsage();
      for (let k = 0; k < 200; k++) g.test(nm);
      const t = process.cpuUsage(t0);
      return t.user + t.system + 1;
    };
    // the fastest of three runs each: a garbage collection of the heap the earlier test files left in this worker
    // (isolate: false) lands in one run, not in all three, and CPU time counts the collector's threads too
    const fastest = (n: number): number => Math.min(work(n), work(n), work(n));
    work(10_000);
    const small = fastest(10_000);
    const large = fastest(40_000);
    expect(large / small).toBeLessThan(16);
  });
});
