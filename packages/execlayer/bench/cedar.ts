// The Cedar peer for the stateless decision benchmark: examples/invoices/invoices.xpol translated by hand into a
// Cedar schema and policy set, the bench workload (bench/decide.ts) translated into Cedar requests, and Cedar's
// answers mapped back onto our three outcomes so the two engines can be compared decision by decision.
//
// The translation (BENCHMARKS.md explains it at length):
// - principal `Agent::"<actor.agent>"`, action `Action::"<action type>"`, resource `Target::"<action.target>"`;
// - the request context holds the action's parameters (same names) and, for actions whose rules read counters,
//   `counter: { status_updates: Long }`. Actor and context records are not read by this policy in either engine
//   (ours converts them only when a condition reads them), so they are not sent;
// - the schema types every parameter as the .xpol declares it (String, `note?: String` optional); the status enum
//   becomes an enumerated entity type `Status`, so Cedar's request validation (`validateRequest: true`) rejects
//   exactly what our engine rejects as invalid input: undeclared action types, missing, mistyped or undeclared
//   parameters, a status outside the enum. A rejected request is a deny, as in our engine;
// - every .xpol rule becomes one `permit` whose policy id is the rule's name; a rule with `else` becomes two
//   permits, `NAME` (when) and `NAME.else` (unless the same condition);
// - require approval: Cedar decides only allow / deny, so a permit that stands for `require approval M of GROUP
//   within W` carries the annotations `@approval("GROUP") @quorum("M") @within("W")`. Cedar's answer lists the
//   policies that determined it (`diagnostics.reason`): allow determined by at least one annotated permit is
//   require_approval (requirements combined per group: largest quorum, shortest window — our combining rule),
//   allow determined by plain permits only is allow, deny is deny (a `forbid` would beat every permit, as deny
//   beats approval in ours; no permit is deny by default in both).
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { AuthorizationAnswer, CedarValueJson, StatefulAuthorizationCall } from "@cedar-policy/cedar-wasm/nodejs";
import type { JsonValue } from "../src/ir/types.ts";
import type { Decision, Effect } from "../src/vocabulary/decision.ts";
import type { DecideWorkItem } from "./decide.ts";

export const CEDAR_SCHEMA_NAME = "execlayer-bench-invoices";
export const CEDAR_POLICY_SET_ID = "execlayer-bench-invoices";

/** examples/invoices/invoices.xpol's schema in Cedar. */
export const cedarInvoicesSchema = `
entity Agent;
entity Target;
entity Status enum ["paid", "unpaid", "disputed", "void"];

action "invoice.read" appliesTo {
  principal: [Agent], resource: [Target],
  context: { invoice_id: String, customer_id: String }
};
action "invoice.update_status" appliesTo {
  principal: [Agent], resource: [Target],
  context: { invoice_id: String, customer_id: String, status: Status, note?: String, counter: { status_updates: Long } }
};
action "invoice.delete" appliesTo {
  principal: [Agent], resource: [Target],
  context: { invoice_id: String, customer_id: String, reason?: String }
};
action "invoice.delete_all" appliesTo {
  principal: [Agent], resource: [Target],
  context: { customer_id: String, reason?: String }
};
`;

/** examples/invoices/invoices.xpol's rules in Cedar, by policy id (the .xpol rule name, `.else` for else branches). */
export const cedarInvoicesPolicies: Readonly<Record<string, string>> = {
  read_invoices: `permit (principal, action == Action::"invoice.read", resource);`,
  status_updates_within_threshold: `permit (principal, action == Action::"invoice.update_status", resource)
  when { context.counter.status_updates < 1000 };`,
  "status_updates_within_threshold.else": `@approval("finance") @quorum("1") @within("24h")
permit (principal, action == Action::"invoice.update_status", resource)
  unless { context.counter.status_updates < 1000 };`,
  delete_needs_one_approver: `@approval("finance") @quorum("1") @within("24h")
permit (principal, action == Action::"invoice.delete", resource);`,
  delete_all_needs_two_approvers: `@approval("finance") @quorum("2") @within("24h")
permit (principal, action == Action::"invoice.delete_all", resource);`,
};

/** Parameters whose .xpol type is a string enum: sent as entities of the Cedar enumerated type. */
const ENUM_PARAMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "invoice.update_status": { status: "Status" },
};
/** The counters each action type's rules read (what our compiled policy's countersFor lists). */
const COUNTERS_READ: Readonly<Record<string, readonly string[]>> = {
  "invoice.update_status": ["status_updates"],
};

