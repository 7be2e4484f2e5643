// The Enforcer: the stateful runtime around a compiled policy. One `decide` = normalize the proposal, then, in one
// store transaction, read the counters it uses, evaluate the policy, and apply what the decision implies:
//   allow             -> increment the action's counters
//   deny              -> nothing
//   require approval  -> find this action's open request (same policy digest and action digest) or create one;
//                        if that request is fully approved, the action is allowed now, exactly once: the request is
//                        marked used and the counters are incremented; a used request denies further attempts
//                        (replay) until it expires; a vetoed request denies until it expires; a request that expired
//                        unused denies once (then it is forgotten and the next proposal starts a new request).
// In a journaled store each transaction is one receipt whose body holds the state changes; a decision is returned
// only after its receipt is durable. Nothing throws out of `decide` or `submitApproval`: any failure is a deny.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import type { JsonObject, SovereignIR } from "../ir/types.ts";
import type { Receipt } from "../receipts/receipt.ts";
import type { EnforcerDecision } from "./outcome.ts";
import { decisionBody, forcedDenyBody, policyJson, type ActionFields, type ForcedDenyInput } from "./receipt-body.ts";
import type { JournalEvent, StateChange, StateStore, StateView, TxStep } from "./store.ts";
import {
  approversFor,
  DEFAULT_SIGNED_AT_SKEW_MS,
  expiryOf,
  isSatisfied,
  requestIdFor,
  vetoOf,
  type ApprovalRequest,
  type Approver,
  type RequestState,
} from "./approvals.ts";
import type { CounterUse } from "../engine/counters.ts";
import { describeRequirements, type ApprovalRequirement, type Decision } from "../vocabulary/decision.ts";
import { enforceableFrom, isEnforceable, type DecideContext, type EnforceablePolicy, type IrBuild } from "../engine/enforceable.ts";
import { requestInfo as info, submitApprovalTo, type ApprovalRequestInfo, type ApprovalSubmission } from "./submit-approval.ts";
import { guardTool, type GuardOptions } from "./guard.ts";
import { toolCallProposal, type ToolCallDecision } from "./tool-call.ts";
import { snapshotToolArgs } from "../ir/snapshot.ts";
import { isoMillis } from "../ir/values.ts";
import type { CompiledPolicy } from "../engine/plan.ts";
import type { Result } from "../vocabulary/result.ts";
import { inputProblemLead } from "../engine/engine.ts";
import { decodeApproverKey } from "../check/policy-keys.ts";
import type { PrincipalKeyring } from "./principal-keyring.ts";
import { generateRedactionKey, sensitiveCommitter, type RedactionKey, type SensitiveCommitter } from "../receipts/redaction.ts";
import { isVerifiedBundle, verifyBundle, type BundleApproval, type BundleSigner, type VerifiedBundle } from "./bundle-approvals.ts";

/** The time source: ms since the epoch (or a Date). */
export type Clock = () => number | Date;

export interface EnforcerOptions {
  /** a compiled policy (`compilePolicy`), or anything implementing EnforceablePolicy; or give `bundle` */
  readonly policy?: CompiledPolicy | EnforceablePolicy;
  /**
   * a signed policy bundle (`xpol compile -o`, then `xpol sign-bundle` by each approver; its JSON text or value):
   * the Enforcer loads it only when `quorum` distinct `signers` approved its digest (else `create` rejects), and
   * every receipt names the bundle and its signers; or a bundle `verifyBundle` already verified
   */
  readonly bundle?: { readonly bundle: unknown; readonly signers: readonly BundleSigner[]; readonly quorum: number } | VerifiedBundle;
  /**
   * where counters, approval requests and receipts live: \`new MemoryStore()\` for one process (with a
   * \`MemoryJournal\` to sign receipts in memory), \`await DurableStore.open(dir)\` to survive restarts
   */
  readonly store: StateStore<Receipt>;
  readonly clock?: Clock;
  /** clock-skew allowance for approvers' `signed_at` (default 30 s) */
  readonly signedAtSkewMs?: number;
  /**
   * the key `@sensitive` values are committed under in receipts (HMAC-SHA256, receipts/redaction.ts); default: the
   * store's (`DIR/runtime.redaction-key` of a DurableStore, one per MemoryStore), else one made for this runtime.
   * Replicas sharing a store must share it: the action digest of a proposal with sensitive values depends on it; a
   * store shared by replicas refuses any other than the fleet's (`StateStore.checkRedactionKey`: create throws its
   * StoreError, XP5026).
   */
  readonly redactionKey?: RedactionKey;
  /**
   * the approver keys of principals, for groups declared `group NAME per actor.FIELD` (runtime/principal-keyring.ts);
   * default: the store's (`DIR/principals.keyring` of a DurableStore). Without one, such a group has no approvers
   * and a decision requiring it is denied (XP5008).
   */
  readonly principalKeys?: PrincipalKeyring;
  /**
   * shadow mode: a candidate policy that decides every call too, with the same counter values, and is never
   * enforced; its decision is recorded in the receipt beside the real one (`shadow`), returned as
   * `decision.shadow` and counted (`shadowCounts()`). `xpol replay --shadow` summarizes a period of them.
   */
  readonly shadow?: CompiledPolicy | EnforceablePolicy;
}

