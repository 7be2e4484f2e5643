// Values in test blocks: the constant CEL expressions a test writes (`limit: 10000`, `paths: ["a", "b"]`) become the
// JSON the runtime receives; and the other way round, generated JSON becomes CEL literal text for a counterexample
// printed as a ready-to-paste `test` block.
import type { Expr } from "../syntax/ast.ts";
import { checkExpression, TypeEnv } from "../cel/checker.ts";
import { compileExpression } from "../cel/planner.ts";
import { CelError } from "../cel/errors.ts";
import { toJson } from "../cel/json.ts";
import type { JsonValue } from "../ir/types.ts";
import type { FieldType } from "../check/policy-schema.ts";
import type { Result } from "../vocabulary/result.ts";

const EMPTY_ENV = new TypeEnv();

/** Evaluates a constant expression (no variables) to JSON, or says why it cannot. */
export function constantJson(expr: Expr): Result<JsonValue> {
  const checked = checkExpression(expr, EMPTY_ENV);
  if (!checked.checked.ok) {
    const first = checked.diagnostics.find((d) => d.severity === "error");
    return { ok: false, error: first?.message ?? "the expression does not type-check" };
  }
  const v = compileExpression(checked.checked)({});
  if (v instanceof CelError) return { ok: false, error: v.message };
  return { ok: true, value: toJson(v) as JsonValue };
}

/** A JSON integer (number or decimal string) as a bigint, or undefined. */
export function jsonInteger(v: JsonValue): bigint | undefined {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  return undefined;
}

/** A CEL string literal for any string: JSON's escapes are all valid CEL escapes. */
export function celString(s: string): string {
  return JSON.stringify(s);
}

function celDouble(n: number): string {
  if (Number.isNaN(n)) return 'double("NaN")';
  if (!Number.isFinite(n)) return n > 0 ? 'double("Infinity")' : 'double("-Infinity")';
  const s = String(n);
  // CEL needs a `.` or an exponent to read a double; `1e+21` has one.
  return /[.eE]/.test(s) ? s.replace("e+", "e") : `${s}.0`;
}

function celBytes(base64: string): string {
  const bytes = Buffer.from(base64, "base64");
  let out = 'b"';
  for (const b of bytes) {
    if (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c) out += String.fromCharCode(b);
    else out += "\\x" + b.toString(16).padStart(2, "0");
  }
  return out + '"';
}

/** The CEL literal for JSON `v` read as a field of type `t` (so `5` for a uint prints `5u`). */
export function celLiteral(v: JsonValue, t: FieldType): string {
  switch (t.kind) {
    case "string":
    case "enum":
      return typeof v === "string" ? celString(v) : dynLiteral(v);
    case "int": {
      const i = jsonInteger(v);
      return i === undefined ? dynLiteral(v) : i.toString();
    }
    case "uint": {
      const i = jsonInteger(v);
      return i === undefined ? dynLiteral(v) : `${i.toString()}u`;
    }
    case "double":
      if (typeof v === "number") return celDouble(v);
      if (v === "NaN" || v === "Infinity" || v === "-Infinity") return `double(${celString(v)})`;
      return dynLiteral(v);
    case "bool":
      return typeof v === "boolean" ? String(v) : dynLiteral(v);
    case "bytes":
      return typeof v === "string" ? celBytes(v) : dynLiteral(v);
    case "timestamp":
      return typeof v === "string" ? `timestamp(${celString(v)})` : dynLiteral(v);
    case "duration":
      return typeof v === "string" ? `duration(${celString(v)})` : dynLiteral(v);
    case "list":
      return Array.isArray(v) ? `[${v.map((x) => celLiteral(x, t.element)).join(", ")}]` : dynLiteral(v);
    case "map": {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return dynLiteral(v);
      const entries = Object.entries(v as Record<string, JsonValue>).map(([k, x]) => `${mapKeyLiteral(k, t.key)}: ${celLiteral(x, t.value)}`);
      return `{${entries.join(", ")}}`;
    }
    case "dyn":
      return dynLiteral(v);
  }
}

function mapKeyLiteral(k: string, t: FieldType): string {
  switch (t.kind) {
    case "int":
      return /^-?\d+$/.test(k) ? k : celString(k);
    case "uint":
      return /^\d+$/.test(k) ? `${k}u` : celString(k);
    case "bool":
      return k === "true" || k === "false" ? k : celString(k);
    default:
      return celString(k);
  }
}

/** JSON as CEL without a schema: integers as ints, other numbers as doubles. */
export function dynLiteral(v: JsonValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : celDouble(v);
  if (typeof v === "string") return celString(v);
  if (Array.isArray(v)) return `[${v.map(dynLiteral).join(", ")}]`;
  const entries = Object.entries(v as Record<string, JsonValue>).map(([k, x]) => `${celString(k)}: ${dynLiteral(x)}`);
  return `{${entries.join(", ")}}`;
}

/** A field name as a test writes it: bare when it is a plain identifier, else quoted. */
export function fieldName(name: string): string {
  return /^[_a-zA-Z][_a-zA-Z0-9]*$/.test(name) && !["true", "false", "null", "in"].includes(name) ? name : celString(name);
}

/** Sets an own property, even one named `__proto__` (plain assignment would change the object's prototype). */
export function put<V>(o: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}
