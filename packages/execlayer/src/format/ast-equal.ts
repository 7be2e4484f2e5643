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

export function astEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(withoutPositions(a)) === JSON.stringify(withoutPositions(b));
}
