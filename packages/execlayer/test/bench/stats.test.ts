// The harness's statistics: every reported figure is summarize()d, latencies are percentileSorted()ed.
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { median, pairedRatios, percentile, percentileSorted, summarize } from "../../bench/stats.ts";

// -0 is normalized to 0: typed-array sort orders -0 before 0, which `toBe` (Object.is) would tell apart.
const sample = fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }).map((x) => (x === 0 ? 0 : x)), { minLength: 1, maxLength: 60 });
const ascending = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

describe("median", () => {
  it("is the middle sample, or the mean of the two middle ones", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([10, -10])).toBe(0);
  });

  it("is NaN for no samples", () => {
    expect(median([])).toBeNaN();
  });

  test.prop([sample])("lies between the min and the max, whatever the order", (xs) => {
    const m = median(xs);
    const s = ascending(xs);
    expect(m).toBeGreaterThanOrEqual(s[0]!);
    expect(m).toBeLessThanOrEqual(s[s.length - 1]!);
    expect(median([...xs].reverse())).toBe(m);
  });

  test.prop([sample])("has as many samples strictly below it as strictly above it, at most", (xs) => {
    const m = median(xs);
    const below = xs.filter((x) => x < m).length;
    const above = xs.filter((x) => x > m).length;
    expect(below).toBeLessThanOrEqual(xs.length / 2);
    expect(above).toBeLessThanOrEqual(xs.length / 2);
  });
});

describe("percentiles (nearest rank)", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it("of 1..100 are the rank itself", () => {
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile(hundred, 0.991)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile(hundred, 1)).toBe(100);
  });

  it("reads a Float64Array sorted in place, as the latency benchmarks pass it", () => {
    const lat = Float64Array.from([5, 1, 4, 2, 3]);
    lat.sort();
    expect(percentileSorted(lat, 0.5)).toBe(3);
    expect(percentileSorted(lat, 0.99)).toBe(5);
  });

  it("are NaN for no samples or p outside [0, 1]", () => {
    expect(percentile([], 0.5)).toBeNaN();
    expect(percentile([1, 2], 1.5)).toBeNaN();
    expect(percentile([1, 2], -0.1)).toBeNaN();
    expect(percentile([1, 2], Number.NaN)).toBeNaN();
  });

  test.prop([sample, fc.double({ min: 0, max: 1, noNaN: true })])(
    "is a sample with at least p of all samples at or below it, and the smallest such",
    (xs, p) => {
      const v = percentile(xs, p);
      expect(xs).toContain(v);
      const s = ascending(xs);
      const atOrBelow = s.filter((x) => x <= v).length;
      expect(atOrBelow).toBeGreaterThanOrEqual(Math.ceil(p * s.length));
      // any smaller sample has fewer than p of the samples at or below it
      const smaller = s.filter((x) => x < v);
      if (smaller.length > 0) expect(smaller.length).toBeLessThan(Math.max(1, Math.ceil(p * s.length)));
    },
  );

  test.prop([sample, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })])(
    "grow with p, from the min (p = 0) to the max (p = 1)",
    (xs, p, q) => {
      const [lo, hi] = p <= q ? [p, q] : [q, p];
      expect(percentile(xs, lo)).toBeLessThanOrEqual(percentile(xs, hi));
      const s = ascending(xs);
      expect(percentile(xs, 0)).toBe(s[0]);
      expect(percentile(xs, 1)).toBe(s[s.length - 1]);
    },
  );
});

describe("summarize", () => {
  test.prop([sample])("reports min <= median <= max over all the runs", (xs) => {
    const s = summarize(xs);
    const sorted = ascending(xs);
    expect(s.runs).toBe(xs.length);
    expect(s.min).toBe(sorted[0]);
    expect(s.max).toBe(sorted[sorted.length - 1]);
    expect(s.median).toBe(median(xs));
  });

  it("of no samples is NaN with zero runs", () => {
    const s = summarize([]);
    expect(s.runs).toBe(0);
    expect(s.median).toBeNaN();
    expect(s.min).toBeNaN();
  });
});

describe("pairedRatios", () => {
  it("divides run by run and ignores unpaired runs", () => {
    expect(pairedRatios([10, 20, 30], [5, 4])).toEqual([2, 5]);
  });
});
