// Normalization: every way of writing the same action becomes the same JSON before canonicalization. Two passes:
//  1. `Cleaner` (schema-free, over the whole proposal): plain JSON data only, strings and keys in Unicode NFC
//     and well-formed, keys unique after NFC, -0 as 0, numbers finite, depth and size bounded.
//  2. `Normalizer` (schema-driven, over action, actor and context): type names resolved, fields checked against
//     their declared types and converted to their one canonical spelling (see README "Normalization rules").
import { types } from "node:util";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { describeNonJson, isPlainObject, wellFormed } from "./canonicalize.ts";
import { at, describeValue, irError, listNames, render, show, type IrError, type Path } from "./errors.ts";
import { setKey } from "./json.ts";
import { NameIndex, suggest } from "./names.ts";
import {
  formatFieldType,
  type FieldSchema,
  type FieldType,
  type IrSchema,
  type NameResolution,
} from "./schema.ts";
import type { IrAction, IrActor, JsonObject, JsonValue } from "./types.ts";
import { ACTOR_AGENT, ACTOR_ON_BEHALF_OF, ACTOR_SESSION } from "./types.ts";
import {
  INT64_MAX,
  INT64_MIN,
  UINT64_MAX,
  canonicalBase64,
  canonicalDuration,
  canonicalTimestamp,
  doubleFromString,
  exactInteger,
} from "./values.ts";

/** JSON plus the bigints the parser makes of integer literals beyond ±(2^53-1): the output of `Cleaner`. */
export type CleanValue = JsonValue | bigint | readonly CleanValue[] | { readonly [key: string]: CleanValue };

// ---------------------------------------------------------------------------------------------------------------
// Pass 1: clean

// Code points below U+0300 are all NFC-stable starters: strings made only of them skip the ICU call.
const MAY_NEED_NFC = /[^\u0000-\u02ff]/;

export interface CleanLimits {
  readonly maxDepth: number;
  /** budget for an estimate of the JSON size of non-text input; Infinity when the text was measured already */
  readonly maxBytes: number;
}

const isProxy = types.isProxy;

export class Cleaner {
  error: IrError | undefined;
  private budget: number;

  constructor(private readonly limits: CleanLimits) {
    this.budget = limits.maxBytes;
  }

  /** Clean copy of `v` (see the file comment), or undefined with `this.error` set. */
  value(v: unknown, path: Path, depth: number): CleanValue | undefined {
    switch (typeof v) {
      case "string":
        this.budget -= v.length + 2;
        if (this.budget < 0) return this.tooLarge();
        // Surrogates are above U+02FF too: ASCII and Latin text skips both checks.
        if (!MAY_NEED_NFC.test(v)) return v;
        if (!wellFormed(v)) return this.fail(irError(Diagnostics.irLoneSurrogate, render(path), []));
        return v.normalize("NFC");
      case "number":
        this.budget -= 8;
        if (!Number.isFinite(v)) return this.fail(irError(Diagnostics.irNotJson, render(path), [`number ${String(v)}`]));
        return v === 0 ? 0 : v;
      case "boolean":
        this.budget -= 5;
        return v;
      case "bigint":
        this.budget -= 20;
        return v;
      case "object": {
        if (v === null) {
          this.budget -= 4;
          return null;
        }
        if (depth >= this.limits.maxDepth) return this.fail(irError(Diagnostics.irNestingTooDeep, render(path), [this.limits.maxDepth]));
        if (this.budget < 0) return this.tooLarge();
        // A Proxy can answer each read differently (the policy one value, the tool another): refused.
        if (isProxy(v)) return this.fail(irError(Diagnostics.irNotJson, render(path), ["a Proxy"]));
        if (Array.isArray(v)) {
          const out: CleanValue[] = new Array<CleanValue>(v.length);
          this.budget -= 2 + v.length;
          for (let i = 0; i < v.length; i++) {
            const e = this.value(v[i], at(path, i), depth + 1);
            if (e === undefined) return undefined;
            out[i] = e;
          }
          return out;
        }
        if (v instanceof Date) {
          // As JSON.stringify would: its ISO string; a timestamp field then canonicalizes it.
          if (Number.isNaN(v.getTime())) return this.fail(irError(Diagnostics.irNotJson, render(path), ["an invalid Date"]));
          return v.toISOString();
        }
        if (!isPlainObject(v)) return this.fail(irError(Diagnostics.irNotJson, render(path), [describeNonJson(v)]));
        const out: Record<string, CleanValue> = {};
        const keys = Object.keys(v);
        this.budget -= 2 + keys.length;
        for (const rawKey of keys) {
          const raw = (v as Record<string, unknown>)[rawKey];
          if (raw === undefined) continue; // as JSON.stringify: an undefined property is an absent one
          this.budget -= rawKey.length + 3;
          let key = rawKey;
          if (MAY_NEED_NFC.test(rawKey)) {
            if (!wellFormed(rawKey)) return this.fail(irError(Diagnostics.irLoneSurrogate, render(at(path, rawKey)), []));
            key = rawKey.normalize("NFC");
          }
          const kp = at(path, key);
          if (Object.hasOwn(out, key)) {
            return this.fail(irError(Diagnostics.irDuplicateKey, render(kp), [show(key)], { help: "two keys are the same text after Unicode NFC normalization" }));
          }
          const e = this.value(raw, kp, depth + 1);
          if (e === undefined) return undefined;
          setKey(out, key, e);
        }
        return out;
      }
      default:
        return this.fail(irError(Diagnostics.irNotJson, render(path), [describeNonJson(v)]));
    }
  }

