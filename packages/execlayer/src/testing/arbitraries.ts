// fast-check arbitraries derived from a compiled policy's schema: actions of its declared types, actor and context
// records, counter values and request times. Random values are mixed with edge values:
//   - every type's extremes: "", a 10,000-character string, non-ASCII and decomposed (NFD) text; 0, ±1 and the
//     integer limits the IR accepts for the field (±(2^53-1) for `int`, the int64 / uint64 bounds for
//     `int @decimal` / `uint @decimal`); tiny, huge and negative doubles; the earliest and latest timestamps;
//     empty lists and maps; each enum value;
//   - the policy's own literals: every string literal of its conditions (and each with a random prefix or suffix,
//     for `startsWith` / `endsWith` / `contains`), and, for each field compared with an integer literal N
//     (`action.limit > 10000`, `counter.updates < 1000`), the values N-1, N and N+1;
//   - request times at the edges of calendar windows (the first and last millisecond of a UTC day, ISO week and
//     month) besides random times between 2000 and 2100.
// Public (src/index.ts): `arbitraryAction`, `arbitraryActor`, `arbitraryContext`, `arbitraryProposal`, for
// property tests of the services that embed the runtime (see docs/testing.md).
import fc from "fast-check";
import type { Expr } from "../syntax/ast.ts";
import type { FieldSchema, FieldType, RecordSchema } from "../check/policy-schema.ts";
import { walkExpr } from "../check/policy-exprs.ts";
import type { JsonObject, JsonValue } from "../ir/types.ts";
import { calendarWindowStart, calendarWindowEnd, type CalendarUnit } from "../vocabulary/windows.ts";
import { INT64_MAX, INT64_MIN, UINT64_MAX } from "../cel/values.ts";
import { isoMillis } from "../ir/values.ts";
import { put } from "./values.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const HUGE_STRING_LENGTH = 10_000;

/** What the policy's expressions compare against: the source of edge values. */
export interface PolicyLiterals {
  readonly strings: readonly string[];
  /** `action.limit`, `counter.updates`, `context.max` -> integer literals compared with it */
  readonly integers: ReadonlyMap<string, readonly bigint[]>;
  readonly doubles: readonly number[];
}

const literalCache = new WeakMap<CompiledPolicy, PolicyLiterals>();

function policyExpressions(policy: CompiledPolicy): Expr[] {
  const c = policy.checked;
  const out: Expr[] = [];
  for (const r of c.rules) if (r.condition !== null) out.push(r.condition.expr);
  for (const a of c.actions.values()) for (const e of a.escalations) out.push(e.condition.expr);
  for (const k of c.counters.values()) {
    if (k.filter !== null) out.push(k.filter.expr);
    if (k.amount !== null) out.push(k.amount.expr);
  }
  return out;
}

/** `action.x` / `actor.x` / `context.x` / `counter.x` as a path, or null. */
function fieldPath(e: Expr): string | null {
  return e.kind === "select" && e.operand.kind === "ident" && ["action", "actor", "context", "counter"].includes(e.operand.name)
    ? `${e.operand.name}.${e.field}`
    : null;
}

function intLiteral(e: Expr): bigint | null {
  if (e.kind === "literal" && (e.literal.type === "int" || e.literal.type === "uint")) return e.literal.value;
  if (e.kind === "unary" && e.op === "-" && e.operand.kind === "literal" && e.operand.literal.type === "int") return -e.operand.literal.value;
  return null;
}

export function policyLiterals(policy: CompiledPolicy): PolicyLiterals {
  let lit = literalCache.get(policy);
  if (lit !== undefined) return lit;
  const strings = new Set<string>();
  const doubles = new Set<number>();
  const integers = new Map<string, Set<bigint>>();
  const comparisons = new Set(["==", "!=", "<", "<=", ">", ">="]);
  for (const root of policyExpressions(policy)) {
    walkExpr(root, (e) => {
      if (e.kind === "literal" && e.literal.type === "string" && e.literal.value.length <= 200) strings.add(e.literal.value);
      if (e.kind === "literal" && e.literal.type === "double") doubles.add(e.literal.value);
      if (e.kind === "binary" && comparisons.has(e.op)) {
        for (const [side, other] of [
          [e.left, e.right],
          [e.right, e.left],
        ] as const) {
          const path = fieldPath(side);
          const n = intLiteral(other);
          if (path === null || n === null) continue;
          let set = integers.get(path);
          if (set === undefined) integers.set(path, (set = new Set()));
          for (const v of [n - 1n, n, n + 1n]) set.add(v);
        }
      }
      // `x in [..]` / `[..].exists(...)`: every literal of a list may be the interesting value
    });
  }
  lit = {
    strings: [...strings].sort(),
    integers: new Map([...integers].map(([k, v]) => [k, [...v].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))])),
    doubles: [...doubles],
  };
  literalCache.set(policy, lit);
  return lit;
}

