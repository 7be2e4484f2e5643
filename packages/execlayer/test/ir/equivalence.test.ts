// The equivalence property: every surface variant of one action (key order, whitespace, numbers as strings, NFD,
// type/tool name spellings, every adapter shape, another request time/session/context) has one action digest.
import { fc, test as prop } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { canonicalize, toSovereignIR, type JsonObject, type JsonValue } from "../../src/index.ts";
import { mapper, schema } from "./fixtures.ts";

// ---------------------------------------------------------------------------------------------------------------
// The action in canonical form, with a few ways to write each value.

/** One field: its canonical value and generators of other spellings of it. */
interface Field {
  readonly canonical: JsonValue;
  readonly spellings: readonly JsonValue[];
}

const nfcString = fc.oneof(fc.string({ unit: "grapheme", maxLength: 8 }), fc.constantFrom("Café", "naïve", "Ω", "한국어", "e\u0301"))
  .map((s) => s.normalize("NFC"))
  .filter((s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed());
const nfd = (s: string): string => s.normalize("NFD");

const intField = fc.integer({ min: -1e12, max: 1e12 }).map((n): Field => {
  const spellings: JsonValue[] = [n, String(n), `${n}.0`];
  if (n !== 0) spellings.push(`${n}00e-2`);
  if (n % 1000 === 0 && n !== 0) spellings.push(`${n / 1000}e3`, `${n / 1000}E+3`);
  return { canonical: n, spellings };
});
const uintField = fc.nat({ max: 1e9 }).map((n): Field => ({ canonical: n, spellings: [n, String(n), `${n}.000`] }));
const decimalField = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n): Field => {
  const spellings: JsonValue[] = [n.toString(), `${n}.0`];
  if (n >= -BigInt(Number.MAX_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) spellings.push(Number(n));
  return { canonical: n.toString(), spellings };
});
const doubleField = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }).map((d): Field => {
  const v = d === 0 ? 0 : d;
  return { canonical: v, spellings: [v, String(v), ...(Object.is(d, -0) ? [-0] : [])] };
});
const boolField = fc.boolean().map((b): Field => ({ canonical: b, spellings: [b, String(b)] }));
const stringField = nfcString.map((s): Field => ({ canonical: s, spellings: [s, nfd(s)] }));
const enumField = fc.constantFrom("EUR", "USD").map((s): Field => ({ canonical: s, spellings: [s] }));
const bytesField = fc.uint8Array({ maxLength: 24 }).map((u): Field => {
  const b = Buffer.from(u);
  const std = b.toString("base64");
  return { canonical: std, spellings: [std, b.toString("base64url"), std.replace(/=+$/, "")] };
});
const pad = (n: number, w: number) => String(n).padStart(w, "0");
const timestampField = fc
  .record({ seconds: fc.integer({ min: 0, max: 4102444800 }), nanos: fc.integer({ min: 0, max: 999_999_999 }), offset: fc.integer({ min: -14 * 60, max: 14 * 60 }) })
  .map(({ seconds, nanos, offset }): Field => {
    const frac9 = pad(nanos, 9);
    const trimmed = frac9.replace(/0+$/, "");
    const canonical = `${new Date(seconds * 1000).toISOString().slice(0, 19)}${trimmed === "" ? "" : "." + trimmed}Z`;
    const local = new Date((seconds + offset * 60) * 1000).toISOString().slice(0, 19);
    const sign = offset < 0 ? "-" : "+";
    const withOffset = `${local}.${frac9}${sign}${pad(Math.floor(Math.abs(offset) / 60), 2)}:${pad(Math.abs(offset) % 60, 2)}`;
    return { canonical, spellings: [canonical, withOffset, canonical.replace("T", "t").replace("Z", "z")] };
  });
