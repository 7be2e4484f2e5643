import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import {
  CelDuration,
  CelMap,
  CelRecord,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  celEquals,
  compareStrings,
  compareValues,
  typeOf,
  type CelValue,
} from "../../src/cel/values.ts";
import { CelError } from "../../src/cel/errors.ts";
import { fromJson, toJson } from "../../src/cel/json.ts";
import { T, listType, mapType, recordType } from "../../src/cel/types.ts";

const map = (entries: [CelValue, CelValue][]): CelMap => {
  const m = CelMap.from(entries);
  if (m instanceof CelError) throw new Error(m.message);
  return m;
};

describe("equality", () => {
  it("compares numbers across int, uint and double", () => {
    expect(celEquals(1n, new CelUint(1n))).toBe(true);
    expect(celEquals(1n, 1.0)).toBe(true);
    expect(celEquals(new CelUint(2n), 2.0)).toBe(true);
    expect(celEquals(1n, 1.5)).toBe(false);
    expect(celEquals(NaN, NaN)).toBe(false);
    expect(celEquals(-1n, new CelUint(18446744073709551615n))).toBe(false);
  });
  it("is false, not an error, across unrelated types", () => {
    expect(celEquals("1", 1n)).toBe(false);
    expect(celEquals(null, false)).toBe(false);
    expect(celEquals([], CelMap.EMPTY)).toBe(false);
  });
  it("compares lists and maps structurally, maps regardless of order", () => {
    expect(celEquals([1n, "a"], [1.0, "a"])).toBe(true);
    expect(celEquals(map([["a", 1n], ["b", 2n]]), map([["b", 2n], ["a", 1n]]))).toBe(true);
    expect(celEquals(map([["a", 1n]]), map([["a", 2n]]))).toBe(false);
  });
  it("compares records by type name and set fields", () => {
    expect(celEquals(new CelRecord("actor", { agent: "a" }), new CelRecord("actor", { agent: "a" }))).toBe(true);
    expect(celEquals(new CelRecord("actor", { agent: "a" }), new CelRecord("context", { agent: "a" }))).toBe(false);
    expect(celEquals(new CelRecord("actor", { agent: "a" }), new CelRecord("actor", { agent: "a", team: "x" }))).toBe(false);
  });
});