/** Outcome of one Cedar request in our terms. */
export interface CedarDecision {
  readonly effect: Effect;
  /** the .xpol rules that contributed (Cedar's determining policies), in policy-id order */
  readonly rules: readonly { readonly rule: string; readonly otherwise: boolean }[];
  readonly requirements: readonly { readonly group: string; readonly quorum: number; readonly withinMs: number }[];
  /** Cedar rejected the request (schema validation): the counterpart of our invalid-input deny */
  readonly invalid: boolean;
  readonly error?: string;
}

interface PolicyMeta {
  readonly rule: string;
  readonly otherwise: boolean;
  readonly approval: { readonly group: string; readonly quorum: number; readonly withinMs: number } | null;
}

function parseWithin(w: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(w);
  if (m === null) throw new Error(`bad @within annotation \`${w}\``);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}

/** Reads the approval annotations of the policy set (once, at preparation). */
function policyMeta(policies: Readonly<Record<string, string>>): Map<string, PolicyMeta> {
  const out = new Map<string, PolicyMeta>();
  for (const [id, text] of Object.entries(policies)) {
    const json = cedar.policyToJson(text);
    if (json.type !== "success") throw new Error(`cedar policy ${id}: ${json.errors.map((e) => e.message).join("; ")}`);
    const a = json.json.annotations ?? {};
    const otherwise = id.endsWith(".else");
    const rule = otherwise ? id.slice(0, -".else".length) : id;
    const approval =
      a.approval !== undefined ? { group: a.approval, quorum: Number(a.quorum ?? "1"), withinMs: parseWithin(a.within ?? "24h") } : null;
    out.set(id, { rule, otherwise, approval });
  }
  return out;
}

export class CedarPeer {
  readonly #meta: Map<string, PolicyMeta>;

  private constructor(meta: Map<string, PolicyMeta>) {
    this.#meta = meta;
  }

  /** Preparses the schema and policy set into Cedar's cache (done once; not part of any timing). */
  static prepare(): CedarPeer {
    const s = cedar.preparseSchema(CEDAR_SCHEMA_NAME, cedarInvoicesSchema);
    if (s.type !== "success") throw new Error(`cedar schema: ${s.errors.map((e) => e.message).join("; ")}`);
    const p = cedar.preparsePolicySet(CEDAR_POLICY_SET_ID, { staticPolicies: { ...cedarInvoicesPolicies } });
    if (p.type !== "success") throw new Error(`cedar policies: ${p.errors.map((e) => e.message).join("; ")}`);
    const v = cedar.validate({ schema: cedarInvoicesSchema, policies: { staticPolicies: { ...cedarInvoicesPolicies } } });
    if (v.type !== "success" || v.validationErrors.length > 0) throw new Error(`cedar policies do not validate: ${JSON.stringify(v)}`);
    return new CedarPeer(policyMeta(cedarInvoicesPolicies));
  }

  /** Answers one prepared request in our terms. */
  decide(call: StatefulAuthorizationCall): CedarDecision {
    return this.interpret(cedar.statefulIsAuthorized(call));
  }

  interpret(answer: AuthorizationAnswer): CedarDecision {
    if (answer.type === "failure") {
      return { effect: "deny", rules: [], requirements: [], invalid: true, error: answer.errors.map((e) => e.message).join("; ") };
    }
    const { decision, diagnostics } = answer.response;
    const ids = [...diagnostics.reason].sort();
    const rules = ids.map((id) => {
      const m = this.#meta.get(id);
      return { rule: m?.rule ?? id, otherwise: m?.otherwise ?? false };
    });
    if (decision === "deny") return { effect: "deny", rules, requirements: [], invalid: false };
    const byGroup = new Map<string, { group: string; quorum: number; withinMs: number }>();
    for (const id of ids) {
      const a = this.#meta.get(id)?.approval;
      if (a === null || a === undefined) continue;
      const prev = byGroup.get(a.group);
      byGroup.set(a.group, prev === undefined ? { ...a } : { group: a.group, quorum: Math.max(prev.quorum, a.quorum), withinMs: Math.min(prev.withinMs, a.withinMs) });
    }
    if (byGroup.size === 0) return { effect: "allow", rules, requirements: [], invalid: false };
    const requirements = [...byGroup.values()].sort((x, y) => (x.group < y.group ? -1 : x.group > y.group ? 1 : 0));
    return { effect: "require_approval", rules, requirements, invalid: false };
  }
}

