// The language reference cannot drift: docs/reference/functions.md and diagnostics.md are what
// scripts/reference.ts generates from the code (regenerate with `npm run reference -w execlayer`), every function
// the checker knows has a documented example, every example evaluates to the result it shows, and every xpol
// example of docs/reference/language.md parses and checks.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { diagnosticsWithoutFix, generated, MACRO_EXAMPLES, REFERENCE_DIR } from "../../scripts/reference.ts";
import { FUNCTION_DOCS } from "../../scripts/reference-functions.ts";
import { STANDARD_FUNCTIONS } from "../../src/cel/stdlib.ts";
import { Diagnostics } from "../../src/diagnostics/catalogue.ts";
import { parseExpression } from "../../src/syntax/parse.ts";
import { checkExpression, TypeEnv } from "../../src/cel/checker.ts";
import { compileExpression } from "../../src/cel/planner.ts";
import { CelError } from "../../src/cel/errors.ts";
import { displayValue } from "../../src/cel/values.ts";
import { compilePolicy } from "../../src/index.ts";

function evaluate(text: string): string {
  const parsed = parseExpression(text);
  if (parsed.expr === null) return `parse error: ${parsed.diagnostics.map((d) => d.message).join("; ")}`;
  const c = checkExpression(parsed.expr, new TypeEnv());
  const errors = c.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return `check error: ${errors.map((d) => d.message).join("; ")}`;
  const r = compileExpression(c.checked)({});
  return r instanceof CelError ? `error: ${r.message}` : displayValue(r);
}

describe("docs/reference", () => {
  for (const [file, text] of Object.entries(generated())) {
    it(`${file} is what scripts/reference.ts generates (run \`npm run reference -w execlayer\`)`, () => {
      expect(readFileSync(path.join(REFERENCE_DIR, file), "utf8")).toBe(text);
    });
  }

  it("documents every function the checker knows, and nothing else", () => {
    expect(Object.keys(FUNCTION_DOCS).sort()).toEqual([...STANDARD_FUNCTIONS.keys()].sort());
    for (const [name, d] of Object.entries(FUNCTION_DOCS)) expect(d.examples.length, name).toBeGreaterThan(0);
  });

  const examples = [...Object.values(FUNCTION_DOCS).flatMap((d) => d.examples), ...MACRO_EXAMPLES];
  it.each(examples)("%s is %s", (expr, result) => {
    expect(evaluate(expr)).toBe(result);
  });

  it("says how to fix every code a policy author meets (syntax, types, policy checks, tests)", () => {
    expect(diagnosticsWithoutFix()).toEqual([]);
  });

  it("lists every diagnostic code", () => {
    const text = generated()["diagnostics.md"]!;
    for (const d of Object.values(Diagnostics)) expect(text).toContain(`### ${d.code} `);
  });

  it("language.md: every declaration has an example, and every example policy compiles", () => {
    const doc = readFileSync(path.join(REFERENCE_DIR, "language.md"), "utf8");
    const blocks = [...doc.matchAll(/```xpol\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const kw of ["policy", "import", "option", "actor", "context", "action", "tier", "counter", "group", "rule", "tool", "mcp server", "test", "property"])
      expect(blocks.some((b) => new RegExp(`^\\s*${kw}\\b`, "m").test(b)), kw).toBe(true);
    for (const b of blocks.filter((x) => /^policy /m.test(x))) {
      const { diagnostics } = compilePolicy({ sources: [{ path: "example.xpol", text: b }] });
      expect(diagnostics.filter((d) => d.severity === "error").map((d) => d.message), b.slice(0, 80)).toEqual([]);
    }
  });
});
