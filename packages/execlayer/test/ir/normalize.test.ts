// Every normalization rule, positive and negative, through the public entry point.
import { describe, expect, test } from "vitest";
import { toSovereignIR, type JsonObject } from "../../src/index.ts";
import { allowExtra, options, schema } from "./fixtures.ts";

const transfer = (params: Record<string, unknown>) => ({ action: { type: "payment.transfer", params: { amount: 1, ...params } } });

/** The normalized params of a payment.transfer, or the error as `code path`. */
function params(p: Record<string, unknown>): JsonObject | string {
  const r = toSovereignIR(transfer(p), schema, options);
  return r.ok ? r.ir.action.params : `${r.error.code} ${r.error.path}`;
}
const at = (field: string) => `$.action.params.${field}`;

describe("Unicode NFC", () => {
  test("values and keys are NFC; NFD input gives the same IR", () => {
    const nfd = "Cafe\u0301";
    const r = toSovereignIR({ action: { type: "invoice.read", target: `invoice/${nfd}`, params: { invoice_id: nfd, customer_id: "c" } } }, schema, options);
    expect(r.ok && r.ir.action.params["invoice_id"]).toBe("Caf\u00e9");
    expect(r.ok && r.ir.action.target).toBe("invoice/Caf\u00e9");
    expect(params({ meta: { ["e\u0301"]: "x\u0301" } })).toEqual({ amount: 1, meta: { "\u00e9": "x\u0301".normalize("NFC") } });
  });
  test("two keys equal after NFC are duplicates", () => {
    expect(params({ meta: { "\u00e9": 1, "e\u0301": 2 } })).toBe(`XP4002 ${at("meta")}["\u00e9"]`);
  });
  test("lone surrogates are rejected", () => {
    expect(params({ memo: "a\ud800" })).toBe(`XP4007 ${at("memo")}`);
  });
});

describe("action type names", () => {
  test("declared name, alias and their case/separator variants all resolve", () => {
    for (const type of ["invoice.delete", "Invoice.Delete", "invoice_delete", "invoice-delete", "invoiceDelete", "deleteInvoice", "delete_invoice"]) {
      const r = toSovereignIR({ action: { type, params: { invoice_id: "i", customer_id: "c" } } }, schema, options);
      expect([type, r.ok && r.ir.action.type]).toEqual([type, "invoice.delete"]);
    }
  });
  test("unknown names are errors with a suggestion", () => {
    const r = toSovereignIR({ action: { type: "invoice.remove", params: {} } }, schema, options);
    expect(r.ok ? null : r.error).toMatchObject({ code: "XP4020", path: "$.action.type" });
    const typo = toSovereignIR({ action: { type: "invoice.delte", params: {} } }, schema, options);
    expect(typo.ok ? null : typo.error.help).toBe("did you mean `invoice.delete`?");
    const notString = toSovereignIR({ action: { type: 7, params: {} } }, schema, options);
    expect(notString.ok ? null : notString.error.code).toBe("XP4024");
  });
  test("a huge name is an error without a (quadratic) suggestion", () => {
    const r = toSovereignIR({ action: { type: "x".repeat(500_000), params: {} } }, schema, options);
    expect(r.ok ? null : [r.error.code, r.error.help?.startsWith("declared action types:"), r.error.message.length < 200]).toEqual(["XP4020", true, true]);
  });
  test("ambiguous names are errors", () => {
    const s = { ...schema, actionTypes: new Map([...schema.actionTypes, ["invoice_delete", { name: "invoice_delete", aliases: [], fields: new Map() }]]) };
    const r = toSovereignIR({ action: { type: "InvoiceDelete", params: {} } }, s, options);
    expect(r.ok ? null : r.error).toMatchObject({ code: "XP4021", path: "$.action.type" });
  });
});

