// CEL's static types, gradual: `dyn` is assignable to and from everything; `param` types are the type parameters of
// overload signatures (`_==_(A, A)`), bound during overload resolution. Records are our schema records (action
// parameters, actor, context): protobuf-message-like, with a declared set of fields, some optional.

export type PrimitiveKind =
  | "int"
  | "uint"
  | "double"
  | "bool"
  | "string"
  | "bytes"
  | "null_type"
  | "timestamp"
  | "duration"
  | "dyn"
  /** the type of an expression that failed to check; behaves like dyn to avoid cascades */
  | "error";

export interface PrimitiveType {
  readonly kind: PrimitiveKind;
}

export interface ListType {
  readonly kind: "list";
  readonly elem: CelType;
}

export interface MapType {
  readonly kind: "map";
  readonly key: CelType;
  readonly value: CelType;
}

/** `type(T)`: the type of a type value; `of` null means "some type" (the type of `type`). */
export interface TypeType {
  readonly kind: "type";
  readonly of: CelType | null;
}

export interface RecordField {
  readonly name: string;
  readonly type: CelType;
  readonly optional: boolean;
}

export interface RecordType {
  readonly kind: "record";
  /** a stable, unique name, e.g. `action.invoice.delete`, `actor`, `context` */
  readonly name: string;
  readonly fields: ReadonlyMap<string, RecordField>;
}

export interface TypeParam {
  readonly kind: "param";
  readonly name: string;
}

/**
 * An abstract type of an extension library, by name, with type arguments: `optional_type(int)`, `net.IP`,
 * `net.CIDR`, `kubernetes.URL`. Values are CelOpaqueValue subclasses with the same `typeName`.
 */
export interface OpaqueType {
  readonly kind: "opaque";
  readonly name: string;
  readonly params: readonly CelType[];
}

export type CelType = PrimitiveType | ListType | MapType | TypeType | RecordType | TypeParam | OpaqueType;

const prim = (kind: PrimitiveKind): PrimitiveType => Object.freeze({ kind });

/** Interned primitive types: compare with `===` or by `kind`. */
export const T = {
  int: prim("int"),
  uint: prim("uint"),
  double: prim("double"),
  bool: prim("bool"),
  string: prim("string"),
  bytes: prim("bytes"),
  null: prim("null_type"),
  timestamp: prim("timestamp"),
  duration: prim("duration"),
  dyn: prim("dyn"),
  error: prim("error"),
} as const;

export function listType(elem: CelType): ListType {
  return { kind: "list", elem };
}

export function mapType(key: CelType, value: CelType): MapType {
  return { kind: "map", key, value };
}

export function typeType(of: CelType | null): TypeType {
  return { kind: "type", of };
}

export function opaqueType(name: string, params: readonly CelType[] = []): OpaqueType {
  return { kind: "opaque", name, params };
}

/** `optional_type(T)`: the type of `optional.of(x)`, `m.?key`, `list[?i]`. */
export const OPTIONAL_TYPE_NAME = "optional_type";

export function optionalType(of: CelType): OpaqueType {
  return opaqueType(OPTIONAL_TYPE_NAME, [of]);
}

/** The value type of an optional type, or undefined when `t` is not one. */
export function optionalOf(t: CelType): CelType | undefined {
  return t.kind === "opaque" && t.name === OPTIONAL_TYPE_NAME ? t.params[0] : undefined;
}

export function typeParam(name: string): TypeParam {
  return { kind: "param", name };
}

/** `recordType("actor", [{ name: "agent", type: T.string }, { name: "team", type: T.string, optional: true }])` */
export function recordType(
  name: string,
  fields: readonly { readonly name: string; readonly type: CelType; readonly optional?: boolean }[],
): RecordType {
  const map = new Map<string, RecordField>();
  for (const f of fields) map.set(f.name, { name: f.name, type: f.type, optional: f.optional ?? false });
  return { kind: "record", name, fields: map };
}

/** CEL's spelling of a type: `int`, `list(string)`, `map(string, dyn)`, `type(int)`, record names. */
export function formatType(t: CelType): string {
  switch (t.kind) {
    case "list":
      return `list(${formatType(t.elem)})`;
    case "map":
      return `map(${formatType(t.key)}, ${formatType(t.value)})`;
    case "type":
      return t.of === null ? "type" : `type(${formatType(t.of)})`;
    case "record":
      return t.name;
    case "param":
      return t.name;
    case "opaque":
      return t.params.length === 0 ? t.name : `${t.name}(${t.params.map(formatType).join(", ")})`;
    case "timestamp":
      return "google.protobuf.Timestamp";
    case "duration":
      return "google.protobuf.Duration";
    default:
      return t.kind;
  }
}

/** The runtime type name of values of this type (`type(x)`), e.g. `list` for `list(int)`. */
export function runtimeTypeName(t: CelType): string {
  switch (t.kind) {
    case "list":
      return "list";
    case "map":
      return "map";
    case "type":
      return "type";
    case "opaque":
      return t.name;
    default:
      return formatType(t);
  }
}

export function isDynLike(t: CelType): boolean {
  return t.kind === "dyn" || t.kind === "error";
}

/** Structural type equality (records by name). */
export function typeEquals(a: CelType, b: CelType): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "list":
      return typeEquals(a.elem, (b as ListType).elem);
    case "map":
      return typeEquals(a.key, (b as MapType).key) && typeEquals(a.value, (b as MapType).value);
    case "type": {
      const bo = (b as TypeType).of;
      if (a.of === null || bo === null) return a.of === bo;
      return typeEquals(a.of, bo);
    }
    case "record":
      return a.name === (b as RecordType).name;
    case "param":
      return a.name === (b as TypeParam).name;
    case "opaque": {
      const o = b as OpaqueType;
      return a.name === o.name && a.params.length === o.params.length && a.params.every((p, k) => typeEquals(p, o.params[k]!));
    }
    default:
      return true;
  }
}