/** A bundle Enforcer.create refused to load: not a bundle, or without the quorum of approvals. */
export class BundleRefused extends Error {
  readonly code = Diagnostics.invalidBundle.code;
  constructor(why: string) {
    super(`policy bundle refused: ${why}`);
    this.name = "BundleRefused";
  }
}

/** Shadow mode's tally: how often the real policy's effect met each effect of the candidate. */
export interface ShadowCount {
  readonly real: Decision["effect"];
  readonly shadow: Decision["effect"];
  readonly count: number;
}


function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A decision the runtime forces: deny with a code and a reason, keeping what the policy said for the record. */
function forcedDeny(base: Decision | null, code: string, reason: string): Decision {
  return {
    effect: "deny",
    tier: base?.tier ?? null,
    actionType: base?.actionType ?? null,
    rules: base?.rules ?? [],
    reasons: [reason, ...(base?.reasons ?? [])],
    code,
  };
}

function withoutApproval(d: Decision, effect: "allow", reasons: readonly string[]): Decision {
  const out: { -readonly [K in keyof Decision]: Decision[K] } = { effect, tier: d.tier, actionType: d.actionType, rules: d.rules, reasons };
  if (d.code !== undefined) out.code = d.code;
  return out;
}

// the receipt body's schema lives in receipt-body.ts; decisionToJson is exported from here too (src/index.ts, cli)

/** The counter increments of an action that runs, or the deny when an amount is unusable. */
function countChanges(
  reads: Evaluated["reads"],
  evaluated: Decision,
  now: number,
): { ok: true; changes: StateChange[] } | { ok: false; decision: Decision } {
  const changes: StateChange[] = [];
  for (const { use, value } of reads) {
    if (!use.increments) continue;
    if (!Number.isSafeInteger(use.amount)) {
      const why = Diagnostics.counterAmountInvalid.message(use.counter, `amount ${use.amount} is not an integer`);
      return { ok: false, decision: forcedDeny(evaluated, Diagnostics.counterAmountInvalid.code, why) };
    }
    if (!Number.isSafeInteger(value + use.amount)) {
      return { ok: false, decision: forcedDeny(evaluated, Diagnostics.counterOverflow.code, Diagnostics.counterOverflow.message(use.counter)) };
    }
    changes.push({ op: "count", counter: use.counter, window: use.window, key: use.key, at: now, amount: use.amount });
  }
  return { ok: true, changes };
}

/** Every current requirement is asked at least as strictly by the request's: same group, quorum >=, window <=. */
function covers(requested: readonly ApprovalRequirement[], current: readonly ApprovalRequirement[]): boolean {
  return current.every((q) => requested.some((r) => r.group === q.group && r.quorum >= q.quorum && r.withinMs <= q.withinMs));
}

interface Evaluated {
  readonly decision: Decision;
  readonly changes: StateChange[];
  readonly request?: RequestState;
  readonly consumed: boolean;
  readonly reads: readonly { readonly use: CounterUse; readonly value: number }[];
  /** shadow mode: the candidate's decision */
  readonly shadow?: Decision;
}