describe("numbers", () => {
  test("int: numbers and exact numeric strings", () => {
    expect(params({ amount: 42 })).toEqual({ amount: 42 });
    expect(params({ amount: "42" })).toEqual({ amount: 42 });
    expect(params({ amount: "1e3" })).toEqual({ amount: 1000 });
    expect(params({ amount: "-7.0" })).toEqual({ amount: -7 });
    expect(params({ amount: 1e3 })).toEqual({ amount: 1000 });
    expect(params({ amount: -0 })).toEqual({ amount: 0 });
  });
  test("int: inexact or foreign values are rejected", () => {
    expect(params({ amount: "1.5" })).toBe(`XP4025 ${at("amount")}`);
    expect(params({ amount: 1.5 })).toBe(`XP4025 ${at("amount")}`);
    expect(params({ amount: "abc" })).toBe(`XP4024 ${at("amount")}`);
    expect(params({ amount: "0x10" })).toBe(`XP4024 ${at("amount")}`);
    expect(params({ amount: " 1" })).toBe(`XP4024 ${at("amount")}`);
    expect(params({ amount: true })).toBe(`XP4024 ${at("amount")}`);
    expect(params({ amount: NaN })).toBe(`XP4006 ${at("amount")}`);
    expect(params({ amount: Infinity })).toBe(`XP4006 ${at("amount")}`);
  });
  test("int beyond ±2^53: rejected, or a decimal string where the field is @decimal", () => {
    expect(params({ amount: 2 ** 53 })).toBe(`XP4005 ${at("amount")}`);
    expect(params({ amount: "9007199254740993" })).toBe(`XP4005 ${at("amount")}`);
    expect(params({ amount: "1e100" })).toBe(`XP4026 ${at("amount")}`);
    expect(params({ ledger_id: "9007199254740993" })).toEqual({ amount: 1, ledger_id: "9007199254740993" });
    expect(params({ ledger_id: 12 })).toEqual({ amount: 1, ledger_id: "12" });
    expect(params({ ledger_id: "-9223372036854775808" })).toEqual({ amount: 1, ledger_id: "-9223372036854775808" });
    expect(params({ ledger_id: "9223372036854775808" })).toBe(`XP4026 ${at("ledger_id")}`);
    expect(params({ ledger_id: 2 ** 60 })).toBe(`XP4005 ${at("ledger_id")}`);
    // From JSON text, a big literal stays exact up to the decimal field.
    const r = toSovereignIR('{"action":{"type":"payment.transfer","params":{"amount":1,"ledger_id":12345678901234567890}}}', schema, options);
    expect(r.ok ? r.ir.action.params["ledger_id"] : r.error.code).toBe("XP4026"); // beyond int64
    const ok = toSovereignIR('{"action":{"type":"payment.transfer","params":{"amount":1,"ledger_id":1234567890123456789}}}', schema, options);
    expect(ok.ok ? ok.ir.action.params["ledger_id"] : ok.error.code).toBe("1234567890123456789");
    const plain = toSovereignIR('{"action":{"type":"payment.transfer","params":{"amount":1234567890123456789}}}', schema, options);
    expect(plain.ok ? "ok" : `${plain.error.code} ${plain.error.path}`).toBe(`XP4005 ${at("amount")}`);
  });
  test("uint", () => {
    expect(params({ cents: "99" })).toEqual({ amount: 1, cents: 99 });
    expect(params({ cents: -1 })).toBe(`XP4026 ${at("cents")}`);
    expect(params({ cents: "-0" })).toEqual({ amount: 1, cents: 0 });
  });
  test("double: JSON numbers, numeric strings converted, -0 as 0", () => {
    expect(params({ rate: "1.5" })).toEqual({ amount: 1, rate: 1.5 });
    expect(params({ rate: "1e3" })).toEqual({ amount: 1, rate: 1000 });
    expect(params({ rate: 0.1 })).toEqual({ amount: 1, rate: 0.1 });
    const z = params({ rate: -0 }) as JsonObject;
    expect(Object.is(z["rate"], 0)).toBe(true);
    expect(params({ rate: "NaN" })).toBe(`XP4024 ${at("rate")}`);
    expect(params({ rate: "1e400" })).toBe(`XP4024 ${at("rate")}`);
  });
});

