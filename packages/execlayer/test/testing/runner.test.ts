import { describe, expect, it } from "vitest";
import { block, compileWith, runWith } from "./helpers.ts";

const EU = `  context { region: "eu" }`;

async function one(steps: string) {
  const run = await runWith(block("t", steps));
  expect(run.diagnostics).toEqual([]);
  expect(run.results).toHaveLength(1);
  return run.results[0]!;
}

describe("expectations", () => {
  it("allow, deny with a reason, require approval, not allow", async () => {
    expect((await one(`${EU}\n  action payment.send { amount: 10, currency: "EUR" }\n  expect allow`)).status).toBe("passed");
    expect((await one(`  context { region: "us" }\n  action payment.send { amount: 10, currency: "EUR" }\n  expect deny "EU entity"`)).status).toBe("passed");
    expect((await one(`${EU}\n  action payment.send { amount: 5000, currency: "EUR" }\n  expect require approval 1 of treasury`)).status).toBe("passed");
    expect((await one(`${EU}\n  action payment.send { amount: 5000, currency: "EUR" }\n  expect require approval`)).status).toBe("passed");
    expect((await one(`${EU}\n  action payment.send { amount: 5000, currency: "EUR" }\n  expect not allow`)).status).toBe("passed");
  });

  it("a failure names the expected and actual decision and the contributing rules", async () => {
    const r = await one(`${EU}\n  action payment.send { amount: 5000, currency: "EUR" }\n  expect allow`);
    expect(r.status).toBe("failed");
    expect(r.code).toBe("XP7001");
    expect(r.expected).toBe("allow");
    expect(r.actual).toBe("require approval 1 of treasury within 4h (T1)");
    expect(r.details[0]).toBe("rules:    small_payments (else): require_approval");
    expect(r.message).toBe("test `t` expected allow, got require approval 1 of treasury within 4h (T1)");
  });

  it("a deny whose reasons do not contain the text fails; so does the wrong quorum or group", async () => {
    expect((await one(`  context { region: "us" }\n  action payment.send { amount: 10, currency: "EUR" }\n  expect deny "not this"`)).status).toBe("failed");
    expect((await one(`${EU}\n  action payment.send { amount: 5000, currency: "EUR" }\n  expect require approval 2 of treasury`)).status).toBe("failed");
    expect((await one(`${EU}\n  action payment.send { amount: 5000, currency: "EUR" }\n  expect require approval 1 of audit`)).status).toBe("failed");
  });

  it("expect that sees decision and the inputs", async () => {
    const big = `${EU}\n  action payment.send { amount: 200000, currency: "EUR" }`;
    expect((await one(`${big}\n  expect that decision.tier == "T3" && "critical_payments" in decision.rules`)).status).toBe("passed");
    expect((await one(`${big}\n  expect that action.amount > 100000 && context.region == "eu" && decision.effect == "require_approval"`)).status).toBe("passed");
    expect((await one(`${big}\n  expect that decision.tier == "T1"`)).status).toBe("failed");
  });

  it("every expect of a test must hold", async () => {
    const r = await one(`${EU}\n  action payment.send { amount: 10, currency: "EUR" }\n  expect allow\n  expect deny`);
    expect(r.status).toBe("failed");
    expect(r.expected).toBe("deny");
  });
});

