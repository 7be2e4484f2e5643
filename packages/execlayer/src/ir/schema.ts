// The schema interface normalization needs. The policy compiler builds one from a checked `.xpol` policy (its
// `action`, `actor`, `context` and `option` declarations); tests and embedders may build one by hand or with
// `irSchemaFromDeclarations`. This file imports nothing but types.

/** The type of a parameter or record field, as declared in the policy. */
export type FieldType =
  | { readonly kind: "string" }
  | { readonly kind: "int" }
  | { readonly kind: "uint" }
  | { readonly kind: "double" }
  | { readonly kind: "bool" }
  | { readonly kind: "bytes" }
  | { readonly kind: "timestamp" }
  | { readonly kind: "duration" }
  | { readonly kind: "dyn" }
  | { readonly kind: "list"; readonly element: FieldType }
  | { readonly kind: "map"; readonly key: FieldType; readonly value: FieldType }
  | { readonly kind: "enum"; readonly values: readonly string[] };

export interface FieldSchema {
  readonly type: FieldType;
  /** `name?: T`: may be absent (a JSON null counts as absent) */
  readonly optional: boolean;
  /** `@sensitive`: normalized like any other field; receipts and logs may redact it (see `redactSensitive`) */
  readonly sensitive: boolean;
  /** `@decimal`: int/uint values (also inside lists and maps) are carried as decimal strings, exact up to 64 bits */
  readonly decimal: boolean;
}

export interface ActionTypeSchema {
  /** the declared name, e.g. `invoice.delete` */
  readonly name: string;
  /** declared aliases, e.g. `deleteInvoice` */
  readonly aliases: readonly string[];
  readonly fields: ReadonlyMap<string, FieldSchema>;
}

/** The `actor { }` or `context { }` record. */
export interface RecordSchema {
  readonly fields: ReadonlyMap<string, FieldSchema>;
}

/** The outcome of resolving a type (or tool) name against the declared names. */
export type NameResolution =
  | { readonly kind: "found"; readonly name: string }
  | { readonly kind: "ambiguous"; readonly candidates: readonly string[] }
  | { readonly kind: "unknown"; readonly suggestion?: string };

export interface IrOptions {
  /**
   * Parameters (and actor/context fields) the schema does not declare: rejected (the default, fail closed), or
   * kept and normalized as `dyn`. From the policy's `option extra_params = "allow"`.
   */
  readonly extraParams: "reject" | "allow";
}

export interface IrSchema {
  /** declared action types by declared name */
  readonly actionTypes: ReadonlyMap<string, ActionTypeSchema>;
  /** the `actor { }` record; absent means only the built-in fields (`agent`, `on_behalf_of`, `session`) */
  readonly actor?: RecordSchema;
  /** the `context { }` record; absent means no declared fields */
  readonly context?: RecordSchema;
  /**
   * Overrides the built-in type-name resolution (exact name, alias, then case/separator variants; see README).
   * Most schemas leave it out.
   */
  readonly resolveTypeName?: (name: string) => NameResolution;
  readonly options: IrOptions;
}

// Small constructors so hand-built schemas (tests, embedders) stay short.
export const FieldTypes = {
  string: { kind: "string" },
  int: { kind: "int" },
  uint: { kind: "uint" },
  double: { kind: "double" },
  bool: { kind: "bool" },
  bytes: { kind: "bytes" },
  timestamp: { kind: "timestamp" },
  duration: { kind: "duration" },
  dyn: { kind: "dyn" },
  list: (element: FieldType): FieldType => ({ kind: "list", element }),
  map: (key: FieldType, value: FieldType): FieldType => ({ kind: "map", key, value }),
  enum: (...values: string[]): FieldType => ({ kind: "enum", values }),
} as const satisfies Record<string, FieldType | ((...a: never[]) => FieldType)>;

/** A field: required, not sensitive, not decimal, unless `flags` says so. */
export function field(type: FieldType, flags: { optional?: boolean; sensitive?: boolean; decimal?: boolean } = {}): FieldSchema {
  return { type, optional: flags.optional ?? false, sensitive: flags.sensitive ?? false, decimal: flags.decimal ?? false };
}

/** `fieldsOf({ invoice_id: field(T.string) })` as the ReadonlyMap the schema wants. */
export function fieldsOf(fields: Readonly<Record<string, FieldSchema>>): ReadonlyMap<string, FieldSchema> {
  return new Map(Object.entries(fields));
}

/** Writes a FieldType as the policy would (`list<int>`, `"a" | "b"`), for messages. */
export function formatFieldType(t: FieldType): string {
  switch (t.kind) {
    case "list":
      return `list<${formatFieldType(t.element)}>`;
    case "map":
      return `map<${formatFieldType(t.key)}, ${formatFieldType(t.value)}>`;
    case "enum":
      return t.values.map((v) => JSON.stringify(v)).join(" | ");
    default:
      return t.kind;
  }
}
