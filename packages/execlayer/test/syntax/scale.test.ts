// Parsing (valid and broken input) and formatting grow linearly with the input: CPU time at 4x the input stays
// under 10x (a generous bound for linear on a loaded machine, where a larger heap also means more GC; quadratic would be 16x). Not timed tests: only ratios are compared.
import { describe, expect, it } from "vitest";
import { generatePolicy } from "../../bench/gen-policy.ts";
import { parsePolicy } from "../../src/syntax/parse.ts";
import { formatPolicy } from "../../src/format/format.ts";

/** A broken policy: stray `) ] = ,` on every eleventh line, so error recovery runs all through the file. */
function brokenPolicy(rules: number): string {
  return generatePolicy(rules).text.replace(/\n/g, (m, off: number) => (off % 11 === 0 ? "\n ) ] = , " : m));
}

/** CPU time of f, the best of three after a warm-up (other work on the machine only adds time). */
function cpu(f: () => void): number {
  f();
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = process.cpuUsage();
    f();
    const t = process.cpuUsage(t0);
    best = Math.min(best, t.user + t.system + 1);
  }
  return best;
}

describe("front-end work grows linearly with the input", () => {
  it("parsing broken input: error recovery's scanning is bounded by the input", () => {
    const small = brokenPolicy(250);
    const large = brokenPolicy(1_000);
    expect(parsePolicy(large, "big.xpol").diagnostics.length).toBeGreaterThan(0);
    expect(cpu(() => parsePolicy(large, "big.xpol")) / cpu(() => parsePolicy(small, "small.xpol"))).toBeLessThan(10);
  });
  it("parsing valid input", () => {
    const small = generatePolicy(250).text;
    const large = generatePolicy(1_000).text;
    expect(cpu(() => parsePolicy(large, "big.xpol")) / cpu(() => parsePolicy(small, "small.xpol"))).toBeLessThan(10);
  });
  it("formatting", () => {
    const small = generatePolicy(250).text;
    const large = generatePolicy(1_000).text;
    expect(cpu(() => formatPolicy(large, "big.xpol")) / cpu(() => formatPolicy(small, "small.xpol"))).toBeLessThan(10);
  });
});
