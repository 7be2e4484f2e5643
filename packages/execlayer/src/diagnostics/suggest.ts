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
  // read twice (distance, then word extensions): an iterator would be spent after the first pass
  const list = [...candidates];
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = Math.max(1, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  for (const c of list) {
    if (c !== name && c.toLowerCase() === lower) return c;
    // the distance is at least the difference in length: skip candidates that cannot be close enough
    if (Math.abs(c.length - name.length) > limit) continue;
    const d = editDistance(name, c);
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best ?? wordExtension(name, list);
}

/**
 * A name that is another's with a word more or less (`account` for `account_id`, `customer_id` for `customer`): too
 * far for the edit distance, a common slip all the same. Only when exactly one candidate is such an extension.
 */
function wordExtension(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length < 3) return undefined;
  const lower = name.toLowerCase();
  let found: string | undefined;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const extends_ = /^[_.-]/.test(lc.slice(lower.length)) && lc.startsWith(lower);
    const prefixed = lc.endsWith(lower) && /[_.-]$/.test(lc.slice(0, lc.length - lower.length));
    const shortened = lc.length >= 3 && lower.startsWith(lc) && /^[_.-]/.test(lower.slice(lc.length));
    if (!extends_ && !prefixed && !shortened) continue;
    if (found !== undefined && found !== c) return undefined;
    found = c;
  }
  return found;
}

/** `did you mean `x`?` or undefined */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closest(name, candidates);
  return c === undefined ? undefined : `did you mean \`${c}\`?`;
}