  private tooLarge(): undefined {
    return this.fail(irError(Diagnostics.irPayloadTooLarge, render("$"), [`about ${this.limits.maxBytes - this.budget}`, this.limits.maxBytes]));
  }

  private fail(e: IrError): undefined {
    this.error ??= e;
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pass 2: normalize against the schema

const BUILTIN_ACTOR_FIELDS: ReadonlyMap<string, FieldSchema> = new Map([
  [ACTOR_AGENT, { type: { kind: "string" }, optional: false, sensitive: false, decimal: false }],
  [ACTOR_ON_BEHALF_OF, { type: { kind: "string" }, optional: true, sensitive: false, decimal: false }],
  [ACTOR_SESSION, { type: { kind: "string" }, optional: true, sensitive: false, decimal: false }],
]);
const NO_FIELDS: ReadonlyMap<string, FieldSchema> = new Map();

// Per-schema lookup structures, built on first use. Schemas are treated as immutable once used.
interface SchemaIndex {
  readonly types: NameIndex;
  readonly actorFields: ReadonlyMap<string, FieldSchema>;
}
const schemaIndexes = new WeakMap<IrSchema, SchemaIndex>();

function indexOf(schema: IrSchema): SchemaIndex {
  let idx = schemaIndexes.get(schema);
  if (idx === undefined) {
    const actorFields = new Map(BUILTIN_ACTOR_FIELDS);
    for (const [name, f] of schema.actor?.fields ?? NO_FIELDS) {
      // `agent` stays a required string whatever the record says: every stage relies on it.
      if (name !== ACTOR_AGENT) actorFields.set(name, f);
    }
    idx = { types: new NameIndex(schema.actionTypes.values()), actorFields };
    schemaIndexes.set(schema, idx);
  }
  return idx;
}

/** Resolves an action type name as written to the declared name (see README "Action type names"). */
export function resolveTypeName(schema: IrSchema, name: string): NameResolution {
  return schema.resolveTypeName !== undefined ? schema.resolveTypeName(name) : indexOf(schema).types.resolve(name);
}

const enumSets = new WeakMap<FieldType, ReadonlySet<string>>();
function enumSet(t: Extract<FieldType, { kind: "enum" }>): ReadonlySet<string> {
  let s = enumSets.get(t);
  if (s === undefined) enumSets.set(t, (s = new Set(t.values.map((v) => v.normalize("NFC")))));
  return s;
}

/** The raw action as a proposal or a tool mapping gives it, after the `Cleaner`. */
export interface RawAction {
  readonly type: CleanValue;
  readonly target?: CleanValue | undefined;
  readonly params?: CleanValue | undefined;
}

/**
 * Schema-driven normalization. Methods return the normalized value, or undefined with `error` set to the first
 * problem found (fields are visited in a fixed order, so the same input always reports the same error).
 */
export class Normalizer {
  error: IrError | undefined;

  constructor(private readonly schema: IrSchema) {}

  action(raw: RawAction, path: Path): IrAction | undefined {
    const typePath = at(path, "type");
    if (typeof raw.type !== "string") return this.fail(irError(Diagnostics.irWrongType, render(typePath), ["an action type name (string)", describeValue(raw.type)]));
    const resolved = resolveTypeName(this.schema, raw.type);
    if (resolved.kind === "ambiguous") {
      return this.fail(irError(Diagnostics.irAmbiguousActionType, render(typePath), [show(raw.type), listNames(resolved.candidates)], { help: "write the declared name exactly" }));
    }
    const declared = resolved.kind === "found" ? this.schema.actionTypes.get(resolved.name) : undefined;
    if (declared === undefined) {
      const help = resolved.kind === "unknown" && resolved.suggestion !== undefined ? `did you mean \`${resolved.suggestion}\`?` : `declared action types: ${listNames([...this.schema.actionTypes.keys()])}`;
      return this.fail(irError(Diagnostics.irUnknownActionType, render(typePath), [show(raw.type)], { help }));
    }
    let target: string | null = null;
    if (raw.target !== undefined && raw.target !== null) {
      if (typeof raw.target !== "string") return this.fail(irError(Diagnostics.irWrongType, render(at(path, "target")), ["a target (string or null)", describeValue(raw.target)]));
      target = raw.target;
    }
    const params = this.record(raw.params ?? {}, declared.fields, `action \`${declared.name}\``, at(path, "params"));
    if (params === undefined) return undefined;
    return { type: declared.name, target, params };
  }

  actor(raw: CleanValue, path: Path): IrActor | undefined {
    const out = this.record(raw, indexOf(this.schema).actorFields, "the actor", path);
    return out as IrActor | undefined;
  }

  context(raw: CleanValue, path: Path): JsonObject | undefined {
    return this.record(raw, this.schema.context?.fields ?? NO_FIELDS, "the context", path);
  }

  /** An object checked field by field: undeclared keys first (with a suggestion), then each declared field. */
  record(raw: CleanValue, fields: ReadonlyMap<string, FieldSchema>, where: string, path: Path): JsonObject | undefined {
    if (!isObject(raw)) return this.fail(irError(Diagnostics.irWrongType, render(path), [`an object (${where})`, describeValue(raw)]));
    const out: Record<string, JsonValue> = {};
    const allowExtra = this.schema.options.extraParams === "allow";
    const undeclared: string[] = [];
    for (const k of Object.keys(raw)) if (!fields.has(k)) undeclared.push(k);
    if (undeclared.length > 0) {
      if (!allowExtra) {
        const k = undeclared.sort()[0]!;
        const hint = suggest(k, fields.keys());
        const help = hint !== undefined ? `did you mean \`${hint}\`?` : `declared fields: ${listNames([...fields.keys()])}`;
        return this.fail(irError(Diagnostics.irUndeclaredField, render(at(path, k)), [show(k), where], { help }));
      }
      for (const k of undeclared) {
        const v = this.dyn(raw[k]!, at(path, k));
        if (v === undefined) return undefined;
        if (v !== null) setKey(out, k, v);
      }
    }
    for (const [name, f] of fields) {
      const v = Object.hasOwn(raw, name) ? raw[name] : undefined;
      if (v === undefined || v === null) {
        if (f.optional) continue;
        const given = suggest(name, undeclared);
        const help = given !== undefined ? `\`${show(given)}\` was given; is it a misspelling?` : undefined;
        return this.fail(irError(Diagnostics.irMissingField, render(at(path, name)), [name, where], { help }));
      }
      const n = this.value(v, f.type, f.decimal, at(path, name));
      if (n === undefined) return undefined;
      setKey(out, name, n);
    }
    return out;
  }

  /** One value against its declared type. */
  value(v: CleanValue, t: FieldType, decimal: boolean, path: Path): JsonValue | undefined {
    switch (t.kind) {
      case "string":
        return typeof v === "string" ? v : this.wrongType(t, v, path);
      case "bool":
        if (typeof v === "boolean") return v;
        if (v === "true" || v === "false") return v === "true";
        return this.wrongType(t, v, path);
      case "int":
      case "uint":
        return this.integer(v, t.kind, decimal, path);
      case "double": {
        if (typeof v === "number") return v;
        if (typeof v === "bigint") return Number(v);
        if (typeof v === "string") {
          const d = doubleFromString(v);
          if (d !== undefined) return d;
        }
        return this.wrongType(t, v, path);
      }
      case "timestamp": {
        if (typeof v !== "string") return this.wrongType(t, v, path);
        const r = canonicalTimestamp(v);
        return r.ok ? r.value : this.fail(irError(Diagnostics.irInvalidTimestamp, render(path), [show(v), r.error]));
      }
      case "duration": {
        if (typeof v !== "string") return this.wrongType(t, v, path);
        const r = canonicalDuration(v);
        return r.ok ? r.value : this.fail(irError(Diagnostics.irInvalidDuration, render(path), [show(v), r.error]));
      }
      case "bytes": {
        if (typeof v !== "string") return this.wrongType(t, v, path);
        const r = canonicalBase64(v);
        return r.ok ? r.value : this.fail(irError(Diagnostics.irInvalidBytes, render(path), [r.error]));
      }
      case "enum": {
        if (typeof v !== "string") return this.wrongType(t, v, path);
        if (enumSet(t).has(v)) return v;
        const hint = suggest(v, t.values);
        const help = hint === undefined ? undefined : `did you mean \`${hint}\`?`;
        return this.fail(irError(Diagnostics.irNotEnumValue, render(path), [show(v), t.values.map((x) => JSON.stringify(x)).join(" | ")], { help }));
      }
      case "dyn":
        return this.dyn(v, path);
      case "list": {
        if (!Array.isArray(v)) return this.wrongType(t, v, path);
        const items = v as readonly CleanValue[];
        const out = new Array<JsonValue>(items.length);
        for (let i = 0; i < items.length; i++) {
          const e = this.value(items[i]!, t.element, decimal, at(path, i));
          if (e === undefined) return undefined;
          out[i] = e;
        }
        return out;
      }
      case "map": {
        if (!isObject(v)) return this.wrongType(t, v, path);
        const out: Record<string, JsonValue> = {};
        for (const k of Object.keys(v)) {
          const kp = at(path, k);
          const key = this.mapKey(k, t.key, kp);
          if (key === undefined) return undefined;
          if (Object.hasOwn(out, key)) return this.fail(irError(Diagnostics.irDuplicateKey, render(kp), [show(key)], { help: `two keys denote the same ${formatFieldType(t.key)} \`${show(key)}\`` }));
          const e = this.value(v[k]!, t.value, decimal, kp);
          if (e === undefined) return undefined;
          setKey(out, key, e);
        }
        return out;
      }
    }
  }

  /** JSON object keys are strings; a map key of another scalar type is that value's canonical spelling. */
  private mapKey(k: string, t: FieldType, path: Path): string | undefined {
    if (t.kind === "string" || t.kind === "dyn") return k;
    const v = this.value(k, t, false, path);
    if (v === undefined) return undefined;
    return typeof v === "string" ? v : String(v);
  }

  private integer(v: CleanValue, kind: "int" | "uint", decimal: boolean, path: Path): JsonValue | undefined {
    let exact: bigint;
    const shown = typeof v === "string" ? v : typeof v === "bigint" ? v.toString() : String(v);
    if (typeof v === "number") {
      if (!Number.isInteger(v)) return this.fail(irError(Diagnostics.irInexactNumber, render(path), [show(shown), kind]));
      // Beyond 2^53 a double no longer says which integer was meant: only exact inputs (strings, big literals) count.
      if (!Number.isSafeInteger(v)) return this.fail(irError(Diagnostics.irUnsafeInteger, render(path), [show(shown)], { help: decimal ? "send it as a decimal string" : "mark the field `@decimal` to carry it as a decimal string" }));
      exact = BigInt(v);
    } else if (typeof v === "bigint") {
      exact = v;
    } else if (typeof v === "string") {
      const r = exactInteger(v);
      if (r === undefined) return this.wrongType({ kind }, v, path);
      if (r.kind === "fraction") return this.fail(irError(Diagnostics.irInexactNumber, render(path), [show(shown), kind]));
      if (r.kind === "huge") return this.fail(irError(Diagnostics.irOutOfRange, render(path), [show(shown), kind]));
      exact = r.value;
    } else {
      return this.wrongType({ kind }, v, path);
    }
    if (kind === "uint" && exact < 0n) return this.fail(irError(Diagnostics.irOutOfRange, render(path), [show(shown), "uint"]));
    if (decimal) {
      if (exact < (kind === "int" ? INT64_MIN : 0n) || exact > (kind === "int" ? INT64_MAX : UINT64_MAX)) {
        return this.fail(irError(Diagnostics.irOutOfRange, render(path), [show(shown), `${kind} (64-bit)`]));
      }
      return exact.toString();
    }
    if (exact > BigInt(Number.MAX_SAFE_INTEGER) || exact < -BigInt(Number.MAX_SAFE_INTEGER)) {
      return this.fail(irError(Diagnostics.irUnsafeInteger, render(path), [show(shown)], { help: "mark the field `@decimal` to carry it as a decimal string" }));
    }
    return Number(exact);
  }

  /** `dyn`: any JSON; the cleaning pass did the work, except that integers beyond 2^53 have no exact form here. */
  private dyn(v: CleanValue, path: Path): JsonValue | undefined {
    if (typeof v === "bigint") {
      return this.fail(irError(Diagnostics.irUnsafeInteger, render(path), [show(v.toString())], { help: "declare the field `int @decimal` or send a string" }));
    }
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) {
      const items = v as readonly CleanValue[];
      for (let i = 0; i < items.length; i++) if (this.dyn(items[i]!, at(path, i)) === undefined) return undefined;
      return v as JsonValue;
    }
    const o = v as { readonly [key: string]: CleanValue };
    for (const k of Object.keys(o)) if (this.dyn(o[k]!, at(path, k)) === undefined) return undefined;
    return v as JsonValue;
  }

  private wrongType(t: FieldType, v: CleanValue, path: Path): undefined {
    return this.fail(irError(Diagnostics.irWrongType, render(path), [formatFieldType(t), describeValue(v)]));
  }

  private fail(e: IrError): undefined {
    this.error ??= e;
    return undefined;
  }
}

export function isObject(v: unknown): v is { readonly [key: string]: CleanValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