const durationField = fc.bigInt({ min: 0n, max: 10n ** 15n }).map((nanos): Field => {
  const secs = nanos / 1_000_000_000n;
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, "0");
  const trimmed = frac.replace(/0+$/, "");
  const canonical = nanos === 0n ? "0s" : `${secs}${trimmed === "" ? "" : "." + trimmed}s`;
  const spellings: JsonValue[] = [canonical, `${secs}.${frac}s`, `${nanos}ns`, `PT${secs}.${frac}S`];
  if (nanos % 60_000_000_000n === 0n) spellings.push(`${nanos / 60_000_000_000n}m`);
  return { canonical, spellings };
});
const listField = fc.array(stringField, { maxLength: 4 }).map((items): Field => ({
  canonical: items.map((i) => i.canonical),
  spellings: [items.map((i) => i.canonical), items.map((i) => i.spellings[1]!)],
}));
const mapField = fc.uniqueArray(fc.tuple(nfcString, intField), { maxLength: 4, selector: ([k]) => k }).map((entries): Field => ({
  canonical: Object.fromEntries(entries.map(([k, v]) => [k, v.canonical])),
  spellings: [Object.fromEntries(entries.map(([k, v]) => [nfd(k), v.spellings[1]!]))],
}));
const safeJson = fc.jsonValue({ maxDepth: 2 }).map(function clean(v: unknown): JsonValue {
  if (typeof v === "number") return Number.isSafeInteger(v) || !Number.isInteger(v) ? (v === 0 ? 0 : v) : 0;
  if (typeof v === "string") return v.normalize("NFC");
  if (Array.isArray(v)) return v.map(clean);
  if (v !== null && typeof v === "object") {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) out[k.normalize("NFC")] = clean(x);
    return out;
  }
  return v as JsonValue;
}).filter((v) => (JSON.stringify(v) as unknown as { isWellFormed(): boolean }).isWellFormed());
// A top-level null would mean "absent" for an optional field (a rule of its own, tested in normalize.test.ts).
const dynField = safeJson.filter((v) => v !== null).map((v): Field => ({ canonical: v, spellings: [v] }));

const transferFields = fc.record(
  {
    amount: intField,
    cents: uintField,
    ledger_id: decimalField,
    rate: doubleField,
    urgent: boolField,
    memo: stringField,
    signature: bytesField,
    execute_at: timestampField,
    hold: durationField,
    currency: enumField,
    tags: listField,
    splits: mapField,
    meta: dynField,
  },
  { requiredKeys: ["amount"] },
);

// ---------------------------------------------------------------------------------------------------------------
// Surface variants.

const TYPE_SPELLINGS = ["payment.transfer", "Payment.Transfer", "payment_transfer", "payment-transfer", "paymentTransfer", "PaymentTransfer", "sendMoney", "send_money"];
// Tool names resolve exactly: the declared name, a declared alias, a declared MCP server's prefixed name.
const TOOL_SPELLINGS = ["transfer", "send_transfer", "mcp__bank__transfer"];
const aliasedMapper = { ...mapper, aliases: new Map([["send_transfer", "transfer"], ["mcp__bank__transfer", "transfer"]]) };
type Shape = "ir" | "ir-text" | "openai-chat" | "openai-message" | "responses" | "anthropic" | "mcp" | "ai-sdk" | "ai-sdk-v4" | "agents";
const SHAPES: readonly Shape[] = ["ir", "ir-text", "openai-chat", "openai-message", "responses", "anthropic", "mcp", "ai-sdk", "ai-sdk-v4", "agents"];

