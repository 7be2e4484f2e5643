// The CEL types of the variables a policy expression sees, built from the schema.
//   action:  the parameters of the action types the expression can apply to (only fields common to all of them,
//            same name and type), plus `type`, `target` and `tier` (strings)
//   actor, context: the declared records
//   counter: one int field per declared counter
//   now:     timestamp
import { T, listType, mapType, recordType, type CelType, type RecordType } from "../cel/types.ts";
import { fieldTypesEqual, type FieldSchema, type FieldType, type RecordSchema } from "./policy-schema.ts";

/** Names an action parameter may not have: they are the built-in fields of `action`. */
export const RESERVED_ACTION_FIELDS: readonly string[] = ["type", "target", "tier"];

export function celTypeOf(t: FieldType): CelType {
  switch (t.kind) {
    case "list":
      return listType(celTypeOf(t.element));
    case "map":
      return mapType(celTypeOf(t.key), celTypeOf(t.value));
    case "enum":
      return T.string;
    default:
      return T[t.kind];
  }
}

/** The fields shared by every record of the list: same name and same type; optional if optional in any. */
export function commonFields(records: readonly ReadonlyMap<string, FieldSchema>[]): Map<string, FieldSchema> {
  const out = new Map<string, FieldSchema>();
  const [first, ...rest] = records;
  if (first === undefined) return out;
  for (const [name, f] of first) {
    let optional = f.optional;
    let shared = true;
    for (const r of rest) {
      const g = r.get(name);
      if (g === undefined || !fieldTypesEqual(f.type, g.type)) {
        shared = false;
        break;
      }
      optional ||= g.optional;
    }
    if (shared) out.set(name, { ...f, optional });
  }
  return out;
}

/** The `action` record type for conditions on exactly these action types (sorted names). */
export function actionRecordType(actionTypes: readonly string[], fields: ReadonlyMap<string, FieldSchema>): RecordType {
  const name = actionTypes.length === 1 ? `action.${actionTypes[0]}` : `action(${actionTypes.join("|")})`;
  return recordType(name, [
    ...[...fields.values()].map((f) => ({ name: f.name, type: celTypeOf(f.type), optional: f.optional })),
    { name: "type", type: T.string },
    { name: "target", type: T.string },
    { name: "tier", type: T.string },
  ]);
}

export function schemaRecordType(name: string, schema: RecordSchema): RecordType {
  return recordType(
    name,
    [...schema.fields.values()].map((f) => ({ name: f.name, type: celTypeOf(f.type), optional: f.optional })),
  );
}

export function counterRecordType(counterNames: Iterable<string>): RecordType {
  return recordType(
    "counter",
    [...counterNames].map((name) => ({ name, type: T.int })),
  );
}
