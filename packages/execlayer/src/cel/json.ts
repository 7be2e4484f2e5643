// JSON <-> CEL values, guided by a declared CelType. The decision engine turns an action's JSON parameters into
// CEL values with fromJson (validating them against the schema: a value of the wrong type is an error, never a
// silently wrong value) and results back with toJson.
import { formatType, type CelType, type RecordType } from "./types.ts";
import { CelError, celErrors } from "./errors.ts";
import { formatDuration, formatTimestamp, parseDuration, parseTimestamp } from "./time.ts";
import {
  CelDuration,
  CelMap,
  CelOpaqueValue,
  CelRecord,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  INT64_MAX,
  INT64_MIN,
  UINT64_MAX,
  type CelValue,
} from "./values.ts";

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

export interface FromJsonOptions {
  /** what to do with object keys a record type does not declare (default "reject") */
  readonly extraFields?: "reject" | "ignore";
}

/** Converts JSON to a CEL value of the declared type; the error names the offending path (`$.items[2].price`). */
export function fromJson(json: unknown, type: CelType, options: FromJsonOptions = {}): CelValue | CelError {
  return convert(json, type, "$", options);
}

/**
 * `o[k] = v` that also works for the key `__proto__` (a JSON object may have it as an ordinary key; plain
 * assignment would set the prototype instead and the key would silently vanish).
 */
function setOwn<V>(o: Record<string, V>, k: string, v: V): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function mismatch(path: string, type: CelType, json: unknown): CelError {
  const got = json === null ? "null" : Array.isArray(json) ? "array" : typeof json;
  return celErrors.invalidArgument(`${path}: expected ${formatType(type)}, got ${got}`);
}

function jsonInteger(json: unknown): bigint | undefined {
  if (typeof json === "number" && Number.isInteger(json)) return BigInt(json);
  if (typeof json === "string" && /^-?\d+$/.test(json)) return BigInt(json);
  if (typeof json === "bigint") return json;
  return undefined;
}

function convert(json: unknown, type: CelType, path: string, options: FromJsonOptions): CelValue | CelError {
  switch (type.kind) {
    case "int": {
      const v = jsonInteger(json);
      if (v === undefined) return mismatch(path, type, json);
      if (typeof json === "number" && !Number.isSafeInteger(json))
        return celErrors.invalidArgument(`${path}: integer ${json} is beyond 2^53; pass it as a string`);
      return v < INT64_MIN || v > INT64_MAX ? celErrors.range(`${path}: int`) : v;
    }
    case "uint": {
      const v = jsonInteger(json);
      if (v === undefined) return mismatch(path, type, json);
      if (typeof json === "number" && !Number.isSafeInteger(json))
        return celErrors.invalidArgument(`${path}: integer ${json} is beyond 2^53; pass it as a string`);
      return v < 0n || v > UINT64_MAX ? celErrors.range(`${path}: uint`) : new CelUint(v);
    }
    case "double":
      if (typeof json === "number") return json;
      if (json === "NaN") return NaN;
      if (json === "Infinity") return Infinity;
      if (json === "-Infinity") return -Infinity;
      return mismatch(path, type, json);
    case "bool":
      return typeof json === "boolean" ? json : mismatch(path, type, json);
    case "string":
      return typeof json === "string" ? json : mismatch(path, type, json);
    case "bytes":
      if (typeof json !== "string") return mismatch(path, type, json);
      if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(json)) return celErrors.invalidArgument(`${path}: invalid base64`);
      return new Uint8Array(Buffer.from(json, "base64"));
    case "null_type":
      return json === null ? null : mismatch(path, type, json);
    case "timestamp": {
      if (typeof json !== "string") return mismatch(path, type, json);
      const t = parseTimestamp(json);
      return t instanceof CelError ? celErrors.invalidArgument(`${path}: ${t.message}`) : t;
    }
    case "duration": {
      if (typeof json !== "string") return mismatch(path, type, json);
      const t = parseDuration(json);
      return t instanceof CelError ? celErrors.invalidArgument(`${path}: ${t.message}`) : t;
    }
    case "list": {
      if (!Array.isArray(json)) return mismatch(path, type, json);
      const out: CelValue[] = new Array<CelValue>(json.length);
      for (let k = 0; k < json.length; k++) {
        const v = convert(json[k], type.elem, `${path}[${k}]`, options);
        if (v instanceof CelError) return v;
        out[k] = v;
      }
      return out;
    }
    case "map": {
      if (json === null || typeof json !== "object" || Array.isArray(json)) return mismatch(path, type, json);
      const entries: [CelValue, CelValue][] = [];
      for (const [k, x] of Object.entries(json as Record<string, unknown>)) {
        const key = mapKeyFromString(k, type.key, path);
        if (key instanceof CelError) return key;
        const v = convert(x, type.value, `${path}.${k}`, options);
        if (v instanceof CelError) return v;
        entries.push([key, v]);
      }
      return CelMap.from(entries);
    }
    case "record":
      return convertRecord(json, type, path, options);
    case "type":
      return typeof json === "string" ? new CelTypeValue(json) : mismatch(path, type, json);
    default:
      return dynFromJson(json, path);
  }
}

