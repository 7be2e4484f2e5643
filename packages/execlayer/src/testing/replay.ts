// Replay: every decision a receipt log recorded, decided again under another policy, with the counter values the
// original decision read (the receipt's `counters`), at the original request time (the IR's `requested_at`); or,
// for a log written with a shadow policy, the shadow's recorded decision beside the real one. The result is a
// ChangeTally: counts by old -> new effect, by action type and by rule, with receipt sequence numbers as examples.
//
// What is compared is the policy's effect and, when both require approval, the approvals required (groups, quorums,
// windows). A receipt whose real decision the runtime forced from the approval state (a used, vetoed or expired
// request) and a consumption (an approved action that ran) record what the policy said as require approval, with
// the request's requirements; approvals are not replayed, so the new policy's require approval is compared with that.
// Never guessed: a sensitive field is recorded as a commitment (a digest or keyed commitment of the value, never the
// value), so a decision whose new rules, escalations or counter keys read such a field is reported as not
// replayable, naming the field; so is one whose new rules read a counter the original decision did not read.
import type { ApprovalRequirement, Effect, Decision } from "../vocabulary/decision.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import type { Expr } from "../syntax/ast.ts";
import type { JsonObject, JsonValue, SovereignIR } from "../ir/types.ts";
import type { FieldSchema } from "../ir/schema.ts";
import type { CompiledPolicy } from "../engine/plan.ts";
import { windowLabel, type WindowSpec } from "../vocabulary/windows.ts";
import type { SkimmedFields } from "../receipts/receipt.ts";
import { ChangeTally, decidingRules, type ChangeExample, type ChangeSummary } from "./changes.ts";
import { zeroValue } from "./scenario.ts";

/** The policy identity a report names (the receipts' `policy`, the candidate's). */
export interface ReplayPolicyName {
  readonly name: string;
  readonly version: string | null;
  readonly digest: string;
}

export interface NotReplayable {
  readonly reason: string;
  readonly count: number;
  /** the first few receipts' sequence numbers */
  readonly seqs: readonly number[];
}

export interface ReplayReport {
  /** "policy": re-decided under `policy`; "shadow": the shadow decisions the log recorded */
  readonly mode: "policy" | "shadow";
  /** the policy the decisions were compared with (the shadow's, in shadow mode, when every receipt names one) */
  readonly policy: ReplayPolicyName | null;
  /** the policies that made the recorded decisions */
  readonly recordedPolicies: readonly ReplayPolicyName[];
  /** receipts read (every kind) */
  readonly receipts: number;
  /** decision receipts inside --since/--until */
  readonly decisions: number;
  readonly since: string | null;
  readonly until: string | null;
  /** decisions refused before any policy saw an action (bad input): nothing to re-decide */
  readonly refusedInput: number;
  /** shadow mode: decisions recorded without a shadow decision */
  readonly withoutShadow: number;
  readonly notReplayable: readonly NotReplayable[];
  readonly changes: ChangeSummary;
}

export interface ReplayOptions {
  /** ms since the epoch: receipts before it are skipped */
  readonly since?: number;
  /** ms since the epoch: receipts at or after it are skipped */
  readonly until?: number;
  readonly examplesPerChange?: number;
}

/** The rules of an unchanged decision: never asked for (ChangeTally asks only for a change). */
const NO_CHANGE = (): { old: string[]; new: string[] } => ({ old: [], new: [] });

