// Kubernetes' CEL regex library (k8s.io/apiserver/pkg/cel/library/regex.go): `s.find(re)` is the first match or
// "", `s.findAll(re)` every match, `s.findAll(re, n)` at most n (n < 0: all). RE2 semantics (re2js): linear time.
import { T, listType } from "../types.ts";
import { celErrors } from "../errors.ts";
import { dynamicRegexCost } from "../cost.ts";
import { compileRegex, invalidRegex } from "../regex.ts";
import type { CelResult, CelValue } from "../values.ts";
import { method } from "./decl.ts";
import type { FunctionDecl } from "../functions.ts";
import type { RE2JS } from "re2js";

function guarded<R>(run: () => R): R | ReturnType<typeof celErrors.internal> {
  try {
    return run();
  } catch (e) {
    return celErrors.internal(`regular expression evaluation failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The first match of a compiled pattern in `s`, or "". */
export function findWith(re: RE2JS, s: string): CelResult {
  return guarded(() => {
    const m = re.matcher(s);
    return m.find() ? (m.group() ?? "") : "";
  });
}

/** Up to `limit` matches (all when negative). */
export function findAllWith(re: RE2JS, s: string, limit: bigint): CelResult {
  if (limit === 0n) return [];
  return guarded(() => {
    const out: string[] = [];
    const m = re.matcher(s);
    while ((limit < 0n || BigInt(out.length) < limit) && m.find()) out.push(m.group() ?? "");
    return out;
  });
}

function find(s: string, pattern: string): CelResult {
  const re = compileRegex(pattern);
  return typeof re === "string" ? invalidRegex(pattern, re) : findWith(re, s);
}

function findAll(s: string, pattern: string, limit: bigint): CelResult {
  const re = compileRegex(pattern);
  return typeof re === "string" ? invalidRegex(pattern, re) : findAllWith(re, s, limit);
}

const cost = (args: readonly CelValue[]) => 1 + dynamicRegexCost(args[0] as string, args[1] as string);

export const REGEX_FUNCTIONS: readonly FunctionDecl[] = [
  method("find", [{ id: "string_find_string", params: [T.string, T.string], result: T.string, impl: (s, p) => find(s as string, p as string), cost }]),
  method("findAll", [
    { id: "string_find_all_string", params: [T.string, T.string], result: listType(T.string), impl: (s, p) => findAll(s as string, p as string, -1n), cost },
    {
      id: "string_find_all_string_int",
      params: [T.string, T.string, T.int],
      result: listType(T.string),
      impl: (s, p, n) => findAll(s as string, p as string, n as bigint),
      cost,
    },
  ]),
];