function cedarValue(v: JsonValue): CedarValueJson {
  if (Array.isArray(v)) return v.map(cedarValue);
  if (v !== null && typeof v === "object") {
    const out: Record<string, CedarValueJson> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = cedarValue(x);
    return out;
  }
  return v as CedarValueJson;
}

/** The Cedar request for one workload item (built once, outside any timing, as our IRs are). */
export function toCedarRequest(x: DecideWorkItem): StatefulAuthorizationCall {
  const { action, actor } = x.ir;
  const context: Record<string, CedarValueJson> = {};
  const enums = ENUM_PARAMS[action.type] ?? {};
  for (const [k, v] of Object.entries(action.params)) {
    if (v === null) continue; // null is absent, as in our engine
    const entityType = enums[k];
    context[k] = entityType !== undefined && typeof v === "string" ? { __entity: { type: entityType, id: v } } : cedarValue(v);
  }
  const read = COUNTERS_READ[action.type];
  if (read !== undefined) {
    const counter: Record<string, CedarValueJson> = {};
    for (const name of read) counter[name] = x.counters.get(name) ?? 0;
    context.counter = counter;
  }
  return {
    principal: { type: "Agent", id: actor.agent },
    action: { type: "Action", id: action.type },
    resource: { type: "Target", id: action.target ?? "" },
    context,
    preparsedSchemaName: CEDAR_SCHEMA_NAME,
    validateRequest: true,
    preparsedPolicySetId: CEDAR_POLICY_SET_ID,
    entities: [],
  };
}

/** Why our decision and Cedar's differ, or null when they agree on effect, rules, requirements and validity. */
export function disagreement(ours: Decision, theirs: CedarDecision): string | null {
  if (ours.effect !== theirs.effect) return `effect: ours ${ours.effect}, cedar ${theirs.effect}`;
  const oursInvalid = ours.code !== undefined && ours.code.startsWith("XP4");
  if (oursInvalid !== theirs.invalid) return `invalid input: ours ${oursInvalid} (${ours.code ?? "no code"}), cedar ${theirs.invalid}${theirs.error !== undefined ? ` (${theirs.error})` : ""}`;
  const ourRules = ours.rules
    .map((r) => `${r.rule}${r.otherwise === true ? ".else" : ""}`)
    .sort()
    .join(",");
  const theirRules = theirs.rules.map((r) => `${r.rule}${r.otherwise ? ".else" : ""}`).join(",");
  if (ourRules !== theirRules) return `contributing rules: ours [${ourRules}], cedar [${theirRules}]`;
  const ourReqs = JSON.stringify((ours.approval?.requirements ?? []).map((r) => [r.group, r.quorum, r.withinMs]));
  const theirReqs = JSON.stringify(theirs.requirements.map((r) => [r.group, r.quorum, r.withinMs]));
  if (ourReqs !== theirReqs) return `approval requirements: ours ${ourReqs}, cedar ${theirReqs}`;
  return null;
}

export interface Agreement {
  readonly ok: boolean;
  /** how many items were compared */
  readonly compared: number;
  /** the first disagreement, in workload order */
  readonly first?: { readonly index: number; readonly label: string; readonly why: string; readonly ours: Decision; readonly cedar: CedarDecision };
  /** per effect, how many workload items reach it (ours) */
  readonly effects: Readonly<Record<string, number>>;
}

/** Runs the whole workload through both engines and compares every decision. */
export function checkAgreement(
  policy: { evaluate(ir: DecideWorkItem["ir"], counters: DecideWorkItem["counters"]): Decision },
  items: readonly DecideWorkItem[],
  peer: CedarPeer,
): Agreement {
  const effects: Record<string, number> = {};
  for (let i = 0; i < items.length; i++) {
    const x = items[i]!;
    const ours = policy.evaluate(x.ir, x.counters);
    const theirs = peer.decide(toCedarRequest(x));
    effects[ours.effect] = (effects[ours.effect] ?? 0) + 1;
    const why = disagreement(ours, theirs);
    if (why !== null) return { ok: false, compared: i + 1, first: { index: i, label: x.label, why, ours, cedar: theirs }, effects };
  }
  return { ok: true, compared: items.length, effects };
}

let sink: unknown;

/** Milliseconds for `iterations` Cedar decisions cycling through prepared requests in order (mapping included). */
export function timeCedar(peer: CedarPeer, requests: readonly StatefulAuthorizationCall[], iterations: number): number {
  const n = requests.length;
  const t0 = performance.now();
  for (let i = 0, k = 0; i < iterations; i++) {
    sink = peer.decide(requests[k]!);
    if (++k === n) k = 0;
  }
  void sink;
  return performance.now() - t0;
}