const APPROVAL_STATE_CODES: ReadonlySet<string> = new Set([Diagnostics.approvalReplayed.code, Diagnostics.approvalVetoed.code, Diagnostics.approvalExpired.code]);
const EFFECTS: ReadonlySet<string> = new Set(["allow", "deny", "require_approval"]);

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The recorded decision as far as replay needs it (the receipt's `decision`), or null when it is not one. */
interface RecordedDecision {
  readonly effect: Effect;
  readonly rules: readonly { readonly rule: string; readonly effect: Effect }[];
  readonly reasons: readonly string[];
  readonly actionType: string | null;
  readonly code: string | null;
  /** the approvals a require-approval decision asked for (null: none recorded, or not in the recorded form) */
  readonly requirements: readonly ApprovalRequirement[] | null;
}

/** Approval requirements as receipts record them (`[{ group, quorum, within_ms }]`), or null. */
function recordedRequirements(v: JsonValue | undefined): ApprovalRequirement[] | null {
  if (!Array.isArray(v)) return null;
  const out: ApprovalRequirement[] = [];
  for (const q of v) {
    if (!isObject(q) || typeof q["group"] !== "string" || typeof q["quorum"] !== "number" || typeof q["within_ms"] !== "number") return null;
    out.push({ group: q["group"], quorum: q["quorum"], withinMs: q["within_ms"] });
  }
  return out;
}

function recordedDecision(v: JsonValue | undefined): RecordedDecision | null {
  if (!isObject(v) || typeof v["effect"] !== "string" || !EFFECTS.has(v["effect"])) return null;
  const rules: { rule: string; effect: Effect }[] = [];
  if (Array.isArray(v["rules"])) {
    for (const r of v["rules"]) if (isObject(r) && typeof r["rule"] === "string" && typeof r["effect"] === "string" && EFFECTS.has(r["effect"])) rules.push({ rule: r["rule"], effect: r["effect"] as Effect });
  }
  const reasons = Array.isArray(v["reasons"]) ? v["reasons"].filter((x): x is string => typeof x === "string") : [];
  const approval = v["approval"];
  return {
    effect: v["effect"] as Effect,
    rules,
    reasons,
    actionType: typeof v["action_type"] === "string" ? v["action_type"] : null,
    code: typeof v["code"] === "string" ? v["code"] : null,
    requirements: isObject(approval) ? recordedRequirements(approval["requirements"]) : null,
  };
}

/** Whether the runtime, not the policy, gave the recorded effect: from the approval state (see the header). */
function forcedByApprovalState(kind: string, d: RecordedDecision): boolean {
  return kind === "consumption" || (d.code !== null && APPROVAL_STATE_CODES.has(d.code));
}

interface PolicySaid {
  readonly effect: Effect;
  readonly requirements: readonly ApprovalRequirement[] | null;
}

/**
 * What the policy said, before the runtime applied the approval state, and the approvals it required: a forced
 * decision's are its request's (`request`, the body's), recorded when the request was opened.
 */
function policySaid(kind: string, d: RecordedDecision, request: JsonValue | undefined): PolicySaid {
  if (!forcedByApprovalState(kind, d)) return { effect: d.effect, requirements: d.effect === "require_approval" ? d.requirements : null };
  return { effect: "require_approval", requirements: isObject(request) ? recordedRequirements(request["requirements"]) : null };
}

function policyName(v: JsonValue | undefined): ReplayPolicyName | null {
  if (!isObject(v) || typeof v["name"] !== "string" || typeof v["digest"] !== "string") return null;
  const version = v["version"];
  return { name: v["name"], version: typeof version === "string" ? version : null, digest: v["digest"] };
}

/**
 * A recorded value that is a commitment rather than the value: the form receipts give a redacted sensitive value
 * (`<scheme>:<hex digest>`, a sha256 digest or a keyed commitment) or an object naming its commitment. A value that
 * merely looks like one is also not replayed: reporting "not replayable" is the safe side of the doubt.
 */
function looksLikeCommitment(v: JsonValue | undefined): boolean {
  // (the length and the colon first: most values are not, and replay asks of every field)
  if (typeof v === "string") return v.length >= 66 && v.charCodeAt(v.length - 65) === 0x3a && /^[a-z][a-z0-9-]*:[0-9a-f]{64}$/.test(v);
  return isObject(v) && (typeof v["commitment"] === "string" || typeof v["hmac"] === "string");
}

/**
 * One record of the IR with each commitment the new policy never reads replaced by a plain value of its type (the
 * same object when there is none), or why the decision is not replayable: the policy reads a field held as one.
 */
function withoutCommitments(record: RecordName, values: JsonObject, fields: ReadonlyMap<string, FieldSchema> | undefined, read: ReadonlySet<string> | "all", path: string): JsonObject | string {
  if (!isObject(values)) return values;
  let out: Record<string, JsonValue> | null = null;
  // (the schema is asked only when it has a sensitive field: most have none, and replay asks of every field)
  const sensitive = fields !== undefined && hasSensitive(fields);
  for (const name in values) {
    if (!looksLikeCommitment(values[name]) && !(sensitive && fields.get(name)?.sensitive === true)) continue;
    const f = fields?.get(name);
    if (read === "all" || read.has(name)) return `the new policy reads \`${record}.${name}\`, which the receipt holds as a commitment (${path}.${name}), not as its value`;
    if (f === undefined) continue;
    out ??= { ...values };
    out[name] = f.decimal && (f.type.kind === "int" || f.type.kind === "uint") ? "0" : zeroValue(f.type);
  }
  return out ?? values;
}

const sensitiveFields = new WeakMap<ReadonlyMap<string, FieldSchema>, boolean>();

function hasSensitive(fields: ReadonlyMap<string, FieldSchema>): boolean {
  let has = sensitiveFields.get(fields);
  if (has === undefined) {
    has = [...fields.values()].some((f) => f.sensitive);
    sensitiveFields.set(fields, has);
  }
  return has;
}

/** The fields one action type's rules, escalations and counters read, by record (`action`, `actor`, `context`). */
interface FieldsRead {
  readonly action: ReadonlySet<string> | "all";
  readonly actor: ReadonlySet<string> | "all";
  readonly context: ReadonlySet<string> | "all";
}

type RecordName = "action" | "actor" | "context";
const RECORDS: ReadonlySet<string> = new Set(["action", "actor", "context"]);

function collectReads(e: Expr, out: { action: Set<string> | "all"; actor: Set<string> | "all"; context: Set<string> | "all" }): void {
  switch (e.kind) {
    case "select":
      if (e.operand.kind === "ident" && RECORDS.has(e.operand.name)) {
        const r = e.operand.name as RecordName;
        const set = out[r];
        if (set !== "all") set.add(e.field);
        return;
      }
      collectReads(e.operand, out);
      return;
    case "has":
      // presence: a commitment is present exactly when its value is
      if (e.operand.kind === "ident" && RECORDS.has(e.operand.name)) return;
      collectReads(e.operand, out);
      return;
    case "ident":
      // the whole record (passed to a function, compared, indexed): every field of it is read
      if (RECORDS.has(e.name)) out[e.name as RecordName] = "all";
      return;
    default:
      forEachSub(e, (c) => collectReads(c, out));
  }
}

function forEachSub(e: Expr, f: (c: Expr) => void): void {
  // the children of every other kind, generically: any property that is an expression or a list of them
  for (const v of Object.values(e) as unknown[]) {
    if (Array.isArray(v)) {
      for (const x of v) if (isExpr(x)) f(x);
    } else if (isExpr(v)) f(v);
  }
}

function isExpr(v: unknown): v is Expr {
  return typeof v === "object" && v !== null && typeof (v as { kind?: unknown }).kind === "string" && typeof (v as { span?: unknown }).span === "object";
}

function fieldsReadBy(policy: CompiledPolicy, type: string): FieldsRead {
  const out: { action: Set<string> | "all"; actor: Set<string> | "all"; context: Set<string> | "all" } = { action: new Set(), actor: new Set(), context: new Set() };
  const c = policy.checked;
  for (const e of c.actions.get(type)?.escalations ?? []) collectReads(e.condition.expr, out);
  for (const r of c.rules) if (r.condition !== null && r.actionTypes.includes(type)) collectReads(r.condition.expr, out);
  for (const p of policy.plans.get(type)?.counters ?? []) {
    const k = c.counters.get(p.name);
    if (k === undefined) continue;
    for (const key of k.keys) collectReads(key.expr, out);
    if (k.actionTypes.includes(type)) {
      if (k.amount !== null) collectReads(k.amount.expr, out);
      if (k.filter !== null) collectReads(k.filter.expr, out);
    }
  }
  return out;
}

export class Replayer {
  readonly #policy: CompiledPolicy | null;
  readonly #options: ReplayOptions;
  readonly #tally: ChangeTally;
  readonly #fieldsRead = new Map<string, FieldsRead>();
  readonly #recorded = new Map<string, ReplayPolicyName>();
  readonly #shadowPolicies = new Map<string, ReplayPolicyName>();
  readonly #notReplayable = new Map<string, { count: number; seqs: number[] }>();
  readonly #values = new Map<string, number>();
  /** the receipts' label of each of the plans' windows */
  readonly #windowLabels = new Map<WindowSpec, string>();
  readonly #cutter = new LineCutter();
  #receipts = 0;
  #decisions = 0;
  #refused = 0;
  #withoutShadow = 0;

  /** `policy`: re-decide under it; null: compare each receipt's recorded shadow decision with its real one. */
  constructor(policy: CompiledPolicy | null, options: ReplayOptions = {}) {
    this.#policy = policy;
    this.#options = options;
    this.#tally = new ChangeTally(options.examplesPerChange ?? 5);
  }

  /**
   * One receipt line of the log, as written (canonical JSON). Lines that are not receipts are counted and skipped.
   * `skimmed`: what the verifier's skim found of this line (verifyLog's `onLine`), so it is not searched again.
   */
  line(seq: number, text: string, skimmed?: SkimmedFields): void {
    if (this.#policy !== null) {
      const cut = this.#cutter.cut(text, this.#policy, skimmed);
      if (cut !== null) {
        this.#receipts++;
        if (cut.decision === undefined) return; // another kind
        return this.#decisionReceipt(seq, cut.kind, cut.time, cut.decision, cut.policy, cut.ir, cut.counters, undefined, undefined);
      }
    }
    let r: unknown;
    try {
      r = JSON.parse(text);
    } catch {
      this.#receipts++;
      return;
    }
    const o = r as { kind?: unknown; time?: unknown; body?: unknown };
    this.receipt(seq, typeof o.kind === "string" ? o.kind : "", typeof o.time === "string" ? o.time : "", isObject(o.body as JsonValue) ? (o.body as JsonObject) : {});
  }

  /** One receipt: its seq, kind, time and body. */
  receipt(seq: number, kind: string, time: string, body: JsonObject): void {
    this.#receipts++;
    if (kind !== "decision" && kind !== "consumption") return;
    this.#decisionReceipt(seq, kind, time, recordedDecision(body["decision"]), body["policy"], body["ir"], body["counters"], body["shadow"], body["request"]);
  }

  #decisionReceipt(
    seq: number,
    kind: string,
    time: string,
    recorded: RecordedDecision | null,
    policy: JsonValue | undefined,
    ir: JsonValue | undefined,
    counters: JsonValue | undefined,
    shadow: JsonValue | undefined,
    request: JsonValue | undefined,
  ): void {
    const { since, until } = this.#options;
    if (since !== undefined || until !== undefined) {
      const t = Date.parse(time);
      if (since !== undefined && !(t >= since)) return;
      if (until !== undefined && !(t < until)) return;
    }
    if (recorded === null) return;
    this.#decisions++;
    this.#notePolicy(policy);
    if (!isObject(ir) || !isObject(ir["action"])) {
      this.#refused++;
      return;
    }
    const said = policySaid(kind, recorded, request);
    if (this.#policy === null) this.#compareShadow(seq, time, shadow, recorded, said, ir);
    else this.#redecide(this.#policy, seq, time, counters, recorded, said, ir as unknown as SovereignIR);
  }

  #notePolicy(v: JsonValue | undefined): void {
    if (!isObject(v) || typeof v["digest"] !== "string" || this.#recorded.has(v["digest"])) return;
    const named = policyName(v);
    if (named !== null) this.#recorded.set(named.digest, named);
  }

  #compareShadow(seq: number, time: string, shadow: JsonValue | undefined, recorded: RecordedDecision, said: PolicySaid, ir: JsonObject): void {
    const sd = isObject(shadow) ? recordedDecision(shadow["decision"]) : null;
    if (!isObject(shadow) || sd === null) {
      this.#withoutShadow++;
      return;
    }
    const named = policyName(shadow["policy"]);
    if (named !== null && !this.#shadowPolicies.has(named.digest)) this.#shadowPolicies.set(named.digest, named);
    const action = ir["action"] as JsonObject;
    const type = typeof action["type"] === "string" ? action["type"] : recorded.actionType;
    this.#count(seq, time, type, typeof action["target"] === "string" ? action["target"] : null, recorded, said, sd);
  }

  /** One decision compared: `said` what the recorded policy said, `now` what the other policy says. */
  #count(seq: number, time: string, type: string | null, target: string | null, recorded: RecordedDecision, said: PolicySaid, now: Pick<Decision, "effect" | "rules" | "reasons"> & { readonly requirements: readonly ApprovalRequirement[] | null }): void {
    const from = said.effect;
    const to = now.effect;
    const requirements = from === "require_approval" && to === "require_approval" && said.requirements !== null && now.requirements !== null ? { from: said.requirements, to: now.requirements } : undefined;
    // (most decisions do not change: no closures for them)
    if (from === to && (requirements === undefined || !this.#tally.approvalsChanged(requirements))) return this.#tally.add(type, from, to, NO_CHANGE, undefined, requirements);
    const rules = (): { old: string[]; new: string[] } => ({ old: decidingRules(recorded), new: decidingRules(now) });
    const example = (): ChangeExample => ({ from, to, actionType: type, target, seq, time, oldRules: rules().old, newRules: rules().new, reason: now.reasons[0] ?? "" });
    this.#tally.add(type, from, to, rules, example, requirements);
  }

  #redecide(policy: CompiledPolicy, seq: number, time: string, counters: JsonValue | undefined, recorded: RecordedDecision, said: PolicySaid, ir: SovereignIR): void {
    const type = ir.action.type;
    if (typeof type === "string") {
      const r = this.#replayableIR(policy, type, ir);
      if (typeof r === "string") return this.#skip(seq, r);
      ir = r;
    }
    let decision: Decision;
    const counted = policy.countersFor(ir);
    if (!counted.ok) {
      // the runtime denies an action whose counters cannot be computed, before the rules
      decision = { effect: "deny", tier: null, actionType: type, rules: [], reasons: [counted.error.message], code: counted.error.code };
    } else {
      const values = this.#values;
      values.clear();
      const plan = policy.plans.get(type);
      for (const use of counted.uses) {
        if (values.has(use.counter) || plan?.countersRead.includes(use.counter) !== true) continue;
        let window = this.#windowLabels.get(use.window);
        if (window === undefined) this.#windowLabels.set(use.window, (window = windowLabel(use.window)));
        const v = recordedCounter(counters, use.counter, use.key, window);
        if (v === undefined) {
          return this.#skip(seq, `the new policy reads counter \`${use.counter}\` (${window}), which the original decision did not read`);
        }
        values.set(use.counter, v);
      }
      decision = policy.evaluate(ir, values);
    }
    this.#count(seq, time, type, ir.action.target, recorded, said, { effect: decision.effect, rules: decision.rules, reasons: decision.reasons, requirements: decision.approval?.requirements ?? null });
  }

  /**
   * The IR to decide on, or why not (a string) when the new policy reads, for this type, a field the receipt holds as
   * a commitment; else the IR, with each commitment the policy never reads replaced by a plain value of its type (the
   * parameters are validated as a whole, and a digest is not a value of an int field).
   */
  #replayableIR(policy: CompiledPolicy, type: string, ir: SovereignIR): SovereignIR | string {
    let reads = this.#fieldsRead.get(type);
    if (reads === undefined) {
      reads = fieldsReadBy(policy, type);
      this.#fieldsRead.set(type, reads);
    }
    const schema = policy.irSchema;
    const params = withoutCommitments("action", ir.action.params, schema.actionTypes.get(type)?.fields, reads.action, "ir.action.params");
    if (typeof params === "string") return params;
    const actor = withoutCommitments("actor", ir.actor as unknown as JsonObject, schema.actor?.fields, reads.actor, "ir.actor");
    if (typeof actor === "string") return actor;
    const context = withoutCommitments("context", ir.context, schema.context?.fields, reads.context, "ir.context");
    if (typeof context === "string") return context;
    if (params === ir.action.params && actor === (ir.actor as unknown as JsonObject) && context === ir.context) return ir;
    return { ...ir, action: { ...ir.action, params }, actor: actor as unknown as SovereignIR["actor"], context };
  }

  #skip(seq: number, reason: string): void {
    let n = this.#notReplayable.get(reason);
    if (n === undefined) this.#notReplayable.set(reason, (n = { count: 0, seqs: [] }));
    n.count++;
    if (n.seqs.length < 5) n.seqs.push(seq);
  }

  report(): ReplayReport {
    const p = this.#policy;
    const shadows = [...this.#shadowPolicies.values()];
    const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());
    return {
      mode: p === null ? "shadow" : "policy",
      policy: p !== null ? { name: p.name, version: p.version, digest: p.digest } : shadows.length === 1 ? shadows[0]! : null,
      recordedPolicies: [...this.#recorded.values()],
      receipts: this.#receipts,
      decisions: this.#decisions,
      since: iso(this.#options.since),
      until: iso(this.#options.until),
      refusedInput: this.#refused,
      withoutShadow: this.#withoutShadow,
      notReplayable: [...this.#notReplayable].map(([reason, n]) => ({ reason, count: n.count, seqs: n.seqs })).sort((a, b) => b.count - a.count),
      changes: this.#tally.summary(),
    };
  }
}

/** The value the original decision read for this counter cell (`counters` of the receipt body), if it read it. */
function recordedCounter(list: JsonValue | undefined, counter: string, key: string, window: string): number | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const c of list) {
    if (isObject(c) && c["counter"] === counter && c["key"] === key && c["window"] === window && typeof c["value"] === "number") return c["value"];
  }
  return undefined;
}

// --- reading a decision receipt's line without parsing all of it ------------------------------------------------

/** What replay reads of a decision receipt's line; `decision` undefined: a receipt of another kind. */
interface CutLine {
  readonly kind: string;
  readonly time: string;
  readonly decision?: RecordedDecision | null;
  readonly policy?: JsonValue;
  readonly ir?: JsonValue;
  readonly counters?: JsonValue | undefined;
}

const NO_COUNTERS_READ: JsonValue = Object.freeze([]) as unknown as JsonValue;

/**
 * Texts that repeat from line to line (recorded decisions, which the engine shares, and the policy's identity), each
 * parsed once and found again by comparing texts of its length: no hash or parse per line. A few texts per length
 * are kept (the most recent), so a log of ever-different texts costs a few comparisons more than parsing each.
 */
class RepeatedTexts<T> {
  readonly #byLength = new Map<number, { text: string; value: T }[]>();

  constructor(private readonly parse: (text: string) => T) {}

  /** The value of `line`'s text from `start` to `end` (the parse may throw, and then nothing is kept). */
  get(line: string, start: number, end: number): T {
    // (a slice compared with ===: V8 compares flat strings with memcmp, startsWith at a position char by char)
    const text = line.slice(start, end);
    let list = this.#byLength.get(text.length);
    if (list !== undefined) {
      for (const e of list) if (e.text === text) return e.value;
    }
    const value = this.parse(text);
    if (list === undefined) {
      if (this.#byLength.size >= 256) this.#byLength.clear();
      this.#byLength.set(text.length, (list = []));
    }
    if (list.length >= 4) list.shift();
    list.push({ text, value });
    return value;
  }
}

/**
 * One counter read in the form the runtime writes it (receipt-body.ts; JCS sorts the keys), then `,` or `]`: whole
 * numbers below 10^15, names and windows without escapes, a key whose only escapes are `\"`. What it matches,
 * JSON.parse reads as exactly these values.
 */
const COUNTER_READ = /\{"added":(0|[1-9][0-9]{0,14}),"counter":"([^"\\\x00-\x1f]*)","key":"((?:[^"\\\x00-\x1f]|\\")*)","value":(0|[1-9][0-9]{0,14}),"window":"([^"\\\x00-\x1f]*)"\}([,\]])/y;

function parsePolicyIdentity(text: string): JsonValue {
  const v = JSON.parse(text) as JsonValue;
  if (!isObject(v) || typeof v["digest"] !== "string") throw new Error("not a policy identity");
  return v;
}

/**
 * Reads the parts of a decision receipt replay needs out of its canonical line rather than parsing the whole line
 * (replay's budget is 10% over verifying the log, and a line is mostly digests, reasons and state). JCS sorts keys,
 * so the line reads
 *   {"body":{"action_digest":..,["approvals":[..],]"counters":[..],"decision":{..},"ir":{..},"ir_digest":"..",
 *   "policy":{..},...},"kind":"..",...,"time":"..","v":2}
 * A quote inside a string is escaped, so `,"decision":{` found after `,"counters":[` is the body's own key (a
 * counter read has no such key), and `,"ir":{` after it too (a decision has none). The IR's end is the first
 * `,"ir_digest":"` after its start: a parameter of that name would cut it short, and a cut-short object is never
 * valid JSON, so every cut is parsed and anything unexpected (a failed parse, a missing key, another layout)
 * answers null: the caller parses the whole line; so does a decision the approval state forced (its request, read
 * whole, holds what the policy required). The counters are parsed only when the new policy's rules for the
 * action's type read one (else nothing looks at them), an empty list not at all.
 */
class LineCutter {
  readonly #decisions = new RepeatedTexts((text) => recordedDecision(JSON.parse(text) as JsonValue));
  readonly #policies = new RepeatedTexts(parsePolicyIdentity);
  /** counter keys as the line escapes them (`[\"agent-1\"]`) -> the keys (few: one per actor or so) */
  readonly #keys = new Map<string, string>();

  cut(text: string, policy: CompiledPolicy, skimmed: SkimmedFields | undefined): CutLine | null {
    let k: number;
    let time: string;
    let kind: string | null;
    if (skimmed !== undefined) {
      k = skimmed.bodyEnd;
      time = skimmed.time;
      kind = skimmed.kind;
      if (kind !== "decision" && kind !== "consumption") return { kind, time };
    } else {
      k = text.lastIndexOf(',"kind":"');
      const t = text.lastIndexOf(',"time":"');
      if (k < 0 || t < k || !text.startsWith('{"body":{')) return null;
      time = text.slice(t + 9, text.indexOf('"', t + 9));
      kind = text.startsWith('decision"', k + 9) ? "decision" : text.startsWith('consumption"', k + 9) ? "consumption" : null;
      if (kind === null) return { kind: text.slice(k + 9, text.indexOf('"', k + 9)), time };
    }
    const c = text.indexOf(',"counters":[');
    const d = c < 0 ? -1 : text.indexOf(',"decision":{', c);
    const i = d < 0 ? -1 : text.indexOf(',"ir":{', d);
    const g = i < 0 ? -1 : text.indexOf(',"ir_digest":"', i);
    const p = g < 0 ? -1 : text.indexOf(',"policy":{', g);
    const pe = p < 0 ? -1 : text.indexOf("}", p);
    if (pe < 0 || pe > k) return null;
    try {
      const decision = this.#decisions.get(text, d + 12, i);
      // the approval state decided, not the policy: what the policy required is in the body's request
      if (decision !== null && forcedByApprovalState(kind, decision)) return null;
      const recordedPolicy = this.#policies.get(text, p + 10, pe + 1);
      const ir = JSON.parse(text.slice(i + 6, g)) as JsonValue;
      const action = isObject(ir) ? ir["action"] : undefined;
      const type = isObject(action) ? action["type"] : undefined;
      const reads = typeof type === "string" && (policy.plans.get(type)?.countersRead.length ?? 0) > 0;
      const counters = d === c + 14 && text.charCodeAt(c + 13) === 0x5d ? NO_COUNTERS_READ : reads ? this.#counterReads(text, c + 12, d) : undefined;
      return { kind, time, decision, policy: recordedPolicy, ir, counters };
    } catch {
      return null;
    }
  }

  /**
   * The body's `counters` (`text` from `start` to `end`, starting with `[`), read with COUNTER_READ when every read has
   * its form (a regular expression is several times cheaper than JSON.parse here), else parsed.
   */
  #counterReads(text: string, start: number, end: number): JsonValue {
    const out: JsonObject[] = [];
    COUNTER_READ.lastIndex = start + 1;
    for (;;) {
      const m = COUNTER_READ.exec(text);
      if (m === null) break;
      out.push({ added: Number(m[1]), counter: m[2]!, key: this.#key(m[3]!), value: Number(m[4]), window: m[5]! });
      if (m[6] === "]") {
        if (COUNTER_READ.lastIndex === end) return out;
        break;
      }
    }
    return JSON.parse(text.slice(start, end)) as JsonValue;
  }

  /** A key matched by COUNTER_READ, its `\"` unescaped. */
  #key(escaped: string): string {
    if (!escaped.includes("\\")) return escaped;
    let key = this.#keys.get(escaped);
    if (key === undefined) {
      if (this.#keys.size >= 1024) this.#keys.clear();
      this.#keys.set(escaped, (key = escaped.replaceAll('\\"', '"')));
    }
    return key;
  }
}
