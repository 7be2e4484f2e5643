// A snapshot of a tool call's arguments, taken once before deciding: the strict cleaning of normalize.ts (plain
// JSON data only, each property read once, Proxies, cycles, accessors that throw and non-JSON values refused,
// strings in NFC), then deeply frozen. The decision is made on it and the tool runs on it, so nothing the caller
// does to its own object afterwards (or did through a getter) can make the two differ.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { deepFreeze } from "./canonicalize.ts";
import { describeValue, fail, type IrResult } from "./errors.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH } from "./json.ts";
import { Cleaner, isObject, type CleanValue } from "./normalize.ts";
import type { JsonObject } from "./types.ts";
import type { AdapterLimits } from "./adapters.ts";

/**
 * A deeply frozen, cleaned copy of `args` (a tool call's arguments: a JSON object), or the IR error that refuses
 * it (XP4006 a non-JSON value or a Proxy, XP4004 nesting or a cycle, XP4003 size, XP4007, XP4002, XP4011 not an
 * object). Never throws: a getter that throws is a refusal too.
 */
export function snapshotToolArgs(args: unknown, limits: AdapterLimits = {}): IrResult<JsonObject> {
  const cleaner = new Cleaner({ maxDepth: limits.maxDepth ?? DEFAULT_MAX_DEPTH, maxBytes: limits.maxBytes ?? DEFAULT_MAX_BYTES });
  let clean: CleanValue | undefined;
  try {
    clean = cleaner.value(args, "$", 0);
  } catch (e: unknown) {
    return fail(Diagnostics.irNotJson, "$", [`an argument whose read threw (${e instanceof Error ? e.message : String(e)})`]);
  }
  if (clean === undefined) return { ok: false, error: cleaner.error! };
  if (!isObject(clean)) return fail(Diagnostics.irMalformedToolCall, "$", ["guarded", `arguments must be a JSON object, found ${describeValue(clean)}`]);
  deepFreeze(clean);
  return { ok: true, value: clean as JsonObject };
}
