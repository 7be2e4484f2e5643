// Structural equality of two syntax trees, ignoring source positions: what "formatting preserves meaning" means.
/** Every key of the syntax tree that holds a source position (ast.ts). */
export const POSITION_KEYS: ReadonlySet<string> = new Set(["span", "fieldSpan", "opSpan", "fnSpan", "variableSpan"]);

/** A plain, position-free copy of a tree (bigints and byte arrays as tagged strings), for comparison and display. */
export function withoutPositions(node: unknown): unknown {
  if (typeof node === "bigint") return `${node}n`;
  if (node instanceof Uint8Array) return `bytes:${Buffer.from(node).toString("hex")}`;
  if (Array.isArray(node)) return node.map(withoutPositions);
  if (node !== null && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (!POSITION_KEYS.has(k)) out[k] = withoutPositions(v);
    return out;
  }
  if (typeof node === "number" && Number.isNaN(node)) return "NaN";
  if (Object.is(node, -0)) return "-0";
  return node;
}

/**
 * Whether two trees are equal ignoring positions: what comparing `withoutPositions` copies as JSON would answer
 * (keys holding `undefined` count as absent; key order does not matter), without building the copies.
 */
export function astEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "number" || typeof b === "number") return Object.is(a, b);
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    return a.length === bs.length && a.every((x, i) => astEqual(x, bs[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let na = 0;
  for (const k in ra) {
    if (!Object.hasOwn(ra, k) || POSITION_KEYS.has(k) || ra[k] === undefined) continue;
    na++;
    if (!Object.hasOwn(rb, k) || !astEqual(ra[k], rb[k])) return false;
  }
  let nb = 0;
  for (const k in rb) if (Object.hasOwn(rb, k) && !POSITION_KEYS.has(k) && rb[k] !== undefined) nb++;
  return na === nb;
}