// -----------------------------------------------------------------------------------------------------------------
// Values by field type

interface Edges {
  readonly literals: PolicyLiterals;
  /** `action.limit`: looks up the integer literals compared with this field */
  readonly path: string;
}

function stringArb(edges: Edges): fc.Arbitrary<string> {
  const special = ["", " ", "a".repeat(HUGE_STRING_LENGTH), "ünïcödé ✓", "日本語のテキスト", "🙂👍🏽", "e\u0301", "line\nbreak", "tab\tquote\"back\\slash"];
  const arbs: fc.WeightedArbitrary<string>[] = [
    { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
    { weight: 1, arbitrary: fc.constantFrom(...special) },
  ];
  const pool = edges.literals.strings;
  if (pool.length > 0) {
    const lit = fc.constantFrom(...pool);
    arbs.push({ weight: 3, arbitrary: lit });
    arbs.push({
      weight: 2,
      arbitrary: fc.tuple(fc.string({ maxLength: 6 }), lit, fc.string({ maxLength: 6 }), fc.nat(2)).map(([a, l, b, how]) =>
        how === 0 ? a + l : how === 1 ? l + b : a + l + b,
      ),
    });
  }
  return fc.oneof({ withCrossShrink: true }, ...arbs);
}

function boundaryInts(edges: Edges, min: bigint, max: bigint): bigint[] {
  return (edges.literals.integers.get(edges.path) ?? []).filter((v) => v >= min && v <= max);
}

function integerArb(kind: "int" | "uint", decimal: boolean, edges: Edges): fc.Arbitrary<JsonValue> {
  const min = kind === "uint" ? 0n : decimal ? INT64_MIN : -BigInt(MAX_SAFE);
  const max = kind === "uint" ? (decimal ? UINT64_MAX : BigInt(MAX_SAFE)) : decimal ? INT64_MAX : BigInt(MAX_SAFE);
  const special = [0n, 1n, -1n, 2n, 100n, min, max, min + 1n, max - 1n].filter((v) => v >= min && v <= max);
  const boundaries = boundaryInts(edges, min, max);
  const arbs: fc.WeightedArbitrary<bigint>[] = [
    // first: the whole range, so any value can shrink through it (withCrossShrink)
    { weight: 2, arbitrary: fc.bigInt({ min, max }) },
    { weight: 3, arbitrary: fc.bigInt({ min: min > -1000n ? min : -1000n, max: 1000n < max ? 1000n : max }) },
    { weight: 1, arbitrary: fc.constantFrom(...special) },
  ];
  if (boundaries.length > 0) arbs.push({ weight: 3, arbitrary: fc.constantFrom(...boundaries) });
  // In the IR a plain int is a JSON number; an @decimal one is a decimal string.
  return fc.oneof({ withCrossShrink: true }, ...arbs).map((v): JsonValue => (decimal ? v.toString() : Number(v)));
}

function doubleArb(edges: Edges): fc.Arbitrary<number> {
  const special = [0, 0.5, -0.5, 1, -1, 1e-300, 1e300, -1e300, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE];
  const arbs: fc.Arbitrary<number>[] = [
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
    fc.constantFrom(...special),
  ];
  const fromInts = [...(edges.literals.integers.get(edges.path) ?? [])].map(Number);
  const pool = [...edges.literals.doubles, ...fromInts];
  if (pool.length > 0) arbs.push(fc.constantFrom(...pool));
  // -0 is not JSON: the IR cleans it to 0.
  return fc.oneof({ withCrossShrink: true }, ...arbs).map((d) => (Object.is(d, -0) ? 0 : d));
}

const MIN_DATE = Date.parse("0001-01-01T00:00:00Z");
const MAX_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function timestampArb(): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }) },
      { weight: 1, arbitrary: fc.integer({ min: MIN_DATE, max: MAX_DATE }) },
      { weight: 1, arbitrary: fc.constantFrom(MIN_DATE, 0, MAX_DATE) },
    )
    .map(isoMillis);
}

