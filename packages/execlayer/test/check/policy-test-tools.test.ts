// A test's `tool NAME { ... }` must reach a tool mapping the way the runtime resolves tool calls: an action alias
// alone is no mapping (the runtime would deny the call as unmapped), while a case or separator variant of a mapped
// name is the same tool.
import { expect, test } from "vitest";
import { compilePolicy } from "../../src/compile/load.ts";

const policy = (testTool: string) => `policy t version "1"
action doc.read alias "read_doc" { id: string }
tier doc.read = T0
rule r on doc.read { allow }
tool fetch_doc -> doc.read { id: args.id }
test "via a tool" {
  tool ${testTool} { id: "1" }
  expect allow
}
`;

function codes(text: string): string[] {
  return compilePolicy({ sources: [{ path: "t.xpol", text }] }).diagnostics.map((d) => d.code);
}

test("an action alias is not a tool mapping", () => {
  expect(codes(policy("read_doc"))).toEqual(["XP3037"]);
});

test("a mapped tool, and its case and separator variants, are accepted", () => {
  expect(codes(policy("fetch_doc"))).toEqual([]);
  expect(codes(policy("Fetch_Doc"))).toEqual([]);
  expect(codes(policy('"fetch-doc"'))).toEqual([]);
});
