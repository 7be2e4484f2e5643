// Golden files: each test/syntax/golden/NAME.xpol has NAME.diagnostics.txt holding every diagnostic rendered
// (message, help, underlined snippet), compared byte for byte. Regenerate with UPDATE_GOLDEN=1 and review the diff.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { parsePolicy } from "../../src/syntax/parse.ts";
import { renderDiagnostic } from "../../src/diagnostics/render.ts";
import { SourceFile } from "../../src/diagnostics/source.ts";

const dir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env["UPDATE_GOLDEN"] === "1";
const cases = readdirSync(dir).filter((f) => f.endsWith(".xpol")).sort();

function render(name: string, text: string): string {
  const source = new SourceFile(name, text);
  const r = parsePolicy(text, name);
  if (r.diagnostics.length === 0) return "no diagnostics\n";
  return r.diagnostics.map((d) => renderDiagnostic(d, source)).join("\n\n") + "\n";
}

describe("golden diagnostics", () => {
  test("there are golden cases, valid and invalid", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    expect(cases).toContain("valid-all-constructs.xpol");
  });

  test.each(cases)("%s", (file) => {
    const text = readFileSync(dir + file, "utf8");
    const actual = render(file, text);
    const goldenPath = dir + file.replace(/\.xpol$/, ".diagnostics.txt");
    if (update) writeFileSync(goldenPath, actual);
    expect(actual).toBe(readFileSync(goldenPath, "utf8"));
  });

  test("the valid case really is valid, the others really are not", () => {
    for (const file of cases) {
      const r = parsePolicy(readFileSync(dir + file, "utf8"), file);
      expect(r.diagnostics.length === 0, file).toBe(file.startsWith("valid-"));
    }
  });
});