function durationArb(): fc.Arbitrary<string> {
  return fc
    .oneof(fc.integer({ min: -86_400_000, max: 86_400_000 }), fc.integer({ min: -315_576_000_000, max: 315_576_000_000 }), fc.constantFrom(0, 1, -1, 1000, 3_600_000))
    .map((ms) => `${ms / 1000}s`);
}

function bytesArb(): fc.Arbitrary<string> {
  return fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString("base64"));
}

function mapKeyArb(t: FieldType, edges: Edges): fc.Arbitrary<string> {
  switch (t.kind) {
    case "int":
      return fc.bigInt({ min: -1000n, max: 1000n }).map(String);
    case "uint":
      return fc.bigInt({ min: 0n, max: 1000n }).map(String);
    case "bool":
      return fc.constantFrom("true", "false");
    case "enum":
      return fc.constantFrom(...t.values);
    default:
      return stringArb(edges).filter((k) => k.length < 64);
  }
}

export function valueArb(t: FieldType, decimal: boolean, edges: Edges): fc.Arbitrary<JsonValue> {
  switch (t.kind) {
    case "string":
      return stringArb(edges);
    case "int":
    case "uint":
      return integerArb(t.kind, decimal, edges);
    case "double":
      return doubleArb(edges);
    case "bool":
      return fc.boolean();
    case "bytes":
      return bytesArb();
    case "timestamp":
      return timestampArb();
    case "duration":
      return durationArb();
    case "enum":
      return t.values.length === 0 ? fc.constant("") : fc.constantFrom(...t.values);
    case "list":
      return fc.array(valueArb(t.element, decimal, edges), { maxLength: 5 });
    case "map":
      return fc
        .array(fc.tuple(mapKeyArb(t.key, edges), valueArb(t.value, decimal, edges)), { maxLength: 4 })
        .map((entries) => {
          const o: Record<string, JsonValue> = {};
          for (const [k, v] of entries) if (!Object.hasOwn(o, k)) put(o, k, v);
          return o;
        });
    case "dyn":
      // null reads as absent, which a required field may not be
      return (fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>).filter((v) => v !== null);
  }
}

/** A record of the declared fields; optional fields are sometimes absent (left out). */
export function recordArb(fields: ReadonlyMap<string, FieldSchema>, prefix: string, literals: PolicyLiterals, fixed: JsonObject = {}): fc.Arbitrary<JsonObject> {
  const shape: Record<string, fc.Arbitrary<JsonValue | undefined>> = {};
  for (const f of fields.values()) {
    if (Object.hasOwn(fixed, f.name)) continue;
    const arb = valueArb(f.type, f.decimal, { literals, path: `${prefix}.${f.name}` });
    shape[f.name] = f.optional ? fc.option(arb, { nil: undefined, freq: 4 }) : arb;
  }
  return fc.record(shape).map((r) => {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(r)) if (v !== undefined) put(out, k, v);
    for (const [k, v] of Object.entries(fixed)) put(out, k, v);
    return out;
  });
}

function declaredTypes(policy: CompiledPolicy, actionType: string | readonly string[] | undefined): string[] {
  const all = [...policy.checked.actions.keys()].sort();
  if (actionType === undefined) return all;
  const wanted = typeof actionType === "string" ? [actionType] : [...actionType];
  for (const t of wanted) if (!policy.checked.actions.has(t)) throw new RangeError(`unknown action type \`${t}\`; declared: ${all.join(", ")}`);
  return wanted;
}

/** An IR-shaped action `{ type, params }` of one of the given declared types (default: all). */
export interface GeneratedAction {
  readonly type: string;
  readonly params: JsonObject;
}

function actionOf(policy: CompiledPolicy, type: string): fc.Arbitrary<GeneratedAction> {
  const a = policy.checked.actions.get(type)!;
  return recordArb(a.fields, "action", policyLiterals(policy)).map((params) => ({ type, params }));
}

