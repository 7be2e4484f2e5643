// The CEL conformance suite's expressions (@bufbuild/cel-spec), through parseExpression: what cel-go parses, we
// parse; what cel-go rejects as a syntax error, we reject. Known, documented differences are listed explicitly.
import { describe, expect, test } from "vitest";
import { getConformanceSuite, getParsingSuite, type IncrementalTestSuite } from "@bufbuild/cel-spec/testdata/tests.js";
import { parseExpression } from "../../src/syntax/parse.ts";

interface Case {
  readonly path: string;
  readonly expr: string;
  readonly parses: boolean;
  readonly error: string;
}

function collect(suite: IncrementalTestSuite, path: string, out: Case[]): Case[] {
  for (const t of suite.tests) {
    out.push({ path: `${path}/${t.name}`, expr: t.original.expr, parses: t.ast !== undefined, error: t.error ?? "" });
  }
  for (const s of suite.suites) collect(s, `${path}/${s.name}`, out);
  return out;
}

const cases = [...collect(getConformanceSuite(), "conformance", []), ...collect(getParsingSuite(), "parsing", [])];

/** Differences by design: message construction (no protobuf messages here). */
function unsupported(c: Case): boolean {
  const r = parseExpression(c.expr);
  return r.diagnostics.some((d) => d.code === "XP1015");
}

/**
 * cel-go's own configuration, not the language: its recursion limit (32 in these tests), its accumulator variable
 * name, quoted field names and the optional syntax `.?`, `[?`, `{?k: v}`, `[?x]` (features cel-go leaves off by
 * default and these expectations were recorded without; we accept them).
 */
function celGoOption(c: Case): boolean {
  return /recursion (limit|depth)|accumulator variable|unsupported syntax: '`'|unsupported syntax '(\.\?|\[\?|\?)'/.test(c.error);
}

describe("CEL conformance expressions", () => {
  test("there are many cases", () => {
    expect(cases.length).toBeGreaterThan(2000);
  });

  test("everything cel-go parses, we parse (except message construction)", () => {
    const failures = cases
      .filter((c) => c.parses && !unsupported(c))
      .filter((c) => parseExpression(c.expr).expr === null)
      .map((c) => `${c.path}: ${c.expr}: ${parseExpression(c.expr).diagnostics.map((d) => d.message).join("; ")}`);
    expect(failures).toEqual([]);
  });

  test("what cel-go rejects as a syntax error, we reject", () => {
    const accepted = cases
      .filter((c) => !c.parses && !celGoOption(c))
      .filter((c) => parseExpression(c.expr).expr !== null)
      .map((c) => `${c.path}: ${c.expr} (cel-go: ${c.error.split("\n")[0]})`);
    expect(accepted).toEqual([]);
  });

  test("the parse section's nesting and repetition cases parse", () => {
    const parse = cases.filter((c) => c.path.startsWith("conformance/parse/") && !unsupported(c));
    expect(parse.length).toBeGreaterThan(150);
    for (const c of parse) expect(parseExpression(c.expr).diagnostics, c.path).toEqual([]);
  });
});