function mapKeyFromString(k: string, keyType: CelType, path: string): CelValue | CelError {
  switch (keyType.kind) {
    case "int":
    case "uint": {
      if (!/^-?\d+$/.test(k)) return celErrors.invalidArgument(`${path}: map key \`${k}\` is not an integer`);
      return convert(k, keyType, path, {});
    }
    case "bool":
      if (k === "true") return true;
      if (k === "false") return false;
      return celErrors.invalidArgument(`${path}: map key \`${k}\` is not a bool`);
    default:
      return k;
  }
}

function convertRecord(json: unknown, type: RecordType, path: string, options: FromJsonOptions): CelValue | CelError {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return mismatch(path, type, json);
  const obj = json as Record<string, unknown>;
  // A plain object filled in declaration order: records of one type share a hidden class, so the compiled
  // field loads stay monomorphic. (Compiled code guards names inherited from Object.prototype.)
  const fields: Record<string, CelValue> = {};
  for (const [name, f] of type.fields) {
    const x = Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : undefined;
    if (x === undefined || (x === null && f.optional && f.type.kind !== "null_type")) {
      if (!f.optional) return celErrors.invalidArgument(`${path}.${name}: required field is missing`);
      continue;
    }
    const v = convert(x, f.type, `${path}.${name}`, options);
    if (v instanceof CelError) return v;
    setOwn(fields, name, v);
  }
  if (options.extraFields !== "ignore") {
    for (const k of Object.keys(obj)) {
      if (!type.fields.has(k)) return celErrors.invalidArgument(`${path}.${k}: unknown field of ${type.name}`);
    }
  }
  return new CelRecord(type.name, fields);
}

/** Untyped JSON, as CEL maps google.protobuf.Value: numbers are doubles, objects are maps with string keys. */
function dynFromJson(json: unknown, path: string): CelValue | CelError {
  switch (typeof json) {
    case "number":
    case "string":
    case "boolean":
      return json;
    case "bigint":
      return json <= INT64_MAX && json >= INT64_MIN ? json : celErrors.range(`${path}: int`);
    case "object": {
      if (json === null) return null;
      if (Array.isArray(json)) {
        const out: CelValue[] = [];
        for (let k = 0; k < json.length; k++) {
          const v = dynFromJson(json[k], `${path}[${k}]`);
          if (v instanceof CelError) return v;
          out.push(v);
        }
        return out;
      }
      const obj: Record<string, CelValue> = {};
      for (const [k, x] of Object.entries(json as Record<string, unknown>)) {
        const v = dynFromJson(x, `${path}.${k}`);
        if (v instanceof CelError) return v;
        setOwn(obj, k, v);
      }
      return CelMap.fromObject(obj);
    }
    default:
      return celErrors.invalidArgument(`${path}: ${typeof json} is not a JSON value`);
  }
}

/**
 * A CEL value as JSON: ints within 2^53 as numbers, larger ones as decimal strings; bytes as base64; timestamps
 * as RFC 3339 and durations as `"1.5s"` strings; maps as objects with stringified keys; non-finite doubles as
 * "NaN"/"Infinity"/"-Infinity".
 */
export function toJson(v: CelValue): JsonValue {
  switch (typeof v) {
    case "bigint":
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    case "number":
      return Number.isFinite(v) ? v : Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
    case "boolean":
    case "string":
      return v;
    default:
      break;
  }
  if (v === null) return null;
  if (Array.isArray(v)) return v.map((x) => toJson(x as CelValue));
  if (v instanceof CelUint) return toJson(v.value);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (v instanceof CelTimestamp) return formatTimestamp(v);
  if (v instanceof CelDuration) return formatDuration(v);
  if (v instanceof CelTypeValue) return v.name;
  if (v instanceof CelOpaqueValue) {
    // an optional is its value (or null); the network and URL types are their text
    const j = v.toJsonValue();
    return j === undefined ? null : typeof j === "string" ? j : toJson(j as CelValue);
  }
  if (v instanceof CelMap) {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of v.entries()) setOwn(out, k instanceof CelUint ? k.value.toString() : String(k), toJson(x));
    return out;
  }
  if (v instanceof CelRecord) {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v.fields)) if (x !== undefined) setOwn(out, k, toJson(x));
    return out;
  }
  return null;
}
