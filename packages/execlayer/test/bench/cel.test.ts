// The CEL benchmark's cases: each parses, checks and compiles in our engine and plans in @bufbuild/cel, both
// engines give the same result on the case's inputs (the check the benchmark makes before timing), and the
// harness's headline case is among them.
import { describe, expect, it } from "vitest";
import { celBenchCases, celExtensionBenchCases, formatBench, prepareCase, type BenchRow } from "../../bench/cel.ts";
import { CelError } from "../../src/cel/errors.ts";

describe("the CEL bench cases", () => {
  it("are the eight BENCHMARKS.md describes, the refund condition the harness judges its target on among them", () => {
    const names = celBenchCases.map((c) => c.name);
    expect(names).toHaveLength(8);
    expect(names).toContain("refund condition (brief)");
    expect(new Set(names).size).toBe(names.length);
  });

  it("include the strings extension's functions, which @bufbuild/cel also has", () => {
    const exprs = celExtensionBenchCases.map((c) => c.expr).join(" ");
    for (const fn of ["split", "lowerAscii", "upperAscii", "indexOf", "substring", "replace", "trim", "join", "format", "strings.quote"])
      expect(exprs).toContain(`${fn}(`);
  });

  for (const c of [...celBenchCases, ...celExtensionBenchCases]) {
    it(`${c.name}: both engines agree, on a value that is not an error`, () => {
      const p = prepareCase(c);
      const ours = p.ours();
      expect(ours).not.toBeInstanceOf(CelError);
      expect(ours).toEqual(p.bufbuild());
    });
  }

  it("refuses a case whose engines disagree", () => {
    const [first] = celBenchCases;
    // the same inputs, but @bufbuild/cel sees a different customer list
    const broken = {
      ...first!,
      expr: "size(context.assigned_customers) == 8",
      buf: { ...first!.buf, context: { ...first!.buf["context"]!, value: new Map([["assigned_customers", ["c-1"]]]) } },
    };
    expect(() => prepareCase(broken)).toThrow(/engines disagree/);
  });
});

describe("formatBench", () => {
  it("prints each case's medians and speedup", () => {
    const s = (median: number) => ({ median, min: median, max: median, runs: 5 });
    const row: BenchRow = { name: "x", ours: s(12.34), bufbuild: s(100), speedups: s(8.1) };
    const [, line] = formatBench([row]).split("\n");
    expect(line).toMatch(/^x +12\.3 +100\.0 +8\.1x$/);
  });
});