/** The candidate's view of a call, prepared before the transaction (its IR and the counters it reads). */
type ShadowCall = { readonly ir: SovereignIR; readonly uses: readonly CounterUse[] } | { readonly decision: Decision };

export class Enforcer {
  readonly policy: EnforceablePolicy;
  readonly store: StateStore<Receipt>;
  readonly #clock: () => number;
  readonly #skewMs: number;
  readonly #values = new Map<string, number>();
  /** the id of the key sensitive values are committed under (receipts name it) */
  readonly redactionKeyId: string;
  readonly #commit: SensitiveCommitter;
  readonly #principalKeys: PrincipalKeyring | undefined;
  /** the signed bundle the policy came from (digest, quorum, signers), or null */
  readonly bundle: BundleApproval | null;
  /** shadow mode's candidate, or null */
  readonly shadowPolicy: EnforceablePolicy | null;
  readonly #shadowCounts = new Map<string, ShadowCount>();

  private constructor(
    policy: EnforceablePolicy,
    store: StateStore<Receipt>,
    clock: () => number,
    skewMs: number,
    keys: { readonly redactionKey: RedactionKey; readonly principalKeys: PrincipalKeyring | undefined },
    shadow: EnforceablePolicy | null,
    bundle: BundleApproval | null,
  ) {
    this.bundle = bundle;
    const { redactionKey, principalKeys } = keys;
    this.policy = policy;
    this.#principalKeys = principalKeys;
    this.store = store;
    this.#clock = clock;
    this.#skewMs = skewMs;
    this.redactionKeyId = redactionKey.keyId;
    this.#commit = sensitiveCommitter(redactionKey);
    this.shadowPolicy = shadow;
  }

  static async create(options: EnforcerOptions): Promise<Enforcer> {
    const store = options.store;
    let given = options.policy;
    let bundle: BundleApproval | null = null;
    if (options.bundle !== undefined) {
      if (given !== undefined) throw new BundleRefused("give `policy` or `bundle`, not both");
      const b = options.bundle;
      let verified: VerifiedBundle;
      if (isVerifiedBundle(b)) verified = b;
      else if ("signers" in b) {
        const v = verifyBundle(b.bundle, b.signers, b.quorum);
        if (!v.ok) throw new BundleRefused(v.error);
        verified = v.value;
      } else throw new BundleRefused("`bundle` is neither a bundle with its signers and quorum nor a result of verifyBundle");
      given = verified.policy;
      bundle = verified.approval;
    }
    if (given === undefined) throw new TypeError("Enforcer.create needs `policy` (or a signed `bundle`)");
    // compilePolicy answers `policy: null` with its diagnostics when the files do not compile: say so, not a TypeError
    // from deep inside (plain JavaScript callers pass it on unchecked).
    if ((given as unknown) === null) throw new TypeError("Enforcer.create: `policy` is null (compilePolicy returns null when the policy has errors: check its diagnostics)");
    if ((options.shadow as unknown) === null) throw new TypeError("Enforcer.create: `shadow` is null (compilePolicy returns null when the policy has errors: check its diagnostics)");
    const clock = options.clock ?? Date.now;
    const now = (): number => {
      const t = clock();
      return typeof t === "number" ? t : t.getTime();
    };
    const policy = isEnforceable(given) ? given : enforceableFrom(given);
    const shadow = options.shadow === undefined ? null : isEnforceable(options.shadow) ? options.shadow : enforceableFrom(options.shadow);
    const redactionKey = options.redactionKey ?? store.redactionKey ?? generateRedactionKey();
    const shared = store.checkRedactionKey?.(redactionKey.keyId);
    if (shared !== undefined && !shared.ok) throw shared.error;
    const keys = { redactionKey, principalKeys: options.principalKeys ?? store.principalKeys };
    return new Enforcer(policy, store, now, options.signedAtSkewMs ?? DEFAULT_SIGNED_AT_SKEW_MS, keys, shadow, bundle);
  }

