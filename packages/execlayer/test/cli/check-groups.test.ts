// Independent policies in one folder are checked each on its own (grouped by their `policy` header), not merged
// into one policy that reports every duplicate declaration between them.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scratch, xpol } from "./helpers.ts";
import { groupPolicyFiles, policyHeaderName } from "../../src/compile/policy-groups.ts";

const policy = (name: string, extra = "") => `// ${name}
policy ${name} version "1.0.0"

actor { agent: string }
action doc.read { id: string }
tier doc.read = T0
${extra}
rule reads on doc.read { allow }
`;
const tests = `test "reads" {
  action doc.read { id: "x" }
  actor { agent: "a" }
  expect allow
}
`;

describe("a folder of independent policies", () => {
  it("xpol check: no cross-policy errors; each policy's own errors still reported", async () => {
    const dir = scratch();
    for (const n of ["billing", "support", "devops", "sales"]) {
      writeFileSync(join(dir, `${n}.xpol`), policy(n));
      writeFileSync(join(dir, `${n}.test.xpol`), tests);
    }
    const clean = await xpol(["check", "."], dir);
    expect([clean.code, clean.stdout.trim()]).toEqual([0, "checked 8 files: no problems"]);
    writeFileSync(join(dir, "sales.xpol"), policy("sales", "rule reads on doc.read { deny }"));
    const broken = await xpol(["check", "."], dir);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("sales.xpol");
    expect(broken.stdout).not.toMatch(/billing\.xpol|support\.xpol|devops\.xpol/);
  });

  it("xpol test: one set per policy, each with its own tests", async () => {
    const dir = scratch();
    for (const n of ["billing", "support"]) {
      writeFileSync(join(dir, `${n}.xpol`), policy(n));
      writeFileSync(join(dir, `${n}.test.xpol`), tests);
    }
    const r = await xpol(["test", ".", "--no-properties"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("(policy billing): 1 passed, 0 failed");
    expect(r.stdout).toContain("(policy support): 1 passed, 0 failed");
  });

  it("groups by header: tests join the policy of their base name, a lone policy keeps every file", () => {
    const dir = scratch();
    writeFileSync(join(dir, "a.xpol"), policy("a"));
    writeFileSync(join(dir, "a.test.xpol"), tests);
    writeFileSync(join(dir, "b.xpol"), policy("b"));
    writeFileSync(join(dir, "shared.xpol"), "action x.y { z: int }\n");
    expect(groupPolicyFiles(["a.xpol", "a.test.xpol", "b.xpol", "shared.xpol"], dir)).toEqual([["a.xpol", "a.test.xpol"], ["b.xpol"], ["shared.xpol"]]);
    expect(groupPolicyFiles(["a.xpol", "a.test.xpol", "shared.xpol"], dir)).toEqual([["a.xpol", "a.test.xpol", "shared.xpol"]]);
    expect(policyHeaderName("/* c */\n// d\n  policy  p1 version \"1\"")).toBe("p1");
    expect(policyHeaderName("action a.b {}")).toBeNull();
  });
});