describe("other scalars", () => {
  test("bool, also from the strings true/false", () => {
    expect(params({ urgent: "true" })).toEqual({ amount: 1, urgent: true });
    expect(params({ urgent: false })).toEqual({ amount: 1, urgent: false });
    expect(params({ urgent: "yes" })).toBe(`XP4024 ${at("urgent")}`);
    expect(params({ urgent: 1 })).toBe(`XP4024 ${at("urgent")}`);
  });
  test("string: no coercion from numbers", () => {
    expect(params({ memo: 42 })).toBe(`XP4024 ${at("memo")}`);
  });
  test("timestamp to UTC Z", () => {
    expect(params({ execute_at: "2026-02-01T01:00:00.250+01:00" })).toEqual({ amount: 1, execute_at: "2026-02-01T00:00:00.25Z" });
    expect(params({ execute_at: "2026-02-30T00:00:00Z" })).toBe(`XP4027 ${at("execute_at")}`);
    expect(params({ execute_at: 1738368000 })).toBe(`XP4024 ${at("execute_at")}`);
    expect(params({ execute_at: new Date("2026-02-01T00:00:00.500Z") })).toEqual({ amount: 1, execute_at: "2026-02-01T00:00:00.5Z" });
  });
  test("duration to seconds", () => {
    expect(params({ hold: "1h30m" })).toEqual({ amount: 1, hold: "5400s" });
    expect(params({ hold: "PT0.5S" })).toEqual({ amount: 1, hold: "0.5s" });
    expect(params({ hold: "soon" })).toBe(`XP4028 ${at("hold")}`);
    expect(params({ hold: 30 })).toBe(`XP4024 ${at("hold")}`);
  });
  test("bytes to standard padded base64", () => {
    expect(params({ signature: "-_8" })).toEqual({ amount: 1, signature: "+/8=" });
    expect(params({ signature: "not base64!" })).toBe(`XP4029 ${at("signature")}`);
  });
  test("enum: one of the declared values, exactly", () => {
    expect(params({ currency: "EUR" })).toEqual({ amount: 1, currency: "EUR" });
    const r = toSovereignIR(transfer({ currency: "eur" }), schema, options);
    expect(r.ok ? null : r.error).toMatchObject({ code: "XP4030", path: at("currency"), help: "did you mean `EUR`?" });
    expect(params({ currency: 1 })).toBe(`XP4024 ${at("currency")}`);
  });
});

describe("lists, maps, dyn", () => {
  test("lists element-wise", () => {
    expect(params({ tags: ["a", "b\u0301"] })).toEqual({ amount: 1, tags: ["a", "b\u0301".normalize()] });
    expect(params({ tags: ["a", 1] })).toBe(`XP4024 ${at("tags")}[1]`);
    expect(params({ tags: "a" })).toBe(`XP4024 ${at("tags")}`);
  });
  test("maps: values element-wise, keys canonical for their type", () => {
    expect(params({ splits: { a: "5", b: 6 } })).toEqual({ amount: 1, splits: { a: 5, b: 6 } });
    expect(params({ splits: { a: 1.5 } })).toBe(`XP4025 ${at("splits")}.a`);
    expect(params({ by_day: { "1": ["2.5"], "-3": [] } })).toEqual({ amount: 1, by_day: { "1": [2.5], "-3": [] } });
    expect(params({ by_day: { "1": [], "1.0": [] } })).toBe(`XP4002 ${at("by_day")}["1.0"]`);
    expect(params({ by_day: { x: [] } })).toBe(`XP4024 ${at("by_day")}.x`);
    expect(params({ splits: [1] })).toBe(`XP4024 ${at("splits")}`);
  });
  test("dyn: any JSON, but no inexact integers", () => {
    expect(params({ meta: { a: [1, "x", null, { b: true }] } })).toEqual({ amount: 1, meta: { a: [1, "x", null, { b: true }] } });
    const r = toSovereignIR('{"action":{"type":"payment.transfer","params":{"amount":1,"meta":{"n":[12345678901234567890]}}}}', schema, options);
    expect(r.ok ? "ok" : `${r.error.code} ${r.error.path}`).toBe(`XP4005 ${at("meta")}.n[0]`);
  });
});