/** Type-parameter bindings made while resolving one overload. */
export type Substitution = Map<string, CelType>;

export function substitute(t: CelType, s: Substitution, defaultToDyn = false): CelType {
  switch (t.kind) {
    case "param": {
      const bound = s.get(t.name);
      if (bound === undefined) return defaultToDyn ? T.dyn : t;
      return substitute(bound, s, defaultToDyn);
    }
    case "list":
      return listType(substitute(t.elem, s, defaultToDyn));
    case "map":
      return mapType(substitute(t.key, s, defaultToDyn), substitute(t.value, s, defaultToDyn));
    case "type":
      return t.of === null ? t : typeType(substitute(t.of, s, defaultToDyn));
    case "opaque":
      return t.params.length === 0 ? t : opaqueType(t.name, t.params.map((p) => substitute(p, s, defaultToDyn)));
    default:
      return t;
  }
}

function occurs(name: string, t: CelType, s: Substitution): boolean {
  const r = substitute(t, s);
  switch (r.kind) {
    case "param":
      return r.name === name;
    case "list":
      return occurs(name, r.elem, s);
    case "map":
      return occurs(name, r.key, s) || occurs(name, r.value, s);
    case "type":
      return r.of !== null && occurs(name, r.of, s);
    case "opaque":
      return r.params.some((p) => occurs(name, p, s));
    default:
      return false;
  }
}

/**
 * Is a value of type `actual` acceptable where `formal` is expected? Binds type parameters of `formal` in `s`
 * (mutating it only on success). `dyn` is compatible both ways.
 */
export function isAssignable(formal: CelType, actual: CelType, s: Substitution): boolean {
  const trial = new Map(s);
  if (!assign(formal, actual, trial)) return false;
  s.clear();
  for (const [k, v] of trial) s.set(k, v);
  return true;
}

function assign(formal: CelType, actual: CelType, s: Substitution): boolean {
  if (formal.kind === "param") {
    const bound = s.get(formal.name);
    if (bound !== undefined) {
      if (isDynLike(actual) && !isDynLike(bound)) {
        // A dyn argument makes the parameter dyn: `[1] + [dyn(x)]` is list(dyn), not list(int).
        s.set(formal.name, T.dyn);
        return true;
      }
      if (assign(bound, actual, s)) return true;
      // A later, more general argument widens the binding: `[1] + [dyn(x)]` is list(dyn).
      if (assign(actual, bound, s)) {
        s.set(formal.name, actual);
        return true;
      }
      return false;
    }
    if (actual.kind === "param" && actual.name === formal.name) return true;
    if (occurs(formal.name, actual, s)) return false;
    s.set(formal.name, actual);
    return true;
  }
  if (actual.kind === "param") {
    const bound = s.get(actual.name);
    if (bound !== undefined) return assign(formal, bound, s);
    if (occurs(actual.name, formal, s)) return false;
    s.set(actual.name, formal);
    return true;
  }
  if (isDynLike(formal) || isDynLike(actual)) return true;
  if (formal.kind !== actual.kind) return false;
  switch (formal.kind) {
    case "list":
      return assign(formal.elem, (actual as ListType).elem, s);
    case "map":
      return assign(formal.key, (actual as MapType).key, s) && assign(formal.value, (actual as MapType).value, s);
    case "type":
      // All type values share the runtime type `type`: `type(1) == type(1u)` is a valid (false) comparison.
      return true;
    case "record":
      return formal.name === (actual as RecordType).name;
    case "opaque": {
      const o = actual as OpaqueType;
      if (formal.name !== o.name || formal.params.length !== o.params.length) return false;
      for (let k = 0; k < formal.params.length; k++) if (!assign(formal.params[k]!, o.params[k]!, s)) return false;
      return true;
    }
    default:
      return true;
  }
}

/** The least general type covering both (for list/map literals and overload results): equal types, else dyn. */
export function joinTypes(a: CelType, b: CelType): CelType {
  if (typeEquals(a, b)) return a;
  if (a.kind === "error") return b;
  if (b.kind === "error") return a;
  if (a.kind === "list" && b.kind === "list") return listType(joinTypes(a.elem, b.elem));
  if (a.kind === "map" && b.kind === "map") return mapType(joinTypes(a.key, b.key), joinTypes(a.value, b.value));
  if (a.kind === "type" && b.kind === "type") return typeType(null);
  if (a.kind === "opaque" && b.kind === "opaque" && a.name === b.name && a.params.length === b.params.length)
    return opaqueType(a.name, a.params.map((p, k) => joinTypes(p, b.params[k]!)));
  return T.dyn;
}

/** Type names usable as identifiers in expressions (`int`, `type(x) == string`). */
export const TYPE_IDENTIFIERS: ReadonlyMap<string, CelType> = new Map<string, CelType>([
  ["int", T.int],
  ["uint", T.uint],
  ["double", T.double],
  ["bool", T.bool],
  ["string", T.string],
  ["bytes", T.bytes],
  ["null_type", T.null],
  ["list", listType(T.dyn)],
  ["map", mapType(T.dyn, T.dyn)],
  ["type", typeType(null)],
  ["google.protobuf.Timestamp", T.timestamp],
  ["google.protobuf.Duration", T.duration],
  [OPTIONAL_TYPE_NAME, optionalType(T.dyn)],
]);
