import { describe, expect, test } from "vitest";
import { fc, test as prop } from "@fast-check/vitest";
import { canonicalBase64, canonicalDuration, canonicalTimestamp, exactInteger, timestampFromEpochMs } from "../../src/ir/index.ts";
import { isoMillis } from "../../src/ir/values.ts";

const value = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T | string => (r.ok ? r.value : `error: ${r.error}`);

describe("exactInteger", () => {
  test("exact integers from JSON number literals, without a detour through doubles", () => {
    expect(exactInteger("42")).toEqual({ kind: "integer", value: 42n });
    expect(exactInteger("-7")).toEqual({ kind: "integer", value: -7n });
    expect(exactInteger("1e3")).toEqual({ kind: "integer", value: 1000n });
    expect(exactInteger("1.50e1")).toEqual({ kind: "integer", value: 15n });
    expect(exactInteger("2.0")).toEqual({ kind: "integer", value: 2n });
    expect(exactInteger("150e-2")).toEqual({ kind: "fraction" });
    expect(exactInteger("9007199254740993")).toEqual({ kind: "integer", value: 9007199254740993n });
    expect(exactInteger("-0")).toEqual({ kind: "integer", value: 0n });
    expect(exactInteger("0e999999999999")).toEqual({ kind: "integer", value: 0n });
  });
  test("fractions, huge numbers and non-numbers", () => {
    expect(exactInteger("1.5")).toEqual({ kind: "fraction" });
    expect(exactInteger("1e-999999999")).toEqual({ kind: "fraction" });
    expect(exactInteger("1e999999999")).toEqual({ kind: "huge" });
    expect(exactInteger("1e100")).toEqual({ kind: "huge" });
    for (const s of ["", "+1", "01", "1.", ".5", "0x10", " 1", "1 ", "1_000", "NaN", "Infinity", "1e", "--1"]) expect(exactInteger(s)).toBeUndefined();
  });
  prop.prop([fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.nat({ max: 5 })], { numRuns: 100 })("every spelling of an integer gives that integer", (n, zeros) => {
    expect(exactInteger(n.toString())).toEqual({ kind: "integer", value: n });
    expect(exactInteger(`${n}.${"0".repeat(zeros + 1)}`)).toEqual({ kind: "integer", value: n });
    if (n !== 0n) expect(exactInteger(`${n}${"0".repeat(zeros)}e-${zeros}`)).toEqual({ kind: "integer", value: n });
  });
});

describe("canonicalTimestamp", () => {
  test("to UTC with Z and a trimmed fraction", () => {
    const cases: [string, string][] = [
      ["2026-01-31T12:00:00Z", "2026-01-31T12:00:00Z"],
      ["2026-01-31t12:00:00z", "2026-01-31T12:00:00Z"],
      ["2026-01-31 12:00:00Z", "2026-01-31T12:00:00Z"],
      ["2026-01-31T12:00:00.000Z", "2026-01-31T12:00:00Z"],
      ["2026-01-31T12:00:00.120Z", "2026-01-31T12:00:00.12Z"],
      ["2026-01-31T12:00:00.123456789Z", "2026-01-31T12:00:00.123456789Z"],
      ["2026-01-31T13:30:00+01:30", "2026-01-31T12:00:00Z"],
      ["2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z"],
      ["2024-02-28T23:00:00-01:00", "2024-02-29T00:00:00Z"],
      ["2026-01-31T12:00:00-00:00", "2026-01-31T12:00:00Z"],
      ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"],
      ["9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z"],
    ];
    for (const [input, canonical] of cases) expect(value(canonicalTimestamp(input))).toBe(canonical);
  });
  test("rejects what is not an instant", () => {
    for (const s of [
      "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-31T24:00:00Z", "2026-01-31T12:60:00Z", "2026-06-30T23:59:60Z",
      "2026-01-31T12:00:00", "2026-01-31", "2026-01-31T12:00Z", "2026-01-31T12:00:00.1234567891Z", "2026-01-31T12:00:00+24:00",
      "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", "1738324800", "2026-1-31T12:00:00Z",
    ]) expect(canonicalTimestamp(s).ok, s).toBe(false);
  });
  prop.prop([fc.date({ min: new Date("0001-01-02T00:00:00Z"), max: new Date("9999-12-30T00:00:00Z"), noInvalidDate: true }), fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 })], { numRuns: 200 })(
    "agrees with Date for any instant written with any offset",
    (d, offsetMinutes) => {
      const local = new Date(d.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
      const sign = offsetMinutes < 0 ? "-" : "+";
      const abs = Math.abs(offsetMinutes);
      const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
      expect(value(canonicalTimestamp(text))).toBe(d.toISOString().replace(/\.?0+Z$/, "Z").replace(/\.(\d*?)0*Z$/, ".$1Z"));
    },
  );
});

