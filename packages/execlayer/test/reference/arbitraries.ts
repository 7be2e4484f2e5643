// Random well-typed inputs for a compiled policy, generated from its schema: every action type, parameter values
// mixing edge values with the literals the policy's conditions compare against (so both branches of a condition
// are reached), optional fields present or absent, random counter values, actors, contexts and request times.
import { fc } from "@fast-check/vitest";
import type { FieldSchema, FieldType } from "../../src/check/policy-schema.ts";
import { walkExpr, type TypedExpr } from "../../src/check/policy-exprs.ts";
import type { JsonObject, JsonValue, SovereignIR } from "../../src/ir/types.ts";
import type { CompiledPolicy } from "../../src/engine/plan.ts";

export interface Literals {
  readonly strings: readonly string[];
  readonly ints: readonly number[];
}

/** The string and integer literals of every condition, escalation and counter expression. */
export function literalsOf(policy: CompiledPolicy): Literals {
  const strings = new Set<string>(["", "a"]);
  const ints = new Set<number>([0, 1, -1, 2 ** 31, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
  const exprs: TypedExpr[] = [];
  const c = policy.checked;
  for (const r of c.rules) if (r.condition !== null) exprs.push(r.condition);
  for (const a of c.actions.values()) for (const e of a.escalations) exprs.push(e.condition);
  for (const k of c.counters.values()) exprs.push(...k.keys, ...(k.filter === null ? [] : [k.filter]));
  for (const t of exprs)
    walkExpr(t.expr, (e) => {
      if (e.kind !== "literal") return;
      const l = e.literal;
      if (l.type === "string") strings.add(l.value);
      if ((l.type === "int" || l.type === "uint") && l.value <= BigInt(Number.MAX_SAFE_INTEGER) && l.value >= -BigInt(Number.MAX_SAFE_INTEGER)) {
        const n = Number(l.value);
        for (const x of [n - 1, n, n + 1]) if (Number.isSafeInteger(x)) ints.add(x);
      }
      if (l.type === "double" && Number.isFinite(l.value)) for (const x of [Math.floor(l.value), Math.ceil(l.value) + 1]) ints.add(x);
    });
  return { strings: [...strings], ints: [...ints] };
}

function stringArb(lit: Literals): fc.Arbitrary<string> {
  const literal = fc.constantFrom(...lit.strings);
  return fc.oneof(
    { weight: 4, arbitrary: literal },
    { weight: 2, arbitrary: fc.tuple(literal, fc.string({ maxLength: 6 })).map(([a, b]) => a + b) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), literal).map(([a, b]) => a + b) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
}

function intArb(lit: Literals, unsigned: boolean): fc.Arbitrary<number> {
  const base = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...lit.ints) }, { weight: 1, arbitrary: fc.integer({ min: -100000, max: 100000 }) });
  return unsigned ? base.map((n) => Math.abs(n)) : base;
}

/** A JSON value of the given declared type, in the IR's normalized form. */
export function valueArb(t: FieldType, lit: Literals, decimal: boolean): fc.Arbitrary<JsonValue> {
  switch (t.kind) {
    case "string":
      return stringArb(lit);
    case "enum":
      return fc.constantFrom(...t.values);
    case "int":
    case "uint": {
      const n = intArb(lit, t.kind === "uint");
      return decimal ? n.map((x) => String(x)) : n;
    }
    case "double":
      return fc.oneof(intArb(lit, false), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }));
    case "bool":
      return fc.boolean();
    case "bytes":
      return fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString("base64"));
    case "timestamp":
      return fc.integer({ min: 0, max: 4102444800 }).map((s) => new Date(s * 1000).toISOString().replace(".000Z", "Z"));
    case "duration":
      return fc.integer({ min: 0, max: 10 ** 7 }).map((s) => `${s}s`);
    case "list":
      return fc.array(valueArb(t.element, lit, decimal), { maxLength: 4 });
    case "map": {
      const key = t.key.kind === "string" || t.key.kind === "dyn" ? stringArb(lit) : intArb(lit, t.key.kind === "uint").map(String);
      return fc.dictionary(key, valueArb(t.value, lit, decimal), { maxKeys: 3 }) as fc.Arbitrary<JsonValue>;
    }
    case "dyn":
      return fc.oneof(stringArb(lit), intArb(lit, false), fc.boolean(), fc.constant(null));
  }
}

export function recordArb(fields: ReadonlyMap<string, FieldSchema>, lit: Literals): fc.Arbitrary<JsonObject> {
  const entries = [...fields.values()].map((f) => {
    const v = valueArb(f.type, lit, f.decimal);
    return [f.name, f.optional ? fc.option(v, { nil: undefined, freq: 3 }) : v] as const;
  });
  return fc.record(Object.fromEntries(entries)).map((o) => {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v as JsonValue;
    return out;
  });
}

export interface Scenario {
  readonly ir: SovereignIR;
  readonly counters: ReadonlyMap<string, number>;
}

/** One action of any declared type, with actor, context, time and counter values. */
export function scenarioArb(policy: CompiledPolicy): fc.Arbitrary<Scenario> {
  const lit = literalsOf(policy);
  const c = policy.checked;
  const actionArbs = [...c.actions.values()].map((a) =>
    fc.record({
      type: fc.constant(a.name),
      target: fc.option(stringArb(lit), { nil: null }),
      params: recordArb(a.fields, lit),
    }),
  );
  const counterNames = [...c.counters.keys()];
  const counters = fc
    .tuple(...counterNames.map(() => fc.oneof(fc.constantFrom(...lit.ints.filter((n) => n >= 0 && n < 2 ** 40)), fc.nat({ max: 5000 }))))
    .map((vals) => new Map(counterNames.map((n, i) => [n, vals[i]!])));
  return fc
    .record({
      action: fc.oneof(...actionArbs),
      actor: recordArb(c.actor.fields, lit),
      context: recordArb(c.context.fields, lit),
      at: fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }),
      counters,
    })
    .map(({ action, actor, context, at, counters }) => ({
      ir: {
        version: "1",
        action,
        actor: actor as SovereignIR["actor"],
        context,
        requested_at: new Date(at * 1000).toISOString().replace(".000Z", "Z"),
      },
      counters,
    }));
}
