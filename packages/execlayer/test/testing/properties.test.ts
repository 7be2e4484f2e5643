import { describe, expect, it } from "vitest";
import { block, compileWith, runWith } from "./helpers.ts";

function prop(name: string, body: string): string {
  return `property ${JSON.stringify(name)} {\n${body}\n}\n`;
}

const REFUNDS_ALLOWED = prop("refunds are always allowed", "  forall payment.refund\n  expect allow");

describe("property blocks", () => {
  it("a true property passes after the requested number of runs and reports its seed", async () => {
    const run = await runWith(prop("non-EU payments are denied", `  forall payment.send\n  context { region: "us" }\n  expect deny "EU entity"`), { runs: 40, seed: 9 });
    const r = run.results[0]!;
    expect([r.status, r.runs, r.seed]).toEqual(["passed", 40, 9]);
  });

  it("a false property fails with a shrunk counterexample printed as a test block", async () => {
    const r = (await runWith(REFUNDS_ALLOWED, { seed: 3 })).results[0]!;
    expect(r.status).toBe("failed");
    expect(r.code).toBe("XP7003");
    expect(r.message).toMatch(/^property `refunds are always allowed` is falsified after \d+ runs? \(seed 3\)$/);
    expect(r.counterexample).toMatch(/^test "counterexample: refunds are always allowed" \{\n {2}action payment\.refund \{ amount: -?\d+ \}\n/);
    expect(r.counterexample).toContain("\n  expect allow\n}");
  });

  it("the counterexample, pasted as a test, reproduces the failure", async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const failing = (await runWith(REFUNDS_ALLOWED, { seed })).results[0]!;
      expect(failing.status).toBe("failed");
      const replay = await runWith(failing.counterexample!, { seed });
      expect(replay.diagnostics).toEqual([]);
      const t = replay.results[0]!;
      expect(t.status).toBe("failed");
      expect(t.actual).toBe(failing.actual);
    }
  });

  it("the same seed gives the same result", async () => {
    const a = (await runWith(REFUNDS_ALLOWED, { seed: 42 })).results[0]!;
    const b = (await runWith(REFUNDS_ALLOWED, { seed: 42 })).results[0]!;
    // a failure, so there is a counterexample to compare (two passes would agree trivially)
    expect(a.status).toBe("failed");
    expect(a.counterexample).toMatch(/^test "counterexample: /);
    expect(b.counterexample).toBe(a.counterexample);
    expect([b.runs, b.seed, b.actual]).toEqual([a.runs, a.seed, a.actual]);
  });

  it("`forall tier T3` ranges over actions whose effective tier is T3", async () => {
    const run = await runWith(
      prop("critical payments need two approvers", `  forall tier T3\n  context { region: "eu" }\n  expect that decision.tier == "T3" && decision.effect == "require_approval"`) +
        prop("with two approvals they run", `  forall tier T3\n  context { region: "eu" }\n  where counter.sends < 1000000\n  approvals 2 of treasury\n  expect allow`),
    );
    expect(run.results.map((r) => [r.name, r.status])).toEqual([
      ["critical payments need two approvers", "passed"],
      ["with two approvals they run", "passed"],
    ]);
  });

  it("edge values find what hand-written tests miss: a counter at 2^53-1 cannot be incremented, so even an approved payment is denied", async () => {
    const r = (await runWith(prop("approved payments run", `  forall tier T3\n  context { region: "eu" }\n  approvals 2 of treasury\n  expect allow`))).results[0]!;
    expect(r.status).toBe("failed");
    expect(r.details.join("\n")).toContain("would exceed the safe integer range");
    expect(r.counterexample).toContain("counter sends = 9007199254740991");
  });

  it("`where` filters inputs; generated counters hit both sides of the policy's thresholds", async () => {
    const run = await runWith(
      prop("small and few: allowed", `  forall payment.send\n  context { region: "eu" }\n  where action.amount <= 1000 && counter.sends < 10\n  expect allow`) +
        prop("too many: approval", `  forall payment.send\n  context { region: "eu" }\n  where counter.sends == 10\n  expect require approval`) +
        prop("just above the limit: approval", `  forall payment.send\n  context { region: "eu" }\n  where action.amount == 1001\n  expect require approval 1 of treasury`),
    );
    expect(run.results.map((r) => r.status)).toEqual(["passed", "passed", "passed"]);
  });

  it("an unsatisfiable assumption is reported, not retried forever", async () => {
    const r = (await runWith(prop("impossible", `  forall payment.send\n  where action.amount > 10 && action.amount < 5\n  expect allow`), { runs: 20 })).results[0]!;
    expect(r.status).toBe("failed");
    expect(r.code).toBe("XP7004");
    expect(r.message).toContain("rejected");
  });

  it("setup steps fix what they name; an `at` fixes the time", async () => {
    const run = await runWith(prop("refunds after office hours are denied", `  forall payment.refund\n  at "2026-01-15T22:00:00Z"\n  expect deny`));
    expect(run.results[0]!.status).toBe("passed");
  });

  it("properties and tests in one file; --no-properties skips the properties", async () => {
    const tests = block("t", `  action payment.refund { amount: 1 }\n  expect allow`) + REFUNDS_ALLOWED;
    const run = await runWith(tests, { properties: false });
    expect(run.results.map((r) => [r.kind, r.status])).toEqual([
      ["test", "passed"],
      ["property", "skipped"],
    ]);
  });

  it("a property whose expect that does not type-check is a compile error (checker)", () => {
    const c = compileWith(prop("p", "  forall payment.refund\n  expect that decision.nope"));
    expect(c.diagnostics.some((d) => d.severity === "error" && d.code === "XP2004")).toBe(true);
  });
});
