// Golden diagnostics for the policy checker: every case under policy-golden/ (a `.xpol` file, or a folder of them
// forming one policy) is parsed and checked; the rendered diagnostics (message, help, underlined snippet) must
// equal the `.expected` file beside it, which must exist. Regenerate with UPDATE_GOLDEN=1.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { checkPolicy } from "../../src/check/policy-checker.ts";
import { parsePolicySource } from "../../src/check/policy-parse.ts";
import { renderDiagnostics, SourceFile } from "../../src/diagnostics/index.ts";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "policy-golden");
const update = process.env.UPDATE_GOLDEN === "1";

function caseFiles(name: string): string[] {
  const full = path.join(dir, name);
  if (statSync(full).isDirectory())
    return readdirSync(full)
      .filter((f) => f.endsWith(".xpol"))
      .sort()
      .map((f) => `${name}/${f}`);
  return [name];
}

function render(name: string): string {
  const files = caseFiles(name).map((p) => parsePolicySource(p, readFileSync(path.join(dir, p), "utf8")));
  const syntax = files.flatMap((f) => f.diagnostics);
  const r = checkPolicy(
    files.map((f) => f.file),
    {
      readFile: (p) => {
        const full = path.join(dir, p);
        return existsSync(full) ? readFileSync(full, "utf8") : new Error("ENOENT");
      },
    },
  );
  const sources = new Map(files.map((f) => [f.file.path, new SourceFile(f.file.path, f.file.text)]));
  const text = renderDiagnostics([...syntax, ...r.diagnostics], sources);
  return `${text}\n\n${r.checked === null ? "-- not compiled" : "-- checked"}\n`;
}

const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".xpol") || statSync(path.join(dir, f)).isDirectory())
  .filter((f) => f !== "keys")
  .sort();

describe("policy checker golden diagnostics", () => {
  test("there are cases", () => expect(cases.length).toBeGreaterThan(5));
  for (const name of cases) {
    test(name, () => {
      const expectedPath = path.join(dir, name.replace(/\.xpol$/, "") + ".expected");
      const actual = render(name);
      if (update) writeFileSync(expectedPath, actual);
      // a missing golden fails (write it with UPDATE_GOLDEN=1 and review it) instead of being created as it is
      expect(existsSync(expectedPath), `${expectedPath} is missing`).toBe(true);
      expect(actual).toBe(readFileSync(expectedPath, "utf8"));
    });
  }
});