  /** Decides one proposed action (a tool call in any supported shape, or an IR-shaped action). Never throws. */
  async decide(proposal: unknown, context: DecideContext = {}): Promise<EnforcerDecision> {
    let now = Number.NaN;
    try {
      now = this.#clock();
      if (!Number.isFinite(now)) throw new Error("the clock returned an invalid time");
      return await this.#decide(proposal, context, now);
    } catch (e: unknown) {
      const decision = forcedDeny(null, Diagnostics.runtimeInternalError.code, Diagnostics.runtimeInternalError.message(message(e)));
      return this.#recordOnly(decision, Number.isFinite(now) ? now : Date.now(), {});
    }
  }

  /**
   * The IR this Enforcer builds for a proposal at a given request time (ms since the epoch), with the same
   * commitments of @sensitive values as `decide`, so its digests can be held against a decision's; nothing is decided
   * or recorded. (The service uses it to show an approver the values a request was opened with, once it has shown
   * they are the decided ones.)
   */
  irAt(proposal: unknown, context: DecideContext, requestedAt: number): IrBuild {
    return this.policy.toIR(proposal, { actor: context.actor, context: context.context, requestedAt, commit: this.#commit });
  }

  async #decide(proposal: unknown, context: DecideContext, now: number): Promise<EnforcerDecision> {
    const policy = this.policy;
    const built: IrBuild = policy.toIR(proposal, { actor: context.actor, context: context.context, requestedAt: now, commit: this.#commit });
    if (!built.ok) return this.#refuseInput(inputProblemLead(built.error.path), built.error, now);
    const { ir, actionDigest, irDigest } = built;
    const counted = policy.countersFor(ir);
    if (!counted.ok) {
      const decision = forcedDeny(null, counted.error.code, counted.error.message);
      return this.#recordOnly(decision, now, { action: this.#action(built) });
    }
    const uses = counted.uses;
    const shadowCall = this.shadowPolicy === null ? null : this.#shadowCall(this.shadowPolicy, proposal, context, now);
    const scoped = shadowCall !== null && "uses" in shadowCall && shadowCall.uses.length > 0 ? [...uses, ...shadowCall.uses] : uses;
    const outcome = await this.store.transact(
      { now, counters: scoped, actions: [{ policyDigest: policy.digest, actionDigest }] },
      (view) => {
        let ev: Evaluated;
        try {
          ev = this.#evaluate(view, ir, actionDigest, irDigest, uses, now);
        } catch (e: unknown) {
          // fail closed, but still inside the transaction so the deny is recorded
          const decision = forcedDeny(null, Diagnostics.runtimeInternalError.code, Diagnostics.runtimeInternalError.message(message(e)));
          ev = { decision, changes: [], consumed: false, reads: [] };
        }
        if (shadowCall !== null) ev = { ...ev, shadow: this.#shadowDecide(view, shadowCall, now) };
        if (!this.store.journaled) return { result: ev, changes: ev.changes };
        const step: TxStep<Evaluated> = { result: ev, changes: ev.changes, event: this.#decisionEvent(ev, built, now) };
        return step;
      },
    );
    if (!outcome.ok) {
      return { ...forcedDeny(null, outcome.error.code, outcome.error.message), actionDigest, irDigest };
    }
    const ev = outcome.result;
    // one object per decision: the engine's decisions are shared frozen objects
    const out: { -readonly [K in keyof EnforcerDecision]: EnforcerDecision[K] } = { ...ev.decision, actionDigest, irDigest };
    if (ev.request !== undefined) out.request = info(ev.request, now);
    if (outcome.receipt !== undefined) out.receipt = outcome.receipt;
    if (ev.shadow !== undefined) {
      out.shadow = ev.shadow;
      const k = `${ev.decision.effect}>${ev.shadow.effect}`;
      const c = this.#shadowCounts.get(k);
      this.#shadowCounts.set(k, { real: ev.decision.effect, shadow: ev.shadow.effect, count: (c?.count ?? 0) + 1 });
    }
    return out;
  }

  /** Shadow mode: the candidate's IR and counters for the call (its own schema and mappings), outside the transaction. */
  #shadowCall(shadow: EnforceablePolicy, proposal: unknown, context: DecideContext, now: number): ShadowCall {
    try {
      const built = shadow.toIR(proposal, { actor: context.actor, context: context.context, requestedAt: now });
      if (!built.ok) return { decision: forcedDeny(null, built.error.code, `${inputProblemLead(built.error.path)}: ${built.error.message}`) };
      const counted = shadow.countersFor(built.ir);
      if (!counted.ok) return { decision: forcedDeny(null, counted.error.code, counted.error.message) };
      return { ir: built.ir, uses: counted.uses };
    } catch (e: unknown) {
      return { decision: forcedDeny(null, Diagnostics.runtimeInternalError.code, Diagnostics.runtimeInternalError.message(message(e))) };
    }
  }

  /**
   * Inside the transaction: the candidate decides with the counter values it reads now (cells it shares with the
   * real policy, by name and window, hold the real counts; a counter only the candidate declares reads what the
   * real policy never counted: 0). Changes nothing; a failure is the candidate's deny, never the real decision's.
   */
  #shadowDecide(view: StateView, call: ShadowCall, now: number): Decision {
    if ("decision" in call) return call.decision;
    try {
      const values = new Map<string, number>();
      for (const use of call.uses) if (!values.has(use.counter)) values.set(use.counter, view.counter(use.counter, use.window, use.key, now));
      return this.shadowPolicy!.evaluate(call.ir, values);
    } catch (e: unknown) {
      return forcedDeny(null, Diagnostics.runtimeInternalError.code, Diagnostics.runtimeInternalError.message(message(e)));
    }
  }

  /** Shadow mode's tally since this Enforcer was created: real effect -> candidate effect, with counts. */
  shadowCounts(): readonly ShadowCount[] {
    return [...this.#shadowCounts.values()];
  }

  // The engine hands out the same requirements array for the same outcome: share one approvers list among requests.
  readonly #approversCache = new WeakMap<readonly ApprovalRequirement[], Approver[]>();
  #approvers(requirements: readonly ApprovalRequirement[]): Approver[] {
    let a = this.#approversCache.get(requirements);
    if (a === undefined) {
      a = approversFor(this.policy.groups, requirements);
      this.#approversCache.set(requirements, a);
    }
    return a;
  }

  /**
   * The approvers a new request pins: the members of its static groups, and for a group resolved per principal the
   * keys the principal keyring holds for the value of the group's actor field (strictly decoded: an invalid key is an
   * error, not skipped). Never from the proposal: `actor` is the caller's.
   */
  #resolveApprovers(requirements: readonly ApprovalRequirement[], ir: SovereignIR): Result<Approver[], { group: string; why: string }> {
    const fixed = this.#approvers(requirements);
    const perPrincipal = this.policy.principalGroups;
    if (perPrincipal === undefined || perPrincipal.size === 0 || !requirements.some((q) => perPrincipal.has(q.group))) return { ok: true, value: fixed };
    const out = [...fixed];
    for (const q of requirements) {
      const field = perPrincipal.get(q.group);
      if (field === undefined) continue;
      const fail = (why: string) => ({ ok: false, error: { group: q.group, why } }) as const;
      const principal = ir.actor[field];
      if (typeof principal !== "string" || principal === "") return fail(`\`actor.${field}\` names no principal (it is ${principal === undefined ? "absent" : JSON.stringify(principal)})`);
      if (this.#principalKeys === undefined) return fail(`the runtime has no principal keyring to find the keys of \`${principal}\` (Enforcer.create({ principalKeys }), or principals.keyring in the state directory)`);
      const keys = this.#principalKeys.keysFor(principal);
      if (!keys.ok) return fail(keys.error);
      if (keys.value.length < q.quorum) return fail(`the principal keyring holds no key for \`${principal}\` (\`actor.${field}\`)`);
      const seen = new Set<string>();
      for (const k of keys.value) {
        const decoded = decodeApproverKey(k);
        if (!decoded.ok) return fail(`the principal keyring holds an invalid key for \`${principal}\`: ${decoded.error}`);
        if (seen.has(decoded.value.text)) continue;
        seen.add(decoded.value.text);
        out.push({ group: q.group, name: principal, key: decoded.value.text });
      }
    }
    return { ok: true, value: out };
  }

  /** Inside the transaction: read, evaluate, decide what changes. Synchronous. */
  #evaluate(view: StateView, ir: SovereignIR, actionDigest: string, irDigest: string, uses: readonly CounterUse[], now: number): Evaluated {
    const policy = this.policy;
    // reused: the policy reads it only during this synchronous call
    const values = this.#values;
    values.clear();
    const reads: { use: CounterUse; value: number }[] = [];
    for (const use of uses) {
      const value = view.counter(use.counter, use.window, use.key, now);
      reads.push({ use, value });
      if (!values.has(use.counter)) values.set(use.counter, value);
    }
    const evaluated = policy.evaluate(ir, values);

    switch (evaluated.effect) {
      case "deny":
        return { decision: evaluated, changes: [], consumed: false, reads };
      case "allow": {
        const inc = countChanges(reads, evaluated, now);
        return inc.ok ? { decision: evaluated, changes: inc.changes, consumed: false, reads } : { decision: inc.decision, changes: [], consumed: false, reads };
      }
      case "require_approval":
        break;
    }

    const requirements: readonly ApprovalRequirement[] = evaluated.approval?.requirements ?? [];
    if (requirements.length === 0 || requirements.some((q) => !(q.withinMs > 0) || !Number.isSafeInteger(q.quorum) || q.quorum < 1)) {
      const why = "the policy asks for approval without a valid requirement (quorum >= 1, a positive window)";
      return { decision: forcedDeny(evaluated, Diagnostics.runtimeInternalError.code, Diagnostics.runtimeInternalError.message(why)), changes: [], consumed: false, reads };
    }

    const existing = view.requestForAction(policy.digest, actionDigest);
    if (existing !== undefined) {
      const r = existing.request;
      const veto = vetoOf(existing);
      const settled = existing.consumedAt !== null || veto !== undefined;
      if (now > r.expiresAt && !settled) {
        const decision = forcedDeny(evaluated, Diagnostics.approvalExpired.code, Diagnostics.approvalExpired.message(r.id, isoMillis(r.expiresAt)));
        return { decision, changes: [{ op: "close", request: r.id, at: now, reason: "expired" }], request: existing, consumed: false, reads };
      }
      if (now <= r.expiresAt) {
        if (existing.consumedAt !== null) {
          const decision = forcedDeny(evaluated, Diagnostics.approvalReplayed.code, Diagnostics.approvalReplayed.message(r.id, isoMillis(existing.consumedAt)));
          return { decision, changes: [], request: existing, consumed: false, reads };
        }
        if (veto !== undefined) {
          const decision = forcedDeny(evaluated, Diagnostics.approvalVetoed.code, Diagnostics.approvalVetoed.message(r.id, `\`${veto.member}\` (${veto.approver})`));
          return { decision, changes: [], request: existing, consumed: false, reads };
        }
        if (!covers(r.requirements, requirements)) {
          // The policy now asks for something this request cannot give (another group, a larger quorum, a shorter
          // window: conditions may read context, time or counters). A new request with the current requirements
          // replaces it; approvals given to the old one do not carry over.
          return this.#newRequest(evaluated, ir, actionDigest, irDigest, requirements, now, reads, [
            `approval request ${r.id} was replaced: the policy now requires ${describeRequirements(requirements)}`,
            ...evaluated.reasons,
          ]);
        }
        // covered: the request asks at least as much as the policy does now, so its own quorum is the bar
        if (isSatisfied(existing)) {
          const inc = countChanges(reads, evaluated, now);
          if (!inc.ok) return { decision: inc.decision, changes: [], request: existing, consumed: false, reads };
          const names = existing.approvals.filter((a) => a.verdict === "approve").map((a) => a.member);
          const decision = withoutApproval(evaluated, "allow", [`approved by ${names.join(", ")} (request ${r.id})`, ...evaluated.reasons]);
          const changes: StateChange[] = [{ op: "consume", request: r.id, at: now }, ...inc.changes];
          const used: RequestState = { ...existing, consumedAt: now };
          return { decision, changes, request: used, consumed: true, reads };
        }
        return { decision: evaluated, changes: [], request: existing, consumed: false, reads };
      }
      // expired and settled (used or vetoed): forgotten; a new request starts below
    }
    return this.#newRequest(evaluated, ir, actionDigest, irDigest, requirements, now, reads, evaluated.reasons);
  }

