// A hand-written EnforceablePolicy shaped like the invoice example, so Enforcer tests do not depend on the compiler.
import { digest } from "../../../src/index.ts";
import type { JsonObject, SovereignIR } from "../../../src/index.ts";
import type { Decision, Tier } from "../../../src/index.ts";
import type { EnforceablePolicy, IrBuild } from "../../../src/index.ts";
import type { WindowSpec } from "../../../src/index.ts";
import type { Signer } from "../../../src/index.ts";
import type { ApproverKey } from "../../../src/vocabulary/approvers.ts";

export interface FakePolicyOptions {
  readonly limit?: number;
  readonly window?: WindowSpec;
  readonly groups: Record<string, readonly (readonly [string, Signer])[]>;
  readonly digest?: string;
  /** make evaluate throw (fail-closed tests) */
  readonly explode?: boolean;
}

const TIERS: Record<string, Tier> = { "invoice.read": "T0", "invoice.update_status": "T1", "invoice.delete": "T2", "invoice.delete_all": "T3", "invoice.purge": "T3" };
const TOOLS: Record<string, string> = { get_invoice: "invoice.read", set_invoice_status: "invoice.update_status", delete_invoice: "invoice.delete", delete_customer_invoices: "invoice.delete_all" };
const H24 = 86_400_000;

export function fakePolicy(o: FakePolicyOptions): EnforceablePolicy {
  const limit = o.limit ?? 1000;
  const window: WindowSpec = o.window ?? { kind: "calendar", unit: "month" };
  const groups = new Map<string, ApproverKey[]>(
    Object.entries(o.groups).map(([g, members]) => [g, members.map(([name, s]) => ({ name, publicKey: s.publicKey, keyId: s.keyId }))]),
  );
  return {
    name: "invoices",
    version: "1.0.0",
    digest: o.digest ?? "sha256:" + "aa".repeat(32),
    groups,
    toIR(proposal, opts): IrBuild {
      const p = proposal as Record<string, unknown>;
      let type: string;
      let params: JsonObject;
      if (p?.["type"] === "tool_use") {
        const t = TOOLS[String(p["name"])];
        if (t === undefined) return { ok: false, error: { code: "XP4012", message: `no tool mapping for \`${String(p["name"])}\``, path: "$.name" } };
        type = t;
        params = p["input"] as JsonObject;
      } else if (typeof p?.["action"] === "object" && p["action"] !== null) {
        const a = p["action"] as Record<string, unknown>;
        type = String(a["type"]);
        params = (a["params"] ?? {}) as JsonObject;
      } else {
        return { ok: false, error: { code: "XP4010", message: "unrecognized proposal", path: "$" } };
      }
      if (TIERS[type] === undefined) return { ok: false, error: { code: "XP4020", message: `unknown action type \`${type}\``, path: "$.action.type" } };
      const target = typeof params["invoice_id"] === "string" ? `invoice/${params["invoice_id"]}` : null;
      const actor = { agent: "bot", ...(opts.actor ?? {}) } as SovereignIR["actor"];
      const ir: SovereignIR = { version: "1", action: { type, target, params }, actor, context: opts.context ?? {}, requested_at: new Date(opts.requestedAt).toISOString() };
      const { session: _s, ...stable } = actor;
      return {
        ok: true,
        ir,
        actionDigest: digest({ kind: "execlayer/action/v1", action: ir.action, actor: stable } as unknown as JsonObject),
        irDigest: digest({ kind: "execlayer/ir/v1", ir } as unknown as JsonObject),
      };
    },
    countersFor(ir) {
      if (ir.action.type !== "invoice.update_status") return { ok: true, uses: [] };
      return { ok: true, uses: [{ counter: "status_updates", key: JSON.stringify([ir.actor.agent]), window, amount: 1, increments: true }] };
    },
    evaluate(ir, counters): Decision {
      if (o.explode === true) throw new Error("boom");
      const type = ir.action.type;
      const tier = TIERS[type]!;
      const base = { tier, actionType: type };
      switch (type) {
        case "invoice.read":
          return { ...base, effect: "allow", rules: [{ rule: "read_invoices", effect: "allow" }], reasons: ["reads are allowed"] };
        case "invoice.update_status":
          return (counters.get("status_updates") ?? 0) < limit
            ? { ...base, effect: "allow", rules: [{ rule: "status_updates", effect: "allow" }], reasons: ["within the monthly threshold"] }
            : {
                ...base,
                effect: "require_approval",
                rules: [{ rule: "status_updates", effect: "require_approval", otherwise: true }],
                reasons: ["over the monthly threshold"],
                approval: { requirements: [{ group: "finance", quorum: 1, withinMs: H24 }] },
              };
        case "invoice.delete":
          return {
            ...base,
            effect: "require_approval",
            rules: [{ rule: "delete", effect: "require_approval" }],
            reasons: ["deleting needs one approver"],
            // a risky context asks for two (a requirement that depends on more than the action)
            approval: { requirements: [{ group: "finance", quorum: ir.context["risk"] === "high" ? 2 : 1, withinMs: H24 }] },
          };
        case "invoice.delete_all":
          return {
            ...base,
            effect: "require_approval",
            rules: [{ rule: "delete_all", effect: "require_approval" }],
            reasons: ["deleting everything needs two approvers"],
            approval: { requirements: [{ group: "finance", quorum: 2, withinMs: H24 }] },
          };
        default:
          return { ...base, effect: "deny", rules: [{ rule: "no_purge", effect: "deny" }], reasons: ["purging is forbidden"] };
      }
    },
  };
}

/** A clock the test moves by hand. */
export function manualClock(start: number): { now: () => number; set: (t: number) => void; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, set: (x) => void (t = x), advance: (ms) => void (t += ms) };
}
