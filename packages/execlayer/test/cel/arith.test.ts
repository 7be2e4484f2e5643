import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import {
  addInt,
  codePointLength,
  divInt,
  doubleToInt,
  doubleToString,
  doubleToUint,
  modInt,
  mulInt,
  negInt,
  stringToDouble,
  stringToInt,
  subUint,
} from "../../src/cel/arith.ts";
import { CelError } from "../../src/cel/errors.ts";
import { CelUint, INT64_MAX, INT64_MIN } from "../../src/cel/values.ts";

const kind = (v: unknown) => (v instanceof CelError ? v.kind : "value");

describe("int64 arithmetic", () => {
  it("detects overflow", () => {
    expect(kind(addInt(INT64_MAX, 1n))).toBe("overflow");
    expect(kind(negInt(INT64_MIN))).toBe("overflow");
    expect(kind(mulInt(5000000000n, 5000000000n))).toBe("overflow");
    expect(kind(divInt(INT64_MIN, -1n))).toBe("overflow");
    expect(kind(subUint(new CelUint(0n), new CelUint(1n)))).toBe("overflow");
  });
  it("errors on division and modulus by zero", () => {
    expect(kind(divInt(1n, 0n))).toBe("division_by_zero");
    expect(kind(modInt(1n, 0n))).toBe("modulus_by_zero");
  });
  it("truncates toward zero, remainder has the dividend's sign", () => {
    expect(divInt(-7n, 2n)).toBe(-3n);
    expect(modInt(-3n, 5n)).toBe(-3n);
    expect(modInt(43n, -5n)).toBe(3n);
  });
  const int64 = fc.bigInt({ min: INT64_MIN, max: INT64_MAX });
  test.prop([int64, int64], { numRuns: 300 })("addInt is exact or overflows", (a, b) => {
    const r = addInt(a, b);
    const exact = a + b;
    if (exact > INT64_MAX || exact < INT64_MIN) expect(kind(r)).toBe("overflow");
    else expect(r).toBe(exact);
  });
});

describe("conversions", () => {
  it("range-checks double to int/uint", () => {
    expect(kind(doubleToInt(9223372036854775807.0))).toBe("range");
    expect(kind(doubleToInt(-9223372036854775808.0))).toBe("range");
    expect(doubleToInt(-7.9)).toBe(-7n);
    expect(kind(doubleToUint(-1))).toBe("range");
    expect(kind(doubleToInt(NaN))).toBe("range");
  });
  it("parses numbers from strings strictly", () => {
    expect(stringToInt("-42")).toBe(-42n);
    expect(kind(stringToInt("4 2"))).toBe("conversion");
    expect(kind(stringToInt("9223372036854775808"))).toBe("range");
    expect(stringToDouble("-84.32e7")).toBe(-843200000);
    expect(stringToDouble("NaN")).toBeNaN();
    expect(kind(stringToDouble("1,5"))).toBe("conversion");
  });
  it("formats doubles like Go's %g", () => {
    expect(doubleToString(123.456)).toBe("123.456");
    expect(doubleToString(-4.5e-3)).toBe("-0.0045");
    expect(doubleToString(1e6)).toBe("1e+06");
    expect(doubleToString(123456)).toBe("123456");
    expect(doubleToString(1e-5)).toBe("1e-05");
    expect(doubleToString(1.5e300)).toBe("1.5e+300");
    expect(doubleToString(Infinity)).toBe("+Inf");
  });
  test.prop([fc.double({ noNaN: true })], { numRuns: 300 })("string(double) round-trips", (d) => {
    expect(Object.is(Number(doubleToString(d).replace("+Inf", "Infinity").replace("-Inf", "-Infinity")), d)).toBe(true);
  });
  it("counts code points", () => {
    expect(codePointLength("ÿ")).toBe(1);
    expect(codePointLength("🐱x")).toBe(2);
    expect(codePointLength("\uD800")).toBe(1);
  });
});