export function generatedActionArb(policy: CompiledPolicy, types: readonly string[]): fc.Arbitrary<GeneratedAction> {
  if (types.length === 0) throw new RangeError("no action types to generate");
  return fc.oneof(...types.map((t) => actionOf(policy, t)));
}

/**
 * Actions of the policy's declared types (all, one, or a list), as IR-shaped proposals
 * `{ action: { type, params } }` that `decide(policy, proposal, { actor, context })` accepts. Throws a RangeError
 * for an undeclared type (a mistake in the calling test, not an input).
 */
export function arbitraryAction(policy: CompiledPolicy, actionType?: string | readonly string[]): fc.Arbitrary<{ action: GeneratedAction }> {
  return generatedActionArb(policy, declaredTypes(policy, actionType)).map((action) => ({ action }));
}

/** The `actor` record: the built-in `agent` (required), `on_behalf_of`, `session`, and the declared fields. */
export function arbitraryActor(policy: CompiledPolicy, fixed: JsonObject = {}): fc.Arbitrary<JsonObject> {
  return recordArb(policy.checked.actor.fields, "actor", policyLiterals(policy), fixed);
}

/** The `context` record of the policy. */
export function arbitraryContext(policy: CompiledPolicy, fixed: JsonObject = {}): fc.Arbitrary<JsonObject> {
  return recordArb((policy.checked.context as RecordSchema).fields, "context", policyLiterals(policy), fixed);
}

/** Window edges and random times between 2000 and 2100, as ms since the epoch. */
export function timeArb(): fc.Arbitrary<number> {
  const units: CalendarUnit[] = ["day", "week", "month"];
  const base = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
  const edge = fc.tuple(base, fc.constantFrom(...units), fc.boolean()).map(([t, unit, first]) =>
    first ? calendarWindowStart(unit, t) : calendarWindowEnd(unit, t) - 1,
  );
  return fc.oneof({ weight: 2, arbitrary: base }, { weight: 1, arbitrary: edge });
}

/**
 * A whole request as an IR: `{ action, actor, context, requested_at }`. The model proposes only the action; the
 * actor, context and time are the caller's: `decide(policy, { action }, { actor, context }, { now: requested_at })`
 * (a proposal that carries its own actor/context is refused unless they equal the caller's).
 */
export function arbitraryProposal(
  policy: CompiledPolicy,
  actionType?: string | readonly string[],
): fc.Arbitrary<{ action: GeneratedAction; actor: JsonObject; context: JsonObject; requested_at: string }> {
  return fc
    .record({ action: generatedActionArb(policy, declaredTypes(policy, actionType)), actor: arbitraryActor(policy), context: arbitraryContext(policy), now: timeArb() })
    .map(({ action, actor, context, now }) => ({ action, actor, context, requested_at: isoMillis(now) }));
}

/** Counter values: small counts, N-1 / N / N+1 around the literals each is compared with, and the safe maximum. */
export function counterValuesArb(policy: CompiledPolicy, fixed: ReadonlyMap<string, number>): fc.Arbitrary<Map<string, number>> {
  const literals = policyLiterals(policy);
  const shape: Record<string, fc.Arbitrary<number>> = {};
  for (const name of policy.counters.keys()) {
    if (fixed.has(name)) continue;
    const boundaries = (literals.integers.get(`counter.${name}`) ?? []).filter((v) => v >= 0n && v <= BigInt(MAX_SAFE)).map(Number);
    const arbs: fc.WeightedArbitrary<number>[] = [
      { weight: 1, arbitrary: fc.nat(MAX_SAFE) },
      { weight: 3, arbitrary: fc.nat(20) },
      { weight: 1, arbitrary: fc.constantFrom(0, 1, MAX_SAFE - 1, MAX_SAFE) },
    ];
    if (boundaries.length > 0) arbs.push({ weight: 4, arbitrary: fc.constantFrom(...boundaries) });
    shape[name] = fc.oneof({ withCrossShrink: true }, ...arbs);
  }
  return fc.record(shape).map((r) => {
    const m = new Map<string, number>(Object.entries(r));
    for (const [k, v] of fixed) m.set(k, v);
    return m;
  });
}
