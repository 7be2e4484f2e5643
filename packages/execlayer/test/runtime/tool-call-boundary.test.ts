// Issue 15, item 1: the tool runs on what was decided. Each finding of the issue is a test here that failed on
// the code before `Enforcer.decideToolCall`: a getter that answers the policy one value and the tool another, a
// mutation while `decide` awaits, and an argument no mapping reads.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compilePolicy, Enforcer, MemoryJournal, MemoryStore, NobleSigner, PolicyDenied } from "../../src/index.ts";
import type { CompiledPolicy, DecideContext, JsonObject } from "../../src/index.ts";

const POLICY = (toolArgs?: "reject" | "allow"): string => `policy support version "1"
${toolArgs === undefined ? "" : `option tool_args = "${toolArgs}"\n`}actor { agent: string }
context { assigned_customers: list<string> }
action customer.read { customer_id: string  fields?: list<string> }
tier customer.read = T0
rule own_customers on customer.read {
  when action.customer_id in context.assigned_customers
  allow
}
tool read_customer -> customer.read {
  target: "customer/" + args.customer_id
  customer_id: args.customer_id
  fields: args.fields
}
tool read_customer_nested -> customer.read {
  customer_id: args.customer.id
}
tool read_customer_dynamic -> customer.read {
  customer_id: args["customer_id"]
  fields: size(args) > 5 ? ["all"] : ["some"]
}
`;

function compiled(toolArgs?: "reject" | "allow"): CompiledPolicy {
  const r = compilePolicy({ sources: [{ path: "support.xpol", text: POLICY(toolArgs) }] });
  if (r.policy === null) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.policy;
}

const WHO: DecideContext = { actor: { agent: "support-bot" }, context: { assigned_customers: ["c-100"] } };

async function enforcer(toolArgs?: "reject" | "allow", journaled = true): Promise<Enforcer> {
  return Enforcer.create({ policy: compiled(toolArgs), store: new MemoryStore(journaled ? { journal: new MemoryJournal(NobleSigner.fromSeed(new Uint8Array(32).fill(8))) } : {}), clock: () => Date.UTC(2026, 0, 5, 10) });
}

describe("the guarded tool runs on the arguments the decision was made on", () => {
  it("a getter read once: the policy's answer is the tool's", async () => {
    const e = await enforcer();
    let seen: unknown;
    const tool = e.guard((args: JsonObject) => (seen = args), { toolName: "read_customer", context: WHO });
    let reads = 0;
    const args = {
      get customer_id() {
        return reads++ === 0 ? "c-100" : "c-999";
      },
    } as unknown as JsonObject;
    await tool(args);
    expect(seen).toEqual({ customer_id: "c-100" });
    expect(reads).toBe(1);
    expect(Object.isFrozen(seen)).toBe(true);
  });

  it("a mutation while the decision awaits does not reach the tool", async () => {
    const e = await enforcer();
    let seen: unknown;
    const args: Record<string, JsonObject[string]> = { customer_id: "c-100" };
    const tool = e.guard((a: JsonObject) => (seen = a), {
      toolName: "read_customer",
      context: async () => {
        await Promise.resolve();
        args["customer_id"] = "c-999";
        return WHO;
      },
    });
    const pending = tool(args as JsonObject);
    args["customer_id"] = "c-999";
    await pending;
    expect(seen).toEqual({ customer_id: "c-100" });
  });

  it("an argument no mapping reads is refused (XP4032), with a receipt", async () => {
    const e = await enforcer();
    let ran = false;
    const tool = e.guard(() => (ran = true), { toolName: "read_customer", context: WHO });
    const err = await tool({ customer_id: "c-100", also_export_to: "s3://attacker/" }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PolicyDenied);
    const d = (err as PolicyDenied).decision;
    expect(d.code).toBe("XP4032");
    expect(d.reasons[0]).toMatch(/`also_export_to`/);
    expect(d.receipt).toBeDefined();
    expect(ran).toBe(false);
    // the same through a raw tool call, without guard
    const raw = await e.decide({ type: "tool_use", id: "t", name: "read_customer", input: { customer_id: "c-100", also_export_to: "x" } }, WHO);
    expect(raw.code).toBe("XP4032");
  });

  it("nested paths: only the keys the mapping selects; a whole-args read allows everything", async () => {
    const e = await enforcer();
    expect((await e.decideToolCall("read_customer_nested", { customer: { id: "c-100" } }, WHO)).decision.effect).toBe("allow");
    const nested = await e.decideToolCall("read_customer_nested", { customer: { id: "c-100", export: true } }, WHO);
    expect(nested.decision.code).toBe("XP4032");
    expect(nested.decision.reasons[0]).toMatch(/`customer\.export`/);
    expect((await e.decideToolCall("read_customer_dynamic", { customer_id: "c-100", anything: 1 }, WHO)).decision.effect).toBe("allow");
  });

  it('`option tool_args = "allow"` lets unread arguments through, in the frozen snapshot', async () => {
    const e = await enforcer("allow");
    const r = await e.decideToolCall("read_customer", { customer_id: "c-100", note: "x" }, WHO);
    expect(r.decision.effect).toBe("allow");
    expect(r.args).toEqual({ customer_id: "c-100", note: "x" });
  });

  it("Proxies, cycles and throwing getters are refused before deciding, with a receipt", async () => {
    const e = await enforcer();
    const proxy = new Proxy({ customer_id: "c-100" }, {});
    const cyclic: Record<string, unknown> = { customer_id: "c-100" };
    cyclic["self"] = cyclic;
    const throwing = Object.defineProperty({}, "customer_id", { enumerable: true, get: () => { throw new Error("boom"); } });
    for (const [args, code] of [[proxy, "XP4006"], [cyclic, "XP4004"], [throwing, "XP4006"], [{ customer_id: 1n << 70n, f: () => 1 }, "XP4006"]] as const) {
      const r = await e.decideToolCall("read_customer", args, WHO);
      expect(r.args).toBeNull();
      expect(r.decision).toMatchObject({ effect: "deny", code });
      expect(r.decision.receipt).toBeDefined();
    }
  });
});

describe("property: the tool receives exactly the decided arguments", () => {
  it("whatever the caller does to its object (mutations after the call, getters, extra keys with tool_args=allow)", async () => {
    const e = await enforcer("allow", false);
    const key = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== "__proto__" && k !== "customer_id" && k !== "fields");
    const json = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonObject[string]>;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("c-100", "c-200"), fc.dictionary(key, json, { maxKeys: 4 }), fc.boolean(), fc.string(), async (customer, extra, viaGetter, later) => {
        let reads = 0;
        const args: Record<string, unknown> = { ...extra };
        if (viaGetter) Object.defineProperty(args, "customer_id", { enumerable: true, configurable: true, get: () => (reads++ === 0 ? customer : later) });
        else args["customer_id"] = customer;
        const r = await e.decideToolCall("read_customer", args, WHO);
        // the caller keeps changing its object after the call
        Object.defineProperty(args, "customer_id", { value: later, enumerable: true, writable: true });
        for (const k of Object.keys(extra)) args[k] = later;
        expect(r.args).not.toBeNull();
        expect(r.args!["customer_id"]).toBe(customer);
        // the decision was made on this value: the action's params are the snapshot's mapped values
        expect(r.args).toEqual(JSON.parse(JSON.stringify({ ...extra, customer_id: customer })));
        expect(r.decision.effect).toBe(customer === "c-100" ? "allow" : "deny");
        expect(Object.isFrozen(r.args)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