describe("timestampFromEpochMs", () => {
  const FIRST = Date.parse("0001-01-01T00:00:00Z");
  const LAST = Date.parse("9999-12-31T23:59:59.999Z");
  // Interleaved readings near and far apart exercise the reuse of the minute's text.
  prop.prop([fc.array(fc.oneof(fc.integer({ min: FIRST, max: LAST }), fc.integer({ min: -120_000, max: 120_000 })), { minLength: 1, maxLength: 20 })], { numRuns: 300 })(
    "writes what canonicalTimestamp makes of Date's text, for every millisecond of years 0001-9999",
    (readings) => {
      for (const ms of readings) expect(timestampFromEpochMs(ms)).toBe(value(canonicalTimestamp(new Date(ms).toISOString())));
    },
  );
  prop.prop([fc.array(fc.oneof(fc.integer({ min: FIRST - 10 ** 12, max: LAST + 10 ** 12 }), fc.integer({ min: -120_000, max: 120_000 }), fc.double({ min: -1e13, max: 1e13, noNaN: true })), { minLength: 1, maxLength: 20 })], { numRuns: 300 })(
    "isoMillis writes what Date.prototype.toISOString does, for every time Date can hold",
    (readings) => {
      for (const ms of readings) expect(isoMillis(ms)).toBe(new Date(ms).toISOString());
    },
  );

  test("truncates to the millisecond as Date does; nothing outside years 0001-9999 or not a time", () => {
    expect(timestampFromEpochMs(1.9)).toBe("1970-01-01T00:00:00.001Z");
    expect(timestampFromEpochMs(Date.parse("2026-01-31T12:00:00.120Z"))).toBe("2026-01-31T12:00:00.12Z");
    expect(timestampFromEpochMs(Date.parse("2026-01-31T12:00:07.005Z"))).toBe("2026-01-31T12:00:07.005Z");
    for (const ms of [FIRST - 1, LAST + 1, Number.NaN, Infinity, -Infinity]) expect(timestampFromEpochMs(ms)).toBeUndefined();
    expect(timestampFromEpochMs(FIRST)).toBe("0001-01-01T00:00:00Z");
    expect(timestampFromEpochMs(LAST)).toBe("9999-12-31T23:59:59.999Z");
    expect(() => isoMillis(Number.NaN)).toThrow(RangeError);
  });
});

describe("canonicalDuration", () => {
  test("protobuf/CEL seconds, from every accepted spelling", () => {
    const cases: [string, string][] = [
      ["1.5s", "1.5s"], ["1.500s", "1.5s"], ["1500ms", "1.5s"], ["0.025m", "1.5s"], ["1s500ms", "1.5s"], ["PT1.5S", "1.5s"],
      ["1h30m", "5400s"], ["90m", "5400s"], ["1.5h", "5400s"], ["PT1H30M", "5400s"], ["7d", "604800s"], ["P7D", "604800s"],
      ["P1DT2H", "93600s"], ["300ms", "0.3s"], ["2us", "0.000002s"], ["2µs", "0.000002s"], ["1ns", "0.000000001s"],
      ["-1.5s", "-1.5s"], ["-90m", "-5400s"], ["+2s", "2s"], ["0", "0s"], ["0s", "0s"], ["-0s", "0s"], ["PT0S", "0s"],
      ["315576000000s", "315576000000s"],
    ];
    for (const [input, canonical] of cases) expect([input, value(canonicalDuration(input))]).toEqual([input, canonical]);
  });
  test("rejects the rest, for the right reason", () => {
    expect(canonicalDuration(`${"9".repeat(100)}s`)).toEqual({ ok: false, error: "beyond ±315576000000s (10,000 years)" });
    expect(canonicalDuration(`0.${"0".repeat(30)}1s`)).toEqual({ ok: false, error: "finer than a nanosecond" });
    expect(canonicalDuration(`1.${"0".repeat(1000)}s`)).toEqual({ ok: true, value: "1s" });
    for (const s of ["", "1", "1.5", "s", "1x", "1h 30m", "0.5ns", "1.0000000001s", "315576000001s", "P1Y", "P1M", "PT", "P", "1e3s", "--1s", "-"]) {
      expect(canonicalDuration(s).ok, s).toBe(false);
    }
  });
});

describe("canonicalBase64", () => {
  test("standard, padded", () => {
    const cases: [string, string][] = [
      ["aGVsbG8=", "aGVsbG8="], ["aGVsbG8", "aGVsbG8="], ["", ""], ["-_8=", "+/8="], ["-_8", "+/8="], ["+/8=", "+/8="], ["QR==", "QQ=="],
    ];
    for (const [input, canonical] of cases) expect(value(canonicalBase64(input))).toBe(canonical);
  });
  test("rejects invalid base64", () => {
    for (const s of ["a", "aGVsbG8==", "aGVs bG8=", "+_8=", "aGVsbG8=x", "a===", "@@@@", "aGVsbA=="+"="]) expect(canonicalBase64(s).ok, s).toBe(false);
  });
  prop.prop([fc.uint8Array({ maxLength: 40 })], { numRuns: 100 })("every encoding of the same bytes has one canonical form", (bytes) => {
    const b = Buffer.from(bytes);
    const std = b.toString("base64");
    expect(value(canonicalBase64(std))).toBe(std);
    expect(value(canonicalBase64(b.toString("base64url")))).toBe(std);
    expect(value(canonicalBase64(std.replace(/=+$/, "")))).toBe(std);
  });
});
