import { describe, expect, it } from "vitest";
import { compileRegex, regexError, regexMatches } from "../../src/cel/regex.ts";
import { CelError } from "../../src/cel/errors.ts";

describe("matches (RE2)", () => {
  it("matches anywhere in the string", () => {
    expect(regexMatches("hubba", "ubb")).toBe(true);
    expect(regexMatches("abc", "^b")).toBe(false);
  });
  it("stays linear on patterns that make backtracking engines explode", () => {
    // (a+)+$ against "aaaa...ab" takes exponential time in a backtracking engine; RE2 answers at once.
    const input = "a".repeat(100_000) + "b";
    expect(regexMatches(input, "(a+)+$")).toBe(false);
    expect(regexMatches("a".repeat(50_000), "(a|aa)*$")).toBe(true);
  });
  it("rejects what RE2 does not support, as an error value", () => {
    expect(regexError("(?=x)")).toBeDefined(); // lookahead
    expect(regexError("(a)\\1")).toBeDefined(); // backreference
    const r = regexMatches("x", "(");
    expect(r).toBeInstanceOf(CelError);
    expect((r as CelError).kind).toBe("invalid_argument");
  });
  it("caches compiled patterns", () => {
    expect(compileRegex("a+b")).toBe(compileRegex("a+b"));
  });
});