  #newRequest(
    evaluated: Decision,
    ir: SovereignIR,
    actionDigest: string,
    irDigest: string,
    requirements: readonly ApprovalRequirement[],
    now: number,
    reads: Evaluated["reads"],
    reasons: readonly string[],
  ): Evaluated {
    const policy = this.policy;
    const approvers = this.#resolveApprovers(requirements, ir);
    if (!approvers.ok) {
      const { group, why } = approvers.error;
      const decision = forcedDeny(evaluated, Diagnostics.approversUnresolved.code, Diagnostics.approversUnresolved.message(group, why));
      return { decision, changes: [], consumed: false, reads };
    }
    const request: ApprovalRequest = {
      id: requestIdFor(policy.digest, actionDigest, now, requirements),
      actionDigest,
      irDigest,
      policyDigest: policy.digest,
      tier: evaluated.tier,
      actionType: ir.action.type,
      target: ir.action.target,
      requirements,
      createdAt: now,
      expiresAt: expiryOf(now, requirements),
      approvers: approvers.value,
    };
    return {
      decision: reasons === evaluated.reasons ? evaluated : { ...evaluated, reasons },
      changes: [{ op: "request", request }],
      request: { request, approvals: [], consumedAt: null },
      consumed: false,
      reads,
    };
  }

  /** The action as receipts record it: the IR with the policy's sensitive fields committed (keyed). */
  #action(built: IrBuild & { ok: true }): ActionFields {
    const { ir, actionDigest, irDigest } = built;
    if (built.recorded !== undefined) {
      const redaction = { fields: built.redacted ?? [], keyId: this.redactionKeyId };
      return { actionDigest, irDigest, ir: built.recorded, redaction };
    }
    return { actionDigest, irDigest, ir: this.policy.receiptIR !== undefined ? this.policy.receiptIR(ir) : (ir as unknown as JsonObject) };
  }

  // The policy's identity goes into every receipt: built, frozen and canonicalized once (policyJson), so the
  // receipt encoder splices its text.
  #policyJsonCache: JsonObject | null = null;
  #shadowPolicyJsonCache: JsonObject | null = null;
  #shadowPolicyJson(): JsonObject {
    if (this.#shadowPolicyJsonCache === null) this.#shadowPolicyJsonCache = policyJson(this.shadowPolicy!);
    return this.#shadowPolicyJsonCache;
  }
  #policyJson(): JsonObject {
    if (this.#policyJsonCache === null) this.#policyJsonCache = policyJson(this.policy, this.bundle ?? undefined);
    return this.#policyJsonCache;
  }

  /** `built.canonical`: the recorded IR's text from toIR, spliced into the receipt. */
  #decisionEvent(ev: Evaluated, built: IrBuild & { ok: true }, now: number): JournalEvent {
    const action = this.#action(built);
    const canonical = built.canonical;
    const recorded = built.recorded ?? (built.ir as unknown as JsonObject);
    const body = decisionBody({
      policy: this.#policyJson(),
      action,
      decision: ev.decision,
      counters: ev.reads,
      changes: ev.changes,
      ...(ev.request !== undefined ? { request: ev.request } : {}),
      ...(ev.shadow !== undefined ? { shadow: { policy: this.#shadowPolicyJson(), decision: ev.shadow } } : {}),
    });
    const kind = ev.consumed ? "consumption" : "decision";
    return canonical !== undefined && action.ir === recorded ? { kind, body, time: now, known: { value: recorded, text: canonical } } : { kind, body, time: now };
  }

  /** A decision made without reaching the policy (bad input, internal error): recorded, changes nothing. */
  async #recordOnly(decision: Decision, now: number, input: ForcedDenyInput): Promise<EnforcerDecision> {
    if (!this.store.journaled) return decision;
    try {
      const body = forcedDenyBody(this.#policyJson(), decision, input);
      const outcome = await this.store.transact({ now }, () => ({ result: null, changes: [], event: { kind: "decision", body, time: now } }));
      return outcome.ok && outcome.receipt !== undefined ? { ...decision, receipt: outcome.receipt } : decision;
    } catch {
      return decision;
    }
  }

  /** Submits a signed approval or rejection. Never throws; a rejected approval changes nothing. */
  async submitApproval(signed: unknown): Promise<ApprovalSubmission> {
    let now: number;
    try {
      now = this.#clock();
    } catch (e: unknown) {
      return { accepted: false, error: { kind: "unavailable", code: Diagnostics.runtimeInternalError.code, message: Diagnostics.runtimeInternalError.message(message(e)) } };
    }
    return submitApprovalTo(this.store, signed, { now, skewMs: this.#skewMs, groups: this.policy.groups, policy: this.#policyJson() });
  }

  /** Open requests (pending or approved, not expired), oldest first. */
  async pendingApprovals(): Promise<readonly ApprovalRequestInfo[]> {
    const now = this.#clock();
    const open = await this.store.openRequests(now);
    return open.map((s) => info(s, now));
  }

  /**
   * Decides one tool call and hands back the arguments to run it with: the boundary between decision and execution,
   * which `guard`, services, MCP proxies and framework adapters all go through. `args` is snapshotted once, before
   * deciding, by the IR's strict cleaning (each property read once; Proxies, cycles, throwing getters and non-JSON
   * values are refused, a deny with its XP4 code and a receipt), deeply frozen, and decided on; run the tool with
   * the returned `args`, never with the caller's object, and only when `decision.effect` is "allow". Arguments the
   * tool's mapping does not read are refused unless the policy says `option tool_args = "allow"` (XP4032). Never
   * throws.
   */
  async decideToolCall(toolName: string, args: unknown, context: DecideContext = {}): Promise<ToolCallDecision> {
    const snapshot = snapshotToolArgs(args);
    if (snapshot.ok) return { decision: await this.decide(toolCallProposal(toolName, snapshot.value), context), args: snapshot.value };
    let now = Number.NaN;
    try {
      now = this.#clock();
    } catch {
      // recorded at the system time below
    }
    const decision = await this.#refuseInput(`invalid arguments for tool \`${toolName}\``, snapshot.error, Number.isFinite(now) ? now : Date.now());
    return { decision, args: null };
  }

  /**
   * The open approval request (pending or approved, not expired) this tool call would use, found without deciding:
   * nothing changes and nothing is recorded. For adapters that pause a run on require approval and must tell, before
   * resuming, whether the humans have signed; the tool still runs only through `decideToolCall`. Undefined when the
   * call cannot be mapped, the store cannot be read, or no request is open for exactly this action.
   */
  async approvalForToolCall(toolName: string, args: unknown, context: DecideContext = {}): Promise<ApprovalRequestInfo | undefined> {
    try {
      const snapshot = snapshotToolArgs(args);
      if (!snapshot.ok) return undefined;
      const now = this.#clock();
      const built = this.policy.toIR(toolCallProposal(toolName, snapshot.value), { actor: context.actor, context: context.context, requestedAt: now });
      if (!built.ok) return undefined;
      const open = await this.store.openRequests(now);
      const found = open.find((s) => s.request.policyDigest === this.policy.digest && s.request.actionDigest === built.actionDigest);
      return found === undefined ? undefined : info(found, now);
    } catch {
      return undefined;
    }
  }

  /** The deny for input refused before the policy saw it (`what: message at path`), recorded with the input error. */
  #refuseInput(what: string, e: { readonly code: string; readonly message: string; readonly path?: string | undefined }, now: number): Promise<EnforcerDecision> {
    const where = e.path !== undefined && e.path !== "$" ? ` at ${e.path}` : "";
    const decision = forcedDeny(null, e.code, `${what}: ${e.message}${where}`);
    return this.#recordOnly(decision, now, { inputError: { code: e.code, message: e.message, path: e.path ?? "$" } });
  }

  /** Wraps a tool function: it runs only when the policy allows; otherwise a typed error carries the decision. */
  guard<A extends JsonObject, R>(toolFn: (args: A) => R | Promise<R>, options: GuardOptions): (args: A) => Promise<Awaited<R>> {
    return guardTool(this, toolFn, options);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
