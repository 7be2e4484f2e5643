// Schema types: what a field of an action, `actor` or `context` record may hold, as declared in the policy.
// Kept apart from CEL types because the schema knows more (enum values, optionality) than CEL does.
import type { TypeRef } from "../syntax/ast.ts";
import { formatFieldType, type FieldSchema as IrFieldSchema, type FieldType } from "../ir/schema.ts";

export type ScalarTypeName = "string" | "int" | "uint" | "double" | "bool" | "bytes" | "timestamp" | "duration" | "dyn";

export const SCALAR_TYPE_NAMES: readonly ScalarTypeName[] = [
  "string",
  "int",
  "uint",
  "double",
  "bool",
  "bytes",
  "timestamp",
  "duration",
  "dyn",
];

/** The same type src/ir normalizes with: the checker's schema is what the compiler hands to src/ir. */
export type { FieldType };

export interface FieldSchema extends IrFieldSchema {
  readonly name: string;
}

export interface RecordSchema {
  readonly fields: ReadonlyMap<string, FieldSchema>;
}

export function fieldTypesEqual(a: FieldType, b: FieldType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "list":
      return fieldTypesEqual(a.element, (b as typeof a).element);
    case "map":
      return fieldTypesEqual(a.key, (b as typeof a).key) && fieldTypesEqual(a.value, (b as typeof a).value);
    case "enum": {
      const bv = (b as typeof a).values;
      return a.values.length === bv.length && a.values.every((v) => bv.includes(v));
    }
    default:
      return true;
  }
}

export type TypeRefProblem =
  | { readonly kind: "unknown-type"; readonly name: string; readonly span: TypeRef["span"] }
  | { readonly kind: "bad-map-key"; readonly type: string; readonly span: TypeRef["span"] }
  | { readonly kind: "duplicate-enum-value"; readonly value: string; readonly span: TypeRef["span"] }
  | { readonly kind: "bad-arity"; readonly name: string; readonly span: TypeRef["span"] };

/** Resolves a written type; problems are collected and the type falls back to `dyn` so checking continues. */
export function resolveTypeRef(ref: TypeRef, problems: TypeRefProblem[]): FieldType {
  switch (ref.kind) {
    case "named": {
      const name = ref.name.text;
      if ((SCALAR_TYPE_NAMES as readonly string[]).includes(name)) return { kind: name as ScalarTypeName };
      if (name === "list" || name === "map") {
        problems.push({ kind: "bad-arity", name, span: ref.span });
        return { kind: "dyn" };
      }
      problems.push({ kind: "unknown-type", name, span: ref.name.span });
      return { kind: "dyn" };
    }
    case "list":
      return { kind: "list", element: resolveTypeRef(ref.element, problems) };
    case "map": {
      const key = resolveTypeRef(ref.key, problems);
      if (!["string", "int", "uint", "bool", "dyn"].includes(key.kind)) {
        problems.push({ kind: "bad-map-key", type: formatFieldType(key), span: ref.key.span });
      }
      return { kind: "map", key, value: resolveTypeRef(ref.value, problems) };
    }
    case "enum": {
      const values: string[] = [];
      for (const v of ref.values) {
        if (values.includes(v.value)) problems.push({ kind: "duplicate-enum-value", value: v.value, span: v.span });
        else values.push(v.value);
      }
      return { kind: "enum", values };
    }
  }
}
