import { describe, expect, it } from "vitest";
import { block, runWith } from "./helpers.ts";
import type { CoverageItem } from "../../src/testing/index.ts";

const EU = `  context { region: "eu" }`;

function items(list: readonly CoverageItem[] | undefined, owner: string): [string, string, string, boolean][] {
  return (list ?? []).filter((i) => i.owner === owner).map((i) => [i.kind, i.text, i.branch, i.covered]);
}

describe("coverage", () => {
  it("rules applied, each condition's true and false (else), each && operand, each escalation", async () => {
    const tests =
      block("small", `${EU}\n  action payment.send { amount: 10, currency: "EUR" }\n  expect allow`) +
      block("large", `${EU}\n  action payment.send { amount: 5000, currency: "EUR" }\n  expect require approval`);
    const run = await runWith(tests, { coverage: true });
    const cov = run.coverage!;
    expect(items(cov.items, "small_payments")).toEqual([
      ["rule", "small_payments", "applied", true],
      ["condition", "action.amount <= 1000 && counter.sends < 10", "true", true],
      ["condition", "action.amount <= 1000 && counter.sends < 10", "else", true],
      ["operand", "action.amount <= 1000", "true", true],
      ["operand", "action.amount <= 1000", "false", true],
      // `amount <= 1000` false: the second operand is never evaluated in the large test
      ["operand", "counter.sends < 10", "true", true],
      ["operand", "counter.sends < 10", "false", false],
    ]);
    expect(items(cov.items, "eu_only")).toEqual([
      ["rule", "eu_only", "applied", true],
      ["condition", 'context.region != "eu"', "true", false],
      ["condition", 'context.region != "eu"', "false", true],
    ]);
    expect(items(cov.items, "critical_payments")).toEqual([["rule", "critical_payments", "applied", false]]);
    expect(items(cov.items, "escalate to T3")).toEqual([
      ["escalation", "action.amount > 100000", "true", false],
      ["escalation", "action.amount > 100000", "false", true],
    ]);
    expect(cov.files).toEqual([
      { file: "p.test.xpol", covered: 0, total: 0 },
      { file: "p.xpol", covered: cov.covered, total: cov.total },
    ]);
    expect(cov.percent).toBeCloseTo((100 * cov.covered) / cov.total);
    expect(cov.covered).toBeLessThan(cov.total);
  });

  it("full coverage when the tests exercise every branch", async () => {
    const send = (amount: number, region: string, steps = "") => `  context { region: "${region}" }\n  action payment.send { amount: ${amount}, currency: "EUR" }\n${steps}  expect not allow`;
    const tests =
      block("a", send(10, "eu").replace("expect not allow", "expect allow")) +
      block("b", send(5000, "eu")) +
      block("c", send(10, "eu", "  counter sends = 10\n")) +
      block("d", send(10, "us")) +
      block("e", send(200000, "eu")) +
      block("f", `  action payment.refund { amount: 1 }\n  expect allow`) +
      block("g", `  action payment.refund { amount: 1000 }\n  expect deny`) +
      block("h", `  action payment.refund { amount: 1 }\n  at "2026-01-15T07:00:00Z"\n  expect deny`) +
      block("i", `  action payment.refund { amount: 1 }\n  at "2026-01-15T18:00:00Z"\n  expect deny`);
    const run = await runWith(tests, { coverage: true });
    expect(run.results.every((r) => r.status === "passed")).toBe(true);
    const missing = run.coverage!.items.filter((i) => !i.covered);
    expect(missing).toEqual([]);
    expect(run.coverage!.percent).toBe(100);
  });

  it("a failing or skipped test still counts only what ran", async () => {
    const run = await runWith(block("skip me", `  action payment.refund { amount: 1 }\n  expect allow`), { coverage: true, filter: "nothing" });
    expect(run.coverage!.covered).toBe(0);
  });
});
