import { describe, expect, it } from "vitest";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { scratch, wellFormedXml, xpol } from "./helpers.ts";

const FAILING = "test/testing/fixtures/failing";
const lastLine = (s: string): string => s.trimEnd().split("\n").at(-1)!;

describe("xpol test: exit codes", () => {
  it("0 when every test passes, with `N passed, N failed` as the last line", async () => {
    const r = await xpol(["test", "examples/invoices", "--seed", "1"]);
    expect(r.code).toBe(0);
    expect(lastLine(r.stdout)).toBe("7 passed, 0 failed");
  });

  it("1 on a failing test or property", async () => {
    const r = await xpol(["test", FAILING, "--seed", "7", "--runs", "30"]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stdout)).toBe("2 passed, 3 failed");
    expect(r.stdout).toContain('FAIL test/testing/fixtures/failing/policy.test.xpol:10:3 test "wrong: a large payment is expected to be allowed"');
    expect(r.stdout).toContain("  expected: allow\n  actual:   require approval 1 of treasury within 4h (T1)\n  rules:    small_payments (else): require_approval");
    expect(r.stdout).toContain("replay with --seed 7");
    expect(r.stdout).toContain('    test "counterexample: wrong: refunds are always allowed" {');
  });

  it("4 when the policy does not compile: its diagnostics, and that no test ran", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "p.xpol"), 'policy p\naction a.b { x: strin }\ntier a.b = T0\ntest "t" { action a.b { x: "1" } expect deny }\n');
    const r = await xpol(["test", "."], dir);
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("XP3004");
    expect(r.stdout).not.toMatch(/\d+ passed, \d+ failed/);
    expect(lastLine(r.stdout)).toBe("no test ran: the policy does not compile (the errors are above)");
  });

  it("1 below --min-coverage, 0 at or above it", async () => {
    const low = await xpol(["test", "examples/coding-agent", "--no-properties", "--min-coverage", "99"]);
    expect(low.code).toBe(1);
    expect(low.stdout).toMatch(/error\[XP7010\]: coverage \d+\.\d% is below the minimum of 99%/);
    const ok = await xpol(["test", "examples/invoices", "--no-properties", "--min-coverage", "100"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("coverage: 100.0% (6 of 6 rules and branches)");
  });

  it("2 on usage errors, naming the problem above the usage on stderr", async () => {
    const cases: [string[], string][] = [
      [["test"], "give at least one directory or file"],
      [["test", "examples", "--format", "xml"], "--format needs one of human, json, junit, github, found `xml`"],
      [["test", "examples", "--seed", "x"], "--seed needs an integer, found `x`"],
      [["test", "examples", "--runs", "0"], "--runs must be between 1 and 1000000"],
      [["test", "examples", "--bogus"], "unknown option `--bogus`"],
    ];
    for (const [args, problem] of cases) {
      const r = await xpol(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const [first, usage] = r.stderr.split("\n\n");
      expect(first).toBe(`xpol test: ${problem}`);
      expect(usage).toMatch(/^usage: xpol test PATH/);
    }
  });

  it("3 when a path cannot be read", async () => {
    const r = await xpol(["test", "no/such/dir"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("XP8001");
  });

  it("--help prints usage with the exit codes and succeeds", async () => {
    const r = await xpol(["test", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("exit codes: 0 all passed, 1 failures, 2 usage error, 3 unreadable input");
  });
});

describe("xpol test: file discovery", () => {
  it("a directory: each folder with tests is one policy; stdlib-like folders without tests are left out", async () => {
    const dir = scratch();
    mkdirSync(join(dir, "pol"));
    mkdirSync(join(dir, "modules"));
    writeFileSync(join(dir, "modules", "m.xpol"), "action x.y { }\n");
    writeFileSync(join(dir, "pol", "p.xpol"), "policy p\naction a.b { }\ntier a.b = T0\nrule r on a.b { allow }\n");
    writeFileSync(join(dir, "pol", "p.test.xpol"), 'test "t" {\n  action a.b {}\n  expect allow\n}\n');
    const r = await xpol(["test", "."], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok   pol (policy p): 1 passed, 0 failed");
    expect(r.stdout).not.toContain("modules");
  });

  it("a test file brings the policy files of its folder; a policy file brings its .test.xpol", async () => {
    expect((await xpol(["test", "examples/invoices/invoices.test.xpol", "--no-properties"])).stdout).toContain("6 passed, 0 failed");
    expect((await xpol(["test", "examples/invoices/invoices.xpol", "--no-properties"])).stdout).toContain("6 passed, 0 failed, 1 skipped");
  });
});

describe("xpol test: formats", () => {
  it("json: one document with the summary, results and decisions", async () => {
    const r = await xpol(["test", FAILING, "--seed", "7", "--runs", "30", "--format", "json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { summary: unknown; seed: number; policies: { results: { name: string; status: string; line: number; decision: { effect: string } | null; counterexample?: string }[] }[] };
    expect(doc.summary).toEqual({ passed: 2, failed: 3, skipped: 0 });
    expect(doc.seed).toBe(7);
    const wrong = doc.policies[0]!.results.find((x) => x.name === "wrong: a large payment is expected to be allowed")!;
    expect([wrong.status, wrong.line, wrong.decision?.effect]).toEqual(["failed", 10, "require_approval"]);
    expect(doc.policies[0]!.results.find((x) => x.name.startsWith("wrong: refunds"))!.counterexample).toContain("test \"counterexample");
  });

  it("junit: well-formed XML with one testcase per block and the failures", async () => {
    const r = await xpol(["test", FAILING, "examples/invoices", "--seed", "7", "--runs", "30", "--format", "junit"]);
    expect(wellFormedXml(r.stdout)).toBeNull();
    expect(r.stdout).toContain('<testsuites name="xpol test" tests="12" failures="3" errors="0" skipped="0">');
    expect(r.stdout).toContain('<testcase name="test &quot;wrong reason&quot;" classname="test/testing/fixtures/failing/policy.test.xpol" file="test/testing/fixtures/failing/policy.test.xpol" line="13">');
    expect((r.stdout.match(/<failure /g) ?? []).length).toBe(3);
  });

  it("github: one ::error annotation per failure, escaped, then the summary", async () => {
    const r = await xpol(["test", FAILING, "--seed", "7", "--runs", "30", "--format", "github"]);
    const errors = r.stdout.split("\n").filter((l) => l.startsWith("::error "));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^::error file=test\/testing\/fixtures\/failing\/policy\.test\.xpol,line=10,col=3,endLine=10,endColumn=15,title=XP7001 test "wrong%3A a large payment is expected to be allowed"::test `wrong: a large payment/);
    // multi-line failure texts stay inside their annotation: nothing but the summary is outside a `::` command
    expect(r.stdout.trimEnd().split("\n").filter((l) => !l.startsWith("::"))).toEqual(["2 passed, 3 failed"]);
    expect(errors[0]).toContain("%0Aexpected: allow%0A");
    expect(lastLine(r.stdout)).toBe("2 passed, 3 failed");
  });
});
