// Large inputs stay in the front end's bounds. How fast they go is the bench's job (`npm run bench -- --only scale`:
// parse, check and format at 1 MB and 4 MB, valid and broken); these tests only pin what must hold at any speed:
// broken input ends in a bounded list of diagnostics, not an exception, and a large valid policy formats to itself.
import { describe, expect, it } from "vitest";
import { generatePolicy } from "../../bench/gen-policy.ts";
import { parsePolicy } from "../../src/syntax/parse.ts";
import { formatPolicy } from "../../src/index.ts";

/** A broken policy: stray `) ] = ,` on every eleventh line, so error recovery runs all through the file. */
function brokenPolicy(rules: number): string {
  return generatePolicy(rules).text.replace(/\n/g, (m, off: number) => (off % 11 === 0 ? "\n ) ] = , " : m));
}

describe("large front-end inputs", () => {
  it("broken input all through a large file: at most 100 diagnostics and the final note, no exception", () => {
    const r = parsePolicy(brokenPolicy(1_000), "big.xpol");
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.length).toBeLessThanOrEqual(101);
  });
  it("a large valid policy parses cleanly and formats to a fixed point", () => {
    const text = generatePolicy(1_000).text;
    expect(parsePolicy(text, "big.xpol").diagnostics).toEqual([]);
    const once = formatPolicy(text, "big.xpol");
    expect(once.ok).toBe(true);
    if (!once.ok) return;
    const twice = formatPolicy(once.text, "big.xpol");
    expect(twice.ok && !twice.changed).toBe(true);
  });
});
