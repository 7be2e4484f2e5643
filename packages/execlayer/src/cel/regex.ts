// `matches` with RE2 semantics (re2js): linear time, no catastrophic backtracking. Compiled patterns are cached;
// a pattern RE2 rejects is a compile-time diagnostic when literal, an error value when dynamic.
import { RE2JS } from "re2js";
import { CelError, celErrors } from "./errors.ts";

const MAX_CACHE = 1000;
const cache = new Map<string, RE2JS | string>();

/** The compiled pattern, or the reason RE2 rejects it. */
export function compileRegex(pattern: string): RE2JS | string {
  let r = cache.get(pattern);
  if (r === undefined) {
    try {
      r = RE2JS.compile(pattern);
    } catch (e) {
      r = e instanceof Error ? e.message : String(e);
    }
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(pattern, r);
  }
  return r;
}

/** Why RE2 rejects this pattern, or undefined when it is valid. */
export function regexError(pattern: string): string | undefined {
  const r = compileRegex(pattern);
  return typeof r === "string" ? r : undefined;
}

/** The error value of a pattern RE2 rejects (`why` from compileRegex). */
export function invalidRegex(pattern: string, why: string): CelError {
  return celErrors.invalidArgument(`invalid regular expression \`${pattern}\`: ${why}`);
}

/** CEL `s.matches(re)`: true when the pattern matches any part of s. */
export function regexMatches(s: string, pattern: string): boolean | CelError {
  const r = compileRegex(pattern);
  if (typeof r === "string") return invalidRegex(pattern, r);
  return safeTest(r, s);
}

/** Matching with an already compiled pattern (the compiler pre-compiles literal patterns). */
export function safeTest(r: RE2JS, s: string): boolean | CelError {
  try {
    return r.test(s);
  } catch (e) {
    return celErrors.internal(`regular expression evaluation failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
