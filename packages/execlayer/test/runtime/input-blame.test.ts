// A refused proposal's reason names whose input was wrong: the caller's actor and context are not the agent's
// action (a missing context field used to read "invalid action: ...", sending people to the agent).
import { describe, expect, it } from "vitest";
import { compilePolicy, Enforcer, MemoryStore } from "../../src/index.ts";

const POLICY = `policy c version "1.0.0"

actor { agent: string }
context { tenant: string  region: string }
action doc.read { id: string }
tier doc.read = T0

rule r on doc.read {
  when context.tenant == "acme"
  allow
}
`;

describe("the reason of a refused input names the part that is wrong", async () => {
  const { policy, diagnostics } = compilePolicy({ sources: [{ path: "c.xpol", text: POLICY }] });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const enforcer = await Enforcer.create({ policy: policy!, store: new MemoryStore() });
  const read = { action: { type: "doc.read", params: { id: "x" } } };

  it("a missing context field: the context, the caller's, by name", async () => {
    const d = await enforcer.decide(read, { actor: { agent: "bot" }, context: { region: "eu" } });
    expect(d.effect).toBe("deny");
    expect(d.reasons.join(" ")).toMatch(/^invalid context \(the caller supplies it, not the agent\): missing required field `tenant` of the context at \$\.context\.tenant$/);
  });

  it("a wrong actor field: the actor", async () => {
    const d = await enforcer.decide(read, { actor: { agent: 7 }, context: { tenant: "acme", region: "eu" } });
    expect(d.effect).toBe("deny");
    expect(d.reasons.join(" ")).toMatch(/^invalid actor \(the caller supplies it, not the agent\):.*\$\.actor\.agent/);
  });

  it("a wrong action field: the action", async () => {
    const d = await enforcer.decide({ action: { type: "doc.read", params: {} } }, { actor: { agent: "bot" }, context: { tenant: "acme", region: "eu" } });
    expect(d.reasons.join(" ")).toMatch(/^invalid action: missing required field `id`/);
  });

  it("with everything supplied, the rule decides", async () => {
    const d = await enforcer.decide(read, { actor: { agent: "bot" }, context: { tenant: "acme", region: "eu" } });
    expect(d.effect).toBe("allow");
  });
});
