import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import {
  addTimestampDuration,
  formatDuration,
  formatTimestamp,
  parseDuration,
  parseTimestamp,
  subTimestamps,
  timestampField,
  zoneOffsetSeconds,
} from "../../src/cel/time.ts";
import { CelError } from "../../src/cel/errors.ts";
import { CelDuration, CelTimestamp, MAX_TIMESTAMP_NANOS, MIN_TIMESTAMP_NANOS } from "../../src/cel/values.ts";
import { canonicalDuration, canonicalTimestamp } from "../../src/ir/values.ts";

const ts = (s: string): CelTimestamp => {
  const t = parseTimestamp(s);
  if (t instanceof CelError) throw new Error(t.message);
  return t;
};
const dur = (s: string): CelDuration => {
  const d = parseDuration(s);
  if (d instanceof CelError) throw new Error(d.message);
  return d;
};

describe("timestamps", () => {
  it("parses RFC 3339 with offsets and fractions", () => {
    expect(ts("2009-02-13T23:31:30Z").nanos).toBe(1234567890n * 1_000_000_000n);
    expect(ts("2009-02-14T01:31:30+02:00").nanos).toBe(ts("2009-02-13T23:31:30Z").nanos);
    expect(ts("2009-02-13T23:31:20.123456789Z").nanos % 1_000_000_000n).toBe(123456789n);
  });
  it("enforces the range 0001-01-01..9999-12-31", () => {
    expect((parseTimestamp("0000-01-01T00:00:00Z") as CelError).kind).toBe("range");
    expect((parseTimestamp("10000-01-01T00:00:00Z") as CelError).kind).toBe("range");
    expect(ts("0001-01-01T00:00:00Z").nanos).toBe(MIN_TIMESTAMP_NANOS);
    expect(ts("9999-12-31T23:59:59.999999999Z").nanos).toBe(MAX_TIMESTAMP_NANOS);
    expect(addTimestampDuration(ts("9999-12-31T23:59:59.999999999Z"), dur("1ns"))).toBeInstanceOf(CelError);
    expect(subTimestamps(ts("9999-12-31T23:59:59Z"), ts("0001-01-01T00:00:00Z"))).toBeInstanceOf(CelError);
  });
  it("rejects malformed text", () => {
    expect((parseTimestamp("2009-02-30T00:00:00Z") as CelError).kind).toBe("conversion");
    expect((parseTimestamp("yesterday") as CelError).kind).toBe("conversion");
  });
  test.prop([fc.bigInt({ min: MIN_TIMESTAMP_NANOS, max: MAX_TIMESTAMP_NANOS })], { numRuns: 300 })(
    "format then parse is the identity",
    (n) => {
      expect(ts(formatTimestamp(new CelTimestamp(n))).nanos).toBe(n);
    },
  );
  test.prop([fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })], {
    numRuns: 200,
  })("calendar fields agree with Date's UTC fields", (d) => {
    const t = CelTimestamp.fromMillis(d.getTime());
    expect(timestampField(t, "getFullYear")).toBe(BigInt(d.getUTCFullYear()));
    expect(timestampField(t, "getMonth")).toBe(BigInt(d.getUTCMonth()));
    expect(timestampField(t, "getDate")).toBe(BigInt(d.getUTCDate()));
    expect(timestampField(t, "getDayOfWeek")).toBe(BigInt(d.getUTCDay()));
    expect(timestampField(t, "getHours")).toBe(BigInt(d.getUTCHours()));
    expect(timestampField(t, "getMinutes")).toBe(BigInt(d.getUTCMinutes()));
    expect(timestampField(t, "getSeconds")).toBe(BigInt(d.getUTCSeconds()));
    expect(timestampField(t, "getMilliseconds")).toBe(BigInt(d.getUTCMilliseconds()));
    // Date writes years 0001..9999 with four digits, as RFC 3339 does, and always three fraction digits; ours
    // drops trailing zeros (and an empty fraction).
    const iso = d.toISOString().replace(/\.(\d*?)0*Z$/, (_, f: string) => (f === "" ? "Z" : `.${f}Z`));
    expect(formatTimestamp(t)).toBe(iso);
  });
});