describe("required, optional, undeclared", () => {
  test("missing required parameters are rejected, naming the field", () => {
    const r = toSovereignIR({ action: { type: "invoice.read", params: { invoice_id: "i" } } }, schema, options);
    expect(r.ok ? null : r.error).toMatchObject({ code: "XP4022", path: "$.action.params.customer_id", message: "missing required field `customer_id` of action `invoice.read`" });
    const nul = toSovereignIR({ action: { type: "invoice.read", params: { invoice_id: "i", customer_id: null } } }, schema, options);
    expect(nul.ok ? null : nul.error.code).toBe("XP4022");
    const none = toSovereignIR({ action: { type: "invoice.read" } }, schema, options);
    expect(none.ok ? null : none.error.path).toBe("$.action.params.invoice_id");
  });
  test("null for an optional field is the same as leaving it out", () => {
    expect(params({ memo: null })).toEqual({ amount: 1 });
  });
  test("undeclared parameters are rejected unless the policy allows them", () => {
    const r = toSovereignIR({ action: { type: "invoice.read", params: { invoice_id: "i", custmer_id: "c" } } }, schema, options);
    expect(r.ok ? null : r.error).toMatchObject({ code: "XP4023", path: "$.action.params.custmer_id", help: "did you mean `customer_id`?" });
    const allowed = toSovereignIR({ action: { type: "invoice.read", params: { invoice_id: "i", customer_id: "c", extra: { "e\u0301": 1 }, gone: null } } }, allowExtra, options);
    expect(allowed.ok ? allowed.ir.action.params : allowed.error).toEqual({ invoice_id: "i", customer_id: "c", extra: { "\u00e9": 1 } });
  });
  test("params must be an object", () => {
    const r = toSovereignIR({ action: { type: "invoice.read", params: ["i", "c"] } }, schema, options);
    expect(r.ok ? null : r.error).toMatchObject({ code: "XP4024", path: "$.action.params" });
  });
});

describe("actor and context", () => {
  const read = { action: { type: "invoice.read", params: { invoice_id: "i", customer_id: "c" } } };
  test("normalized like parameters", () => {
    const r = toSovereignIR(read, schema, { ...options, actor: { agent: "bo\u0301t", roles: ["admin"], session: "s-1" }, context: { region: "eu" } });
    expect(r.ok ? [r.ir.actor, r.ir.context] : r.error).toEqual([{ agent: "b\u00f3t", roles: ["admin"], session: "s-1" }, { region: "eu" }]);
  });
  test("agent is required; undeclared fields are rejected", () => {
    const noAgent = toSovereignIR(read, schema, { ...options, actor: { on_behalf_of: "alice" } });
    expect(noAgent.ok ? null : noAgent.error).toMatchObject({ code: "XP4022", path: "$.actor.agent" });
    const noActor = toSovereignIR(read, schema, { requestedAt: options.requestedAt });
    expect(noActor.ok ? null : noActor.error).toMatchObject({ code: "XP4022", path: "$.actor.agent" });
    const extra = toSovereignIR(read, schema, { ...options, actor: { agent: "a", level: 3 } });
    expect(extra.ok ? null : extra.error).toMatchObject({ code: "XP4023", path: "$.actor.level" });
    const ctx = toSovereignIR(read, schema, { ...options, context: { tenant: "t" } });
    expect(ctx.ok ? null : ctx.error).toMatchObject({ code: "XP4023", path: "$.context.tenant" });
    const wrong = toSovereignIR(read, schema, { ...options, context: { assigned_customers: "c-1" } });
    expect(wrong.ok ? null : wrong.error).toMatchObject({ code: "XP4024", path: "$.context.assigned_customers" });
  });
  test("a policy without actor/context records accepts only the built-in actor fields and an empty context", () => {
    const bare = { actionTypes: schema.actionTypes, options: { extraParams: "reject" as const } };
    expect(toSovereignIR(read, bare, { ...options, actor: { agent: "a", session: "s", on_behalf_of: "b" } }).ok).toBe(true);
    expect(toSovereignIR(read, bare, { ...options, actor: { agent: "a", roles: [] } }).ok).toBe(false);
    expect(toSovereignIR(read, bare, { ...options, context: { x: 1 } }).ok).toBe(false);
  });
});

describe("target", () => {
  test("a string or null", () => {
    const read = (target: unknown) => toSovereignIR({ action: { type: "invoice.read", target, params: { invoice_id: "i", customer_id: "c" } } }, schema, options);
    const none = read(undefined);
    expect(none.ok && none.ir.action.target).toBe(null);
    const nul = read(null);
    expect(nul.ok && nul.ir.action.target).toBe(null);
    const bad = read(42);
    expect(bad.ok ? null : bad.error).toMatchObject({ code: "XP4024", path: "$.action.target" });
  });
});
