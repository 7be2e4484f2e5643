// Summary statistics for benchmark samples. Every reported figure is the median of several timed runs with their
// min and max; latency figures are nearest-rank percentiles. Empty input yields NaN (never throws).

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** how many samples */
  readonly runs: number;
}

function sortedCopy(xs: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(xs);
  s.sort();
  return s;
}

/** The median: the middle sample, or the mean of the two middle ones for an even count. */
export function median(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  const s = sortedCopy(xs);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Nearest-rank percentile of ascending `sorted` samples, p in [0, 1]: the smallest sample with at least p of all
 * samples at or below it (p = 0 gives the minimum, p = 1 the maximum).
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0 || !(p >= 0 && p <= 1)) return NaN;
  const rank = Math.max(1, Math.ceil(p * n));
  return sorted[rank - 1]!;
}

/** Nearest-rank percentile of samples in any order (sorts a copy). */
export function percentile(xs: ArrayLike<number>, p: number): number {
  return percentileSorted(sortedCopy(xs), p);
}

export function summarize(xs: ArrayLike<number>): Summary {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, runs: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { median: median(xs), min, max, runs: xs.length };
}

/** Element-wise a[i] / b[i] of paired samples (runs interleaved, so drift hits both members of a pair alike). */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(a[i]! / b[i]!);
  return out;
}