describe("ordering", () => {
  it("orders large ints against doubles the way cel-go does (the int converted to double)", () => {
    expect(compareValues(9223372036854775807n, 9223372036854775808.0)).toBe(0);
    expect(compareValues(9223372036854775807n, 9223372036854777857.0)).toBe(-1);
    expect(compareValues(1n, 1e300)).toBe(-1);
    expect(compareValues(-9223372036854775808n, -9223372036854775809.0)).toBe(0);
    expect(compareValues(new CelUint(18446744073709551615n), 18446744073709590000.0)).toBe(-1);
    expect(compareValues(1n, NaN)).toBeNaN();
  });
  it("has no ordering between unrelated types", () => {
    expect(compareValues("a", 1n)).toBeUndefined();
    expect(compareValues(null, null)).toBeUndefined();
    expect(compareValues([1n], [2n])).toBeUndefined();
  });
  it("orders strings by code point, not UTF-16 unit", () => {
    // U+FFFD (one unit, 0xFFFD) sorts before U+1F600 (surrogates 0xD83D 0xDE00).
    expect(compareStrings("\uFFFD", "\u{1F600}")).toBe(-1);
    expect("\uFFFD" < "\u{1F600}").toBe(false); // what plain JS would say
  });
  test.prop([fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" })], { numRuns: 200 })(
    "string order agrees with UTF-8 byte order",
    (a, b) => {
      const ua = Buffer.from(a, "utf8");
      const ub = Buffer.from(b, "utf8");
      expect(compareStrings(a, b)).toBe(Math.sign(Buffer.compare(ua, ub)));
    },
  );
});

describe("maps", () => {
  it("looks up numeric keys heterogeneously", () => {
    const m = map([[1n, "a"], [new CelUint(2n), "b"]]);
    expect(m.get(new CelUint(1n))).toBe("a");
    expect(m.get(1.0)).toBe("a");
    expect(m.get(2n)).toBe("b");
    expect(m.get(1.5)).toBeUndefined();
    expect(m.get("1")).toBeUndefined();
  });
  it("rejects repeated keys, including numerically equal ones, and unsupported key types", () => {
    expect(CelMap.from([[0n, 1n], [new CelUint(0n), 2n]])).toBeInstanceOf(CelError);
    expect(CelMap.from([[1.0, 1n]])).toBeInstanceOf(CelError);
    expect(CelMap.from([[null, 1n]])).toBeInstanceOf(CelError);
  });
});

describe("type()", () => {
  it("names runtime types", () => {
    expect(typeOf(1n).name).toBe("int");
    expect(typeOf(new CelUint(1n)).name).toBe("uint");
    expect(typeOf(new CelTimestamp(0n)).name).toBe("google.protobuf.Timestamp");
    expect(typeOf(new CelDuration(0n)).name).toBe("google.protobuf.Duration");
    expect(typeOf(new CelTypeValue("int")).name).toBe("type");
    expect(typeOf(new CelRecord("action.invoice.delete", {})).name).toBe("action.invoice.delete");
  });
});

describe("JSON conversion", () => {
  const invoice = recordType("action.invoice.pay", [
    { name: "invoice_id", type: T.string },
    { name: "amount", type: T.int },
    { name: "rate", type: T.double },
    { name: "tags", type: listType(T.string) },
    { name: "limits", type: mapType(T.string, T.uint) },
    { name: "due", type: T.timestamp, optional: true },
    { name: "note", type: T.string, optional: true },
  ]);

  it("converts a record with its declared field types", () => {
    const v = fromJson(
      { invoice_id: "i-1", amount: 1200, rate: 1, tags: ["a"], limits: { x: 3 }, due: "2026-01-31T12:00:00Z" },
      invoice,
    );
    expect(v).toBeInstanceOf(CelRecord);
    const r = v as CelRecord;
    expect(r.get("amount")).toBe(1200n);
    expect(r.get("rate")).toBe(1);
    expect((r.get("limits") as CelMap).get("x")).toEqual(new CelUint(3n));
    expect(r.get("due")).toBeInstanceOf(CelTimestamp);
    expect(r.get("note")).toBeUndefined();
  });

  it("names the offending path on a type mismatch", () => {
    const v = fromJson({ invoice_id: "i", amount: 1.5, rate: 1, tags: [], limits: {} }, invoice);
    expect(v).toBeInstanceOf(CelError);
    expect((v as CelError).message).toBe("$.amount: expected int, got number");
    const w = fromJson({ invoice_id: "i", amount: 1, rate: 1, tags: ["a", 2], limits: {} }, invoice);
    expect((w as CelError).message).toBe("$.tags[1]: expected string, got number");
  });

  it("rejects missing required fields and unknown fields unless told to ignore them", () => {
    expect((fromJson({ amount: 1 }, invoice) as CelError).message).toBe("$.invoice_id: required field is missing");
    const extra = { invoice_id: "i", amount: 1, rate: 1, tags: [], limits: {}, bogus: 1 };
    expect((fromJson(extra, invoice) as CelError).message).toBe("$.bogus: unknown field of action.invoice.pay");
    expect(fromJson(extra, invoice, { extraFields: "ignore" })).toBeInstanceOf(CelRecord);
  });

  it("keeps int64 precision through strings and rejects unsafe JSON numbers", () => {
    expect(fromJson("9223372036854775807", T.int)).toBe(9223372036854775807n);
    expect(fromJson("9223372036854775808", T.int)).toBeInstanceOf(CelError);
    expect(fromJson(2 ** 60, T.int)).toBeInstanceOf(CelError);
    expect(fromJson(-1, T.uint)).toBeInstanceOf(CelError);
  });

  it("maps untyped JSON like google.protobuf.Value (numbers are doubles)", () => {
    const v = fromJson({ a: [1, "x", null, true] }, T.dyn) as CelMap;
    expect(v.get("a")).toEqual([1, "x", null, true]);
  });

  it("keeps `__proto__` as an ordinary key of untyped objects, both ways", () => {
    const json = JSON.parse('{"__proto__": {"x": 2}, "a": {"__proto__": 1}}') as unknown;
    const v = fromJson(json, T.dyn) as CelMap;
    expect([...v.keys()]).toEqual(["__proto__", "a"]);
    expect((v.get("__proto__") as CelMap).get("x")).toBe(2);
    expect((v.get("a") as CelMap).get("__proto__")).toBe(1);
    const back = toJson(v);
    expect(JSON.stringify(back)).toBe('{"__proto__":{"x":2},"a":{"__proto__":1}}');
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  test.prop(
    [
      fc.record({
        invoice_id: fc.string(),
        amount: fc.maxSafeInteger(),
        rate: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
        tags: fc.array(fc.string()),
        limits: fc.dictionary(fc.oneof(fc.string(), fc.constant("__proto__")), fc.nat()),
        note: fc.option(fc.string(), { nil: undefined }),
      }),
    ],
    { numRuns: 100 },
  )("toJson(fromJson(x)) == x for values of the declared type", (x) => {
    const json = JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
    const v = fromJson(json, invoice);
    expect(v).not.toBeInstanceOf(CelError);
    expect(toJson(v as CelValue)).toEqual(json);
  });
});
