// The CEL conformance suite's required sections through our parser, checker and evaluator: the pass count may
// not drop below the recorded floor, and the tests skipped inside required sections must be exactly the listed
// ones (conformance/skipped.json, each with its reason).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXTENSION_SECTIONS, parseConformanceArgs, REQUIRED_SECTIONS, runConformance, skippedInRequired } from "../../scripts/conformance.ts";

const root = path.resolve(import.meta.dirname, "../..");
const floor = JSON.parse(readFileSync(path.join(root, "conformance/floor.json"), "utf8")) as { requiredPassed: number };
const listedSkips = JSON.parse(readFileSync(path.join(root, "conformance/skipped.json"), "utf8")) as {
  path: string;
  name: string;
  reason: string;
}[];

describe("CEL conformance (required sections)", () => {
  const report = runConformance({ sections: REQUIRED_SECTIONS });

  it("passes at least the recorded floor", () => {
    const failures = report.outcomes.filter((o) => o.status === "failed").map((o) => `${o.path} ${o.name}: ${o.reason}`);
    expect(report.required.passed, failures.join("\n")).toBeGreaterThanOrEqual(floor.requiredPassed);
  });

  it("passes at least 97% of the tests it runs", () => {
    const { passed, failed } = report.required;
    expect(passed / (passed + failed)).toBeGreaterThanOrEqual(0.97);
  });

  it.each(EXTENSION_SECTIONS)("passes at least 95%% of the %s tests it runs (the extension libraries)", (name) => {
    const section = report.sections.find((s) => s.section === name)!;
    expect(section.passed + section.failed).toBeGreaterThan(0);
    expect(section.passed / (section.passed + section.failed)).toBeGreaterThanOrEqual(0.95);
  });

  it("is what conformance/results.json records (regenerate it with `npm run conformance -- --json conformance/results.json`)", () => {
    const recorded = JSON.parse(readFileSync(path.join(root, "conformance/results.json"), "utf8")) as {
      sections: { section: string; required: boolean; passed: number; failed: number; skipped: number }[];
      required: { passed: number; failed: number; skipped: number };
      failures: { path: string; name: string }[];
    };
    expect(recorded.required).toEqual(report.required);
    expect(recorded.sections.filter((s) => s.required)).toEqual(report.sections);
    expect(recorded.failures.map((f) => `${f.path} ${f.name}`)).toEqual(
      report.outcomes.filter((o) => o.status === "failed").map((o) => `${o.path} ${o.name}`),
    );
    // every other section of the suite is skipped whole, as the table's `*` rows say
    for (const s of recorded.sections.filter((x) => !x.required)) expect(s).toMatchObject({ passed: 0, failed: 0 });
  });

  it("skips exactly the listed tests, each with a reason", () => {
    const skipped = skippedInRequired(report).map((s) => `${s.path} ${s.name}`);
    expect(skipped).toEqual(listedSkips.map((s) => `${s.path} ${s.name}`));
    for (const s of listedSkips) expect(s.reason).not.toBe("");
  });
});

describe("npm run conformance's command line", () => {
  it("takes --json FILE, --verbose, --section NAME,... and --write-skips", () => {
    expect(parseConformanceArgs(["--json", "out.json", "--verbose", "--section", "basic,lists", "--write-skips"])).toEqual({
      jsonFile: "out.json",
      only: ["basic", "lists"],
      verbose: true,
      writeSkips: true,
    });
    expect(parseConformanceArgs([])).toEqual({ jsonFile: undefined, only: undefined, verbose: false, writeSkips: false });
  });

  it("refuses unknown options, unknown sections and missing values instead of running something else", () => {
    expect(parseConformanceArgs(["--bogus"])).toMatch(/unknown option `--bogus`/);
    expect(parseConformanceArgs(["--section", "basic,nope"])).toMatch(/unknown section `nope`.*\bbasic\b/);
    expect(parseConformanceArgs(["--section"])).toMatch(/needs a section name/);
    expect(parseConformanceArgs(["--json"])).toMatch(/needs a file/);
  });
});
