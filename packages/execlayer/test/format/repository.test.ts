// Every .xpol file of the repository is formatted (`xpol fmt --check .` would pass), except the paths listed in
// .xpolfmtignore: inputs whose exact bytes matter. After editing a policy, run `npx xpol fmt FILE`.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { formatPolicy } from "../../src/index.ts";
import { findXpolFiles, isIgnored, readIgnoreList } from "../../src/format/files.ts";

const root = resolve(import.meta.dirname, "../..");
const ignore = readIgnoreList(root);
const files = findXpolFiles(["."], root, ignore).files;

describe("the repository's .xpol files", () => {
  it("the ignore list holds the position-sensitive golden inputs, and nothing else is skipped", () => {
    expect(ignore).toEqual(expect.arrayContaining(["test/syntax/golden", "test/check/policy-golden"]));
    expect(files.some((f) => isIgnored(f, root, ignore))).toBe(false);
    // what the ignore list actually skips: only position-sensitive inputs (and the untracked demo state)
    const known = ["test/syntax/golden/", "test/check/policy-golden/", "test/format/golden/comments.input.xpol", "demo-state/"];
    const skipped = findXpolFiles(["."], root, []).files.filter((f) => !files.includes(f));
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.filter((f) => !known.some((k) => f.split(sep).join("/").startsWith(k)))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(["examples/invoices/invoices.xpol", "stdlib/database.xpol"]));
  });

  for (const f of files) {
    it(`${f} is formatted`, () => {
      const r = formatPolicy(readFileSync(join(root, f), "utf8"), f);
      expect(r.ok && !r.changed, r.ok ? `run \`npx xpol fmt ${f}\`` : r.diagnostics.map((d) => d.message).join("; ")).toBe(true);
    });
  }
});