/** A deterministic random source from a fast-check seed (so failures replay). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

function shuffleKeys(v: JsonValue, pick: (n: number) => number): JsonValue {
  if (Array.isArray(v)) return v.map((x: JsonValue) => shuffleKeys(x, pick));
  if (v === null || typeof v !== "object") return v;
  const entries = Object.entries(v);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  const out: Record<string, JsonValue> = {};
  for (const [k, x] of entries) out[k] = shuffleKeys(x, pick);
  return out;
}

function variantParams(fields: Record<string, Field>, pick: (n: number) => number): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [name, f] of Object.entries(fields)) out[name] = f.spellings[pick(f.spellings.length)]!;
  // Optional fields left out may also be written as null.
  for (const name of ["memo", "tags", "currency"]) if (!(name in out) && pick(3) === 0) out[name] = null;
  return out;
}

function proposal(shape: Shape, params: Record<string, JsonValue>, pick: (n: number) => number): unknown {
  const type = TYPE_SPELLINGS[pick(TYPE_SPELLINGS.length)]!;
  const tool = TOOL_SPELLINGS[pick(TOOL_SPELLINGS.length)]!;
  const shuffled = shuffleKeys(params, pick) as JsonObject;
  const text = (v: unknown) => JSON.stringify(v, null, [0, 1, "\t"][pick(3)]);
  switch (shape) {
    case "ir":
      return shuffleKeys({ action: { type, target: null, params: shuffled } }, pick);
    case "ir-text":
      return text({ action: { params: shuffled, type } });
    case "openai-chat":
      return { id: "call_1", type: "function", function: { name: tool, arguments: text(shuffled) } };
    case "openai-message":
      return text({ role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: tool, arguments: text(shuffled) } }] });
    case "responses":
      return { type: "function_call", call_id: "call_1", name: tool, arguments: text(shuffled) };
    case "anthropic":
      return { role: "assistant", content: [{ type: "text", text: "ok" }, { type: "tool_use", id: "toolu_1", name: tool, input: shuffled }] };
    case "mcp":
      return text({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: tool, arguments: shuffled } });
    case "ai-sdk":
      return { type: "tool-call", toolCallId: "c1", toolName: tool, input: shuffled };
    case "ai-sdk-v4":
      return { type: "tool-call", toolCallId: "c1", toolName: tool, args: shuffled };
    case "agents":
      return { type: "tool_call_item", rawItem: { type: "function_call", callId: "c1", name: tool, arguments: text(shuffled) } };
  }
}

const baseActor = { agent: "payments-bot", on_behalf_of: "Zoë" };
const baseOptions = { actor: baseActor, context: { region: "eu" }, requestedAt: "2026-03-01T09:30:00Z", mapper: aliasedMapper };

describe("equivalence", () => {
  prop.prop([transferFields, fc.array(fc.nat(), { minLength: 6, maxLength: 6 })], { numRuns: 60 })(
    "all surface variants of one action have one action digest",
    (fields, seeds) => {
      const canonicalParams = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.canonical]));
      const base = toSovereignIR({ action: { type: "payment.transfer", target: null, params: canonicalParams } }, schema, baseOptions);
      expect(base.ok ? "ok" : base.error).toBe("ok");
      if (!base.ok) return;
      // The canonical form is a fixed point, and its text parses back to the normalized value.
      expect(base.ir.action.params).toEqual(canonicalParams);
      expect(JSON.parse(base.canonical)).toEqual(base.ir);
      expect(canonicalize(JSON.parse(base.canonical) as JsonValue)).toBe(base.canonical);

      for (const seed of seeds) {
        const pick = rng(seed);
        const shape = SHAPES[pick(SHAPES.length)]!;
        const p = proposal(shape, variantParams(fields, pick), pick);
        const sameContext = pick(2) === 0;
        const opts = sameContext
          ? { ...baseOptions, actor: shuffleKeys({ on_behalf_of: nfd(baseActor.on_behalf_of), agent: baseActor.agent }, pick), requestedAt: "2026-03-01T10:30:00.000+01:00" }
          : { ...baseOptions, actor: { ...baseActor, session: `s-${seed}` }, context: { region: "us" }, requestedAt: new Date(Date.UTC(2026, 2, 1, 9, 30, seed % 59 + 1)) };
        const r = toSovereignIR(p, schema, opts);
        expect(r.ok ? "ok" : { shape, error: r.error }).toBe("ok");
        if (!r.ok) continue;
        expect(r.actionDigest).toBe(base.actionDigest);
        expect(r.ir.action).toEqual(base.ir.action);
        if (sameContext) expect(r.irDigest).toBe(base.irDigest);
        else expect(r.irDigest).not.toBe(base.irDigest);
      }
    },
  );
});
