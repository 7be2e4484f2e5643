// Name resolution for action types and tools: models write `Invoice.Delete`, `invoice_delete`, `invoice-delete` or
// `invoiceDelete` for the declared `invoice.delete`; all name the same action, so all resolve to the declared name.
// Only exact names and aliases bypass folding; a folded name that fits two declarations is an error, never a guess.
import { closest } from "../diagnostics/suggest.ts";
import type { NameResolution } from "./schema.ts";

const SEPARATORS = /[\s._\-/:]+/u;

// Edit distance is quadratic: a 1 MiB "type name" must not buy seconds of CPU for a hint.
const MAX_SUGGEST_LENGTH = 128;

/** The closest candidate to `name` (see diagnostics/suggest.ts), skipped for names too long to be typos. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length > MAX_SUGGEST_LENGTH) return undefined;
  const short: string[] = [];
  for (const c of candidates) if (c.length <= MAX_SUGGEST_LENGTH) short.push(c);
  return closest(name, short);
}
const LOWER_OR_DIGIT_THEN_UPPER = /(\p{Ll}|\p{N})(\p{Lu})/gu;
const ACRONYM_END = /(\p{Lu})(\p{Lu}\p{Ll})/gu;

/**
 * The case- and separator-insensitive key of a name: words split at `.`, `_`, `-`, `/`, `:`, whitespace and
 * camelCase humps (`HTTPRequest` -> `http`, `request`), lowercased, joined by `_`.
 * `Invoice.Delete`, `invoice_delete`, `invoice-delete`, `invoiceDelete` -> `invoice_delete`.
 */
export function foldName(name: string): string {
  const words: string[] = [];
  for (const part of name.normalize("NFC").split(SEPARATORS)) {
    if (part === "") continue;
    const humps = part.replace(LOWER_OR_DIGIT_THEN_UPPER, "$1 $2").replace(ACRONYM_END, "$1 $2");
    for (const w of humps.split(" ")) if (w !== "") words.push(w.toLowerCase());
  }
  return words.join("_");
}

/** Declared names (each with its aliases), indexed for exact and folded lookup. Build once per schema. */
export class NameIndex {
  private readonly exact = new Map<string, string>();
  private readonly folded = new Map<string, Set<string>>();
  readonly names: readonly string[];

  constructor(entries: Iterable<{ readonly name: string; readonly aliases?: readonly string[] }>) {
    const names: string[] = [];
    const aliasExact = new Map<string, string>();
    for (const e of entries) {
      names.push(e.name);
      this.exact.set(e.name, e.name);
      this.addFolded(e.name, e.name);
      for (const a of e.aliases ?? []) {
        if (!aliasExact.has(a)) aliasExact.set(a, e.name);
        this.addFolded(a, e.name);
      }
    }
    // A declared name wins over an alias spelled the same way.
    for (const [a, n] of aliasExact) if (!this.exact.has(a)) this.exact.set(a, n);
    this.names = names;
  }

  private addFolded(spelling: string, name: string): void {
    const key = foldName(spelling);
    if (key === "") return;
    let set = this.folded.get(key);
    if (set === undefined) this.folded.set(key, (set = new Set()));
    set.add(name);
  }

  resolve(name: string): NameResolution {
    const direct = this.exact.get(name) ?? this.exact.get(name.normalize("NFC"));
    if (direct !== undefined) return { kind: "found", name: direct };
    const key = foldName(name);
    const matches = this.folded.get(key);
    if (matches !== undefined) {
      if (matches.size === 1) return { kind: "found", name: matches.values().next().value! };
      return { kind: "ambiguous", candidates: [...matches].sort() };
    }
    const suggestion = suggest(name, this.names) ?? this.closestFolded(key);
    return suggestion === undefined ? { kind: "unknown" } : { kind: "unknown", suggestion };
  }

  private closestFolded(key: string): string | undefined {
    const hit = suggest(key, this.folded.keys());
    if (hit === undefined) return undefined;
    const set = this.folded.get(hit)!;
    return set.size === 1 ? set.values().next().value : undefined;
  }
}

// `mcp__<server>__<tool>`: how MCP clients (Claude Code, the Agents SDKs) prefix a server's tools.
const MCP_PREFIXED = /^mcp__(.+?)__(.+)$/;

/**
 * Resolves a tool name as a model or MCP client spelled it against the declared tool mappings:
 *  1. the name itself: exact, then case/separator variants (`GetInvoice` -> `get_invoice`);
 *  2. for `mcp__<server>__<tool>`: the server-qualified `<server>.<tool>` (declared e.g. as `fs.read_file`), then
 *     the bare `<tool>`; so a qualified declaration binds one server, a bare one covers every server's tool of that
 *     name, and the qualified one wins when both exist.
 */
export function resolveToolName(name: string, index: NameIndex): NameResolution {
  const first = index.resolve(name);
  if (first.kind !== "unknown") return first;
  const m = MCP_PREFIXED.exec(name);
  if (m !== null) {
    const qualified = index.resolve(`${m[1]!}.${m[2]!}`);
    if (qualified.kind !== "unknown") return qualified;
    const bare = index.resolve(m[2]!);
    if (bare.kind !== "unknown") return bare;
  }
  return first;
}
