// A test's `tool NAME { ... }` must reach a tool mapping the way the runtime resolves tool calls: exactly. An action
// alias alone is no mapping, nor is a case or separator variant of a mapped name (the runtime would deny the call as
// unmapped); a tool's own aliases and a declared MCP server's `mcp__SERVER__NAME` are.
import { expect, test } from "vitest";
import { compilePolicy } from "../../src/index.ts";

const policy = (testTool: string) => `policy t version "1"
action doc.read alias "read_doc" { id: string }
tier doc.read = T0
rule r on doc.read { allow }
tool fetch_doc alias getDoc -> doc.read { id: args.id }
mcp server docs { fetch_doc }
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

test("a mapped tool, its aliases and its declared servers' names are accepted", () => {
  expect(codes(policy("fetch_doc"))).toEqual([]);
  expect(codes(policy("getDoc"))).toEqual([]);
  expect(codes(policy("mcp__docs__fetch_doc"))).toEqual([]);
  expect(codes(policy("mcp__docs__getDoc"))).toEqual([]);
});

test("case and separator variants and undeclared servers are unknown tools, with the declared name as the hint", () => {
  for (const name of ["Fetch_Doc", '"fetch-doc"', '"fetch_doc "', "fetch__doc", "mcp__other__fetch_doc"]) {
    const d = compilePolicy({ sources: [{ path: "t.xpol", text: policy(name) }] }).diagnostics;
    expect([name, d.map((x) => x.code)]).toEqual([name, ["XP3037"]]);
  }
  const d = compilePolicy({ sources: [{ path: "t.xpol", text: policy("Fetch_Doc") }] }).diagnostics[0]!;
  expect(d.help).toBe("did you mean `fetch_doc`?");
});
