// The layers of docs/ARCHITECTURE.md, held by dependency-cruiser (.dependency-cruiser.cjs): no folder imports one
// above it, no file cycles (type-only imports included), no devDependency in the library, nothing unresolvable.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const pkg = path.resolve(import.meta.dirname, "../..");
const config = path.join(pkg, ".dependency-cruiser.cjs");
// The CLI, found as Node finds packages (the workspace hoists it to the repository's node_modules).
const depcruise = ((): string => {
  for (let dir = pkg; ; dir = path.dirname(dir)) {
    const bin = path.join(dir, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
    if (existsSync(bin)) return bin;
    if (path.dirname(dir) === dir) throw new Error("dependency-cruiser is not installed (npm ci)");
  }
})();

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
}

function cruise(cwd: string): { violations: Violation[]; modules: number } {
  const run = spawnSync(process.execPath, [depcruise, "src", "--config", config, "--output-type", "json"], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  const out = JSON.parse(run.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: out.summary.violations, modules: out.summary.totalCruised };
}

describe("the core's layers", () => {
  it("src/ has no upward import, no cycle, no dev dependency and nothing unresolved", () => {
    const { violations, modules } = cruise(pkg);
    expect(modules).toBeGreaterThan(100);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  it("the rules catch an upward import and a cycle (fixture)", () => {
    const { violations } = cruise(path.join(import.meta.dirname, "upward"));
    const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(found).toContain("layer-vocabulary: src/vocabulary/words.ts -> src/runtime/enforcer.ts");
    expect(found).toContain("layer-runtime: src/runtime/enforcer.ts -> src/store/memory.ts");
    expect(found.some((f) => f.startsWith("no-circular:"))).toBe(true);
  });
});
