// Declared tool arguments (`tool get_account(account_id: string, limit?: int) -> ...`): a typo in the mapping is a
// compile error with "did you mean", and at run time the call's arguments must have the declared types.
import { describe, expect, it } from "vitest";
import { compilePolicy, Enforcer, MemoryStore } from "../../src/index.ts";
import { formatPolicy } from "../../src/format/format.ts";

const policy = (mapping: string) => `policy accounts version "1.0.0"

actor { agent: string }
action account.read { account_id: string  limit?: int }
tier account.read = T0

tool get_account(account_id: string, limit?: int) -> account.read {
  target: "account/" + args.account_id
  ${mapping}
}

rule reads on account.read { when !has(action.limit) || action.limit <= 100  allow }
`;

describe("declared tool arguments", () => {
  it("a typo in the mapping is a compile error that names the declared argument", () => {
    const { policy: p, diagnostics } = compilePolicy({ sources: [{ path: "a.xpol", text: policy("account_id: args.account") }] });
    expect(p).toBeNull();
    const d = diagnostics.find((x) => x.code === "XP2004")!;
    expect(d.message).toBe("`args of tool get_account` has no field `account`");
    expect(d.help).toBe("did you mean `account_id`?");
  });

  it("a type error in the mapping is a compile error", () => {
    const { diagnostics } = compilePolicy({ sources: [{ path: "a.xpol", text: policy("account_id: args.limit") }] });
    expect(diagnostics.map((x) => x.message)).toContain("parameter `account_id` expects string, found int");
  });

  it("at run time the arguments must have the declared types (fail closed, named)", async () => {
    const { policy: p, diagnostics } = compilePolicy({ sources: [{ path: "a.xpol", text: policy("account_id: args.account_id\n  limit: args.limit") }] });
    expect(diagnostics.filter((x) => x.severity === "error")).toEqual([]);
    const enforcer = await Enforcer.create({ policy: p!, store: new MemoryStore() });
    const who = { actor: { agent: "bot" } };
    const ok = await enforcer.decideToolCall("get_account", { account_id: "a-1", limit: 10 }, who);
    expect(ok.decision.effect).toBe("allow");
    expect(ok.args).toEqual({ account_id: "a-1", limit: 10 });
    const wrong = await enforcer.decideToolCall("get_account", { account_id: 42 }, who);
    expect(wrong.decision.effect).toBe("deny");
    expect(wrong.decision.reasons.join(" ")).toMatch(/account_id/);
    const missing = await enforcer.decideToolCall("get_account", { limit: 1 }, who);
    expect(missing.decision.effect).toBe("deny");
    expect(missing.decision.reasons.join(" ")).toMatch(/account_id.*required|required.*account_id/);
  });

  it("the formatter writes the declaration as a signature", () => {
    const r = formatPolicy(policy("account_id: args.account_id").replace("(account_id: string, limit?: int)", "( account_id:string ,limit ? : int )"), "a.xpol");
    expect(r.ok && r.text).toContain("tool get_account(account_id: string, limit?: int) -> account.read {");
  });
});
