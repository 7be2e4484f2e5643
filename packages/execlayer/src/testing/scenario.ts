// One scenario: an action (or raw tool call), who asks, the situation, the state, the time; decided by the real
// Enforcer (src/runtime/enforcer.ts) over a fresh in-memory store whose state is seeded first, with a clock fixed
// at the scenario's time. Test blocks and every generated input of a property block run through here, so a
// property's counterexample, printed as a test block, reproduces exactly.
//
// Seeding:
//   counter NAME = N     one event of amount N at the scenario's time, under the key this action uses for NAME
//                        (so it is inside every window); the policy reads N as `counter.NAME`
//   approvals N of G     the action is decided once (creating its approval request, if the policy asks for one);
//                        then N members of G (the first N in the group's declaration order) are recorded as having
//                        approved that request, exactly as valid signed approvals would be (a key counts toward
//                        every required group it belongs to; a member of a group the request does not require
//                        does not count); then the action is decided again, which is the scenario's decision.
//                        Without `of G`: N members of each group the request requires.
import type { JsonObject, SovereignIR } from "../ir/types.ts";
import { Enforcer } from "../runtime/enforcer.ts";
import { enforceableFrom, type EnforceablePolicy } from "../engine/enforceable.ts";
import { approverKey, type ApprovalRecord, type Approver } from "../runtime/approvals.ts";
import { isoMillis } from "../ir/values.ts";
import type { CounterUse } from "../engine/counters.ts";
import { MemoryStore } from "../store/memory.ts";
import type { StateChange } from "../runtime/store.ts";
import type { FieldSchema, FieldType, RecordSchema } from "../check/policy-schema.ts";
import type { JsonValue } from "../ir/types.ts";
import { put } from "./values.ts";
import type { CompiledPolicy } from "../engine/plan.ts";
import type { EnforcerDecision } from "../runtime/outcome.ts";

/** The time of a test without `at`: mid-month, mid-week, midday UTC, far from every calendar window's edge. */
export const DEFAULT_TEST_TIME = "2026-01-15T12:00:00Z";
/** The agent of a test that does not name one. */
export const DEFAULT_AGENT = "test-agent";

export type ScenarioCall =
  | { readonly kind: "action"; readonly type: string; readonly params: JsonObject }
  | { readonly kind: "tool"; readonly tool: string; readonly args: JsonObject };

export interface ApprovalsGiven {
  readonly count: number;
  /** null: every group the request requires */
  readonly group: string | null;
}

export interface Scenario {
  readonly call: ScenarioCall;
  readonly actor: JsonObject;
  readonly context: JsonObject;
  /** counter values before the action, by counter name */
  readonly counters: ReadonlyMap<string, number>;
  readonly approvals: readonly ApprovalsGiven[];
  /** ms since the epoch */
  readonly now: number;
}

export interface ScenarioOutcome {
  readonly decision: EnforcerDecision;
  /** null when the call could not become an IR (the decision is then the runtime's invalid-input deny) */
  readonly ir: SovereignIR | null;
  /** the counters this action reads or counts */
  readonly uses: readonly CounterUse[];
  /** counters the scenario set that this action neither reads nor counts */
  readonly unusedCounters: readonly string[];
  /** approvals recorded on the request the decision used (0 without one) */
  readonly approvals: number;
}

/** A compiled policy ready for scenarios: the Enforcer's view of it is built once. */
export class ScenarioRunner {
  readonly enforceable: EnforceablePolicy;

  constructor(readonly policy: CompiledPolicy) {
    this.enforceable = enforceableFrom(policy);
  }

  /** The proposal the runtime receives for a call: IR-shaped, or an Anthropic `tool_use` block for a tool call. */
  static proposal(call: ScenarioCall): JsonObject {
    return call.kind === "action"
      ? { action: { type: call.type, params: call.params } }
      : { type: "tool_use", id: "toolu_xpol_test", name: call.tool, input: call.args };
  }