describe("time zones", () => {
  const t = ts("2009-02-13T23:31:30Z");
  it("uses IANA names through Intl", () => {
    expect(timestampField(t, "getDate", "Australia/Sydney")).toBe(14n);
    expect(timestampField(t, "getMinutes", "Asia/Kathmandu")).toBe(16n);
    expect(timestampField(ts("2009-02-13T02:00:00Z"), "getDayOfMonth", "America/St_Johns")).toBe(11n);
  });
  it("follows daylight saving time", () => {
    expect(zoneOffsetSeconds("Europe/Berlin", Date.UTC(2024, 0, 15) / 1000)).toBe(3600);
    expect(zoneOffsetSeconds("Europe/Berlin", Date.UTC(2024, 6, 15) / 1000)).toBe(7200);
  });
  it("accepts fixed offsets with or without a sign", () => {
    expect(timestampField(t, "getHours", "02:00")).toBe(1n);
    expect(timestampField(t, "getDayOfMonth", "+11:00")).toBe(13n);
    expect(timestampField(t, "getFullYear", "-09:30")).toBe(2009n);
    expect(timestampField(t, "getSeconds", "-00:00")).toBe(30n);
  });
  it("returns an error value for an unknown zone", () => {
    const r = timestampField(t, "getHours", "Mars/Olympus_Mons");
    expect(r).toBeInstanceOf(CelError);
    expect((r as CelError).message).toBe("unknown time zone `Mars/Olympus_Mons`");
  });
});

describe("durations", () => {
  it("parses Go-style durations", () => {
    expect(dur("1h30m").nanos).toBe(5400n * 1_000_000_000n);
    expect(dur("1.5s").nanos).toBe(1_500_000_000n);
    expect(dur("-1ns").nanos).toBe(-1n);
    expect(dur("250ms").nanos).toBe(250_000_000n);
    expect(dur("0").nanos).toBe(0n);
  });
  it("rejects malformed durations and out-of-range ones", () => {
    expect((parseDuration("1x") as CelError).kind).toBe("conversion");
    expect((parseDuration("") as CelError).kind).toBe("conversion");
    expect((parseDuration("320000000000s") as CelError).kind).toBe("range");
    // int64 nanoseconds: 9223372036s is the largest whole number of seconds.
    expect(parseDuration("9223372036s")).toBeInstanceOf(CelDuration);
    expect((parseDuration("9223372037s") as CelError).kind).toBe("range");
  });
  it("formats as seconds", () => {
    expect(formatDuration(dur("1000000s"))).toBe("1000000s");
    expect(formatDuration(dur("1.5s"))).toBe("1.5s");
    expect(formatDuration(dur("-1ms"))).toBe("-0.001s");
  });
  test.prop([fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })], { numRuns: 200 })(
    "format then parse is the identity",
    (n) => {
      expect(dur(formatDuration(new CelDuration(n))).nanos).toBe(n);
    },
  );
});

describe("one set of timestamp forms for CEL's timestamp() and for timestamp parameters", () => {
  const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));
  const text = fc
    .tuple(
      fc.integer({ min: 0, max: 10000 }).map((n) => String(n).padStart(4, "0")),
      two(13),
      two(32),
      fc.constantFrom("T", "t", " ", "_"),
      two(24),
      two(60),
      fc.option(two(61), { nil: undefined }),
      fc.option(fc.stringMatching(/^[0-9]{1,11}$/), { nil: undefined }),
      fc.constantFrom("Z", "z", "", "+02:00", "-23:59", "+24:00", "+05:60"),
    )
    .map(([y, mo, d, sep, h, mi, s, frac, zone]) => `${y}-${mo}-${d}${sep}${h}:${mi}${s === undefined ? "" : `:${s}`}${frac === undefined || s === undefined ? "" : `.${frac}`}${zone}`);

  test.prop([text], { numRuns: 2000 })("both accept the same texts, and read the same instant", (t) => {
    const cel = parseTimestamp(t);
    const ir = canonicalTimestamp(t);
    expect(cel instanceof CelError, `${t}: cel ${cel instanceof CelError ? cel.message : "ok"}, ir ${ir.ok ? "ok" : ir.error}`).toBe(!ir.ok);
    if (ir.ok && !(cel instanceof CelError)) expect(formatTimestamp(cel)).toBe(ir.value);
  });

  it("durations: `d` is a day in CEL's duration() as in `within 7d` and duration parameters", () => {
    expect((parseDuration("14d") as CelDuration).nanos).toBe((parseDuration("336h") as CelDuration).nanos);
    const ir = canonicalDuration("14d");
    expect(ir.ok && ir.value).toBe(formatDuration(parseDuration("14d") as CelDuration));
  });
});
