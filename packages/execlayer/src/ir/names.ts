// Name resolution. Action types (in IR-shaped proposals): models write `Invoice.Delete`, `invoice_delete`,
// `invoice-delete` or `invoiceDelete` for the declared `invoice.delete`; all name the same action, so all resolve to
// the declared name; a folded name that fits two declarations is an error, never a guess. Tools: exact names only
// (ToolNameIndex), since the framework dispatches the name as written; folding only suggests.
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

export type ToolResolution =
  | { readonly kind: "found"; readonly name: string }
  /** `suggestion`: the nearest accepted name; `server`: the name is `mcp__SERVER__TOOL` for a known TOOL whose server the policy does not declare */
  | { readonly kind: "unknown"; readonly suggestion?: string; readonly server?: { readonly server: string; readonly tool: string } };

/**
 * A tool call's name resolves exactly: a declared tool name, or one of the other names the policy gives it (aliases,
 * `mcp__SERVER__TOOL` for servers it declares). No case, separator or prefix variant resolves, since the policy would
 * then decide on a different tool than the one the framework dispatches; variants only feed the "did you mean".
 */
export class ToolNameIndex {
  private readonly exact = new Map<string, string>();
  /** the accepted names, folded: what a variant would have meant (only ever a hint) */
  private folded: NameIndex | undefined;

  constructor(tools: readonly string[], aliases?: ReadonlyMap<string, string>) {
    for (const t of tools) this.exact.set(t, t);
    if (aliases !== undefined) for (const [a, t] of aliases) if (!this.exact.has(a)) this.exact.set(a, t);
  }

  resolve(name: string): ToolResolution {
    const hit = this.exact.get(name);
    if (hit !== undefined) return { kind: "found", name: hit };
    const m = MCP_PREFIXED.exec(name);
    if (m !== null && this.exact.has(m[2]!)) return { kind: "unknown", server: { server: m[1]!, tool: m[2]! } };
    const suggestion = this.foldedMatch(name) ?? suggest(name, this.exact.keys());
    return suggestion === undefined ? { kind: "unknown" } : { kind: "unknown", suggestion };
  }

  /** the accepted name `name` is a case/separator variant of, when exactly one is */
  private foldedMatch(name: string): string | undefined {
    if (name.length > MAX_SUGGEST_LENGTH) return undefined;
    this.folded ??= new NameIndex([...this.exact.keys()].map((n) => ({ name: n })));
    const r = this.folded.resolve(name);
    return r.kind === "found" ? r.name : undefined;
  }
}
