// Declaring extension functions: every overload carries its cost (steps charged before the call, from the
// arguments), so the cost limit bounds extension calls by the size of what they scan and build. An overload that
// names no cost is charged the shallow size of its arguments (list elements, map entries, string length / 8).
import type { FunctionDecl, Overload } from "../functions.ts";
import { shallowSize } from "../cost.ts";
import type { CelValue } from "../values.ts";

export type ExtOverload = Omit<Overload, "receiver">;

function sizeOfArgs(args: readonly CelValue[]): number {
  let n = 0;
  for (const a of args) n += shallowSize(a);
  return n;
}

function withCost(o: ExtOverload, receiver: boolean): Overload {
  return { ...o, receiver, cost: o.cost ?? sizeOfArgs };
}

/** A global function: `math.abs(x)`, `base64.encode(b)`. */
export function globalFn(name: string, overloads: readonly ExtOverload[]): FunctionDecl {
  return { name, overloads: overloads.map((o) => withCost(o, false)) };
}

/** A method: `s.lowerAscii()`, `list.distinct()`; `params[0]` is the receiver. */
export function method(name: string, overloads: readonly ExtOverload[]): FunctionDecl {
  return { name, overloads: overloads.map((o) => withCost(o, true)) };
}

/** Steps for scanning a string once (one per 8 code units, as the core functions charge). */
export function scanSteps(s: string): number {
  return s.length >>> 3;
}