describe("state: counters, approvals, time", () => {
  const small = `${EU}\n  action payment.send { amount: 10, currency: "EUR" }`;

  it("counter values are what the policy reads for this action's key", async () => {
    expect((await one(`${small}\n  counter sends = 9\n  expect allow`)).status).toBe("passed");
    expect((await one(`${small}\n  counter sends = 10\n  expect require approval 1 of treasury`)).status).toBe("passed");
    expect((await one(`${small}\n  actor { agent: "other" }\n  counter sends = 10\n  expect require approval`)).status).toBe("passed");
  });

  it("a counter the action neither reads nor counts is a test error, not silently ignored", async () => {
    const r = await one(`  action payment.refund { amount: 1 }\n  counter sends = 3\n  expect allow`);
    expect(r.status).toBe("failed");
    expect(r.code).toBe("XP7002");
    expect(r.message).toContain("neither read nor counted by `payment.refund`");
  });

  it("approvals of a required group satisfy the request, and the action is allowed once approved", async () => {
    const big = `${EU}\n  action payment.send { amount: 5000, currency: "EUR" }`;
    expect((await one(`${big}\n  approvals 1 of treasury\n  expect allow`)).status).toBe("passed");
    expect((await one(`${big}\n  approvals 1 of treasury\n  expect that decision.approvals == 1 && decision.reasons[0].startsWith("approved by alice")`)).status).toBe("passed");
  });

  it("approvals from a group the request does not require do not count", async () => {
    expect((await one(`${EU}\n  action payment.send { amount: 5000, currency: "EUR" }\n  approvals 1 of audit\n  expect require approval 1 of treasury`)).status).toBe("passed");
  });

  it("combined requirements: a critical payment needs two of treasury; one is not enough", async () => {
    const critical = `${EU}\n  action payment.send { amount: 200000, currency: "EUR" }`;
    expect((await one(`${critical}\n  expect require approval 2 of treasury`)).status).toBe("passed");
    expect((await one(`${critical}\n  approvals 1 of treasury\n  expect require approval 2 of treasury`)).status).toBe("passed");
    expect((await one(`${critical}\n  approvals 2 of treasury\n  expect allow`)).status).toBe("passed");
    expect((await one(`${critical}\n  approvals 2\n  expect that decision.effect == "allow" && decision.approvals == 2`)).status).toBe("passed");
  });

  it("approvals do not turn a deny into an allow", async () => {
    expect((await one(`  context { region: "us" }\n  action payment.send { amount: 5000, currency: "EUR" }\n  approvals 2 of treasury\n  expect deny "EU entity"`)).status).toBe("passed");
  });

  it("`at` sets now; the default time is 2026-01-15T12:00:00Z", async () => {
    const refund = `  action payment.refund { amount: 100 }`;
    expect((await one(`${refund}\n  expect allow`)).status).toBe("passed");
    expect((await one(`${refund}\n  at "2026-01-15T20:00:00Z"\n  expect deny`)).status).toBe("passed");
    expect((await one(`${refund}\n  expect that now == timestamp("2026-01-15T12:00:00Z")`)).status).toBe("passed");
  });

  it("a raw tool call goes through the policy's tool mappings", async () => {
    expect((await one(`${EU}\n  tool pay { amount: 10, currency: "EUR" }\n  expect that decision.effect == "allow" && action.type == "payment.send"`)).status).toBe("passed");
  });

  it("input the runtime rejects is denied, as at run time", async () => {
    const r = await one(`${EU}\n  tool pay { currency: "EUR" }\n  expect deny`);
    expect(r.status).toBe("passed");
    expect(r.decision?.code).toMatch(/^XP4/);
  });
});

describe("problems found before running", () => {
  const codes = async (tests: string): Promise<string[]> => (await runWith(tests)).diagnostics.map((d) => d.code);

  it("a test without an action, with two, or without expect", async () => {
    expect(await codes(block("a", `${EU}\n  expect allow`))).toEqual(["XP7005"]);
    expect(await codes(block("b", `  action payment.refund { amount: 1 }\n  action payment.refund { amount: 2 }\n  expect allow`))).toEqual(["XP7006"]);
    expect(await codes(block("c", `  action payment.refund { amount: 1 }`))).toEqual(["XP7007"]);
  });

  it("bad values: a negative counter, a second `at`, an expression that fails", async () => {
    expect(await codes(block("a", `  action payment.refund { amount: 1 }\n  counter sends = -1\n  expect allow`))).toEqual(["XP7009"]);
    expect(await codes(block("b", `  action payment.refund { amount: 1 }\n  at "2026-01-01T00:00:00Z"\n  at "2026-01-02T00:00:00Z"\n  expect allow`))).toEqual(["XP7008"]);
    expect(await codes(block("c", `  action payment.refund { amount: 1 / 0 }\n  expect allow`))).toEqual(["XP7009"]);
  });

  it("`expect that` is type-checked against the action's type, as a compile error", () => {
    const errors = compileWith(block("a", `  action payment.refund { amount: 1 }\n  expect that action.currency == "EUR"`)).diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => [d.code, d.file])).toEqual([["XP2004", "p.test.xpol"]]);
    const viaTool = compileWith(block("b", `  tool pay { amount: 1, currency: "EUR" }\n  expect that decision.effect == 1`)).diagnostics.filter((d) => d.severity === "error");
    expect(viaTool.map((d) => d.code)).toEqual(["XP2003"]);
  });

  it("unknown action types, fields, counters and groups in tests are compile errors (the checker)", () => {
    const errs = (tests: string): string[] => compileWith(tests).diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
    expect(errs(block("a", `  action payment.sned { amount: 1 }\n  expect allow`))).toContain("XP3001");
    expect(errs(block("b", `  action payment.refund { amount: 1, currency: "x" }\n  expect allow`))).toContain("XP3023");
    expect(errs(block("c", `  action payment.refund { amount: 1 }\n  counter sendz = 1\n  expect allow`))).toContain("XP3029");
    expect(errs(block("d", `  action payment.refund { amount: 1 }\n  approvals 1 of finance\n  expect allow`))).toContain("XP3012");
  });
});

describe("selection", () => {
  it("--filter skips the other blocks", async () => {
    const tests = block("first", `  action payment.refund { amount: 1 }\n  expect allow`) + block("second", `  action payment.refund { amount: 1 }\n  expect allow`);
    const run = await runWith(tests, { filter: "sec" });
    expect(run.results.map((r) => [r.name, r.status])).toEqual([
      ["first", "skipped"],
      ["second", "passed"],
    ]);
  });
});