  /** Never throws: the Enforcer turns every failure into a deny. */
  async run(s: Scenario): Promise<ScenarioOutcome> {
    const proposal = ScenarioRunner.proposal(s.call);
    const context = { actor: s.actor, context: s.context };
    const built = this.enforceable.toIR(proposal, { ...context, requestedAt: s.now });
    const store = new MemoryStore();
    const enforcer = await Enforcer.create({ policy: this.enforceable, store, clock: () => s.now });
    if (!built.ok) {
      const decision = await enforcer.decide(proposal, context);
      return { decision, ir: null, uses: [], unusedCounters: [...s.counters.keys()], approvals: 0 };
    }
    const counted = this.enforceable.countersFor(built.ir);
    const uses = counted.ok ? counted.uses : [];
    const seeded = uses.filter((u) => (s.counters.get(u.counter) ?? 0) > 0);
    if (seeded.length > 0) {
      const changes: StateChange[] = seeded.map((u) => ({
        op: "count",
        counter: u.counter,
        window: u.window,
        key: u.key,
        at: s.now,
        amount: s.counters.get(u.counter)!,
      }));
      await store.transact({ now: s.now, counters: seeded }, () => ({ result: null, changes }));
    }
    const unusedCounters = [...s.counters.keys()].filter((name) => !uses.some((u) => u.counter === name));

    let decision = await enforcer.decide(proposal, context);
    let approvals = 0;
    const requestId = decision.request?.request.id;
    if (decision.effect === "require_approval" && requestId !== undefined && s.approvals.length > 0) {
      const recorded = await store.transact({ now: s.now, requests: [requestId] }, (view) => {
        const state = view.requestById(requestId);
        if (state === undefined) return { result: 0, changes: [] };
        const records = this.approvalRecords(state.request.approvers, state.request.requirements.map((r) => r.group), s);
        return { result: records.length, changes: records.map((record) => ({ op: "approval" as const, request: requestId, record })) };
      });
      approvals = recorded.ok ? recorded.result : 0;
      decision = await enforcer.decide(proposal, context);
    }
    return { decision, ir: built.ir, uses, unusedCounters, approvals };
  }

  private approvalRecords(approvers: readonly Approver[], required: readonly string[], s: Scenario): ApprovalRecord[] {
    const chosen = new Map<string, string>(); // key id -> member name
    for (const given of s.approvals) {
      const groups = given.group === null ? required : [given.group];
      for (const g of groups) {
        const members = this.policy.groups.get(g) ?? [];
        for (const m of members.slice(0, given.count)) if (!chosen.has(m.keyId)) chosen.set(m.keyId, m.name);
      }
    }
    const out: ApprovalRecord[] = [];
    for (const [keyId, member] of chosen) {
      // the request's approvers whose key this is, read as the runtime reads them
      const groups = approvers.filter((a) => approverKey(a)?.keyId === keyId).map((a) => a.group);
      if (groups.length === 0) continue; // not a member of any required group: the runtime would not count it
      out.push({ approver: keyId, member, groups: [...new Set(groups)].sort(), verdict: "approve", signedAt: isoMillis(s.now), receivedAt: s.now, signature: "" });
    }
    return out;
  }
}

// -----------------------------------------------------------------------------------------------------------------
// Default records: a test names only the fields it cares about; every other required field gets a plain value.

/** A plain value of a type: "", 0, false, [], {}, the first enum value, the epoch, zero seconds. */
export function zeroValue(t: FieldType): JsonValue {
  switch (t.kind) {
    case "string":
    case "bytes":
      return "";
    case "int":
    case "uint":
    case "double":
      return 0;
    case "bool":
      return false;
    case "timestamp":
      return "1970-01-01T00:00:00Z";
    case "duration":
      return "0s";
    case "list":
      return [];
    case "map":
      return {};
    case "enum":
      return t.values[0] ?? "";
    case "dyn":
      return null;
  }
}

/** `given` over defaults for the record's required fields (the actor's `agent` defaults to DEFAULT_AGENT). */
export function withDefaults(record: RecordSchema, given: JsonObject, which: "actor" | "context"): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const f of record.fields.values()) {
    if (f.optional || Object.hasOwn(given, f.name)) continue;
    put(out, f.name, which === "actor" && f.name === "agent" ? DEFAULT_AGENT : zeroValue(f.type));
  }
  for (const [k, v] of Object.entries(given)) put(out, k, v);
  return out;
}

export type { FieldSchema };
