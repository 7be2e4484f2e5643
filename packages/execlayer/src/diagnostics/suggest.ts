// "Did you mean" hints: the closest candidate by edit distance, when it is close enough to be a plausible typo.

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}

const MAX_SUGGESTABLE_LENGTH = 128;

/** The candidate closest to `name`, or undefined when none is within a third of its length (at least 1, case-insensitive match always counts). */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  // Suggestions are for typos in names people write: a name past this length is no typo, and skipping it keeps a
  // hostile 500 KB name from costing an O(n*m) distance against every candidate.
  if (name.length > MAX_SUGGESTABLE_LENGTH) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = Math.max(1, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  for (const c of candidates) {
    if (c !== name && c.toLowerCase() === lower) return c;
    // the distance is at least the difference in length: skip candidates that cannot be close enough
    if (Math.abs(c.length - name.length) > limit) continue;
    const d = editDistance(name, c);
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** `did you mean `x`?` or undefined */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closest(name, candidates);
  return c === undefined ? undefined : `did you mean \`${c}\`?`;
}
