// The policy digest: what approval requests and receipts bind to. It covers what decides, in a canonical form, and
// nothing else, so an edit that changes no decision (a comment, formatting, a test block, moving or reordering
// declarations, a `version` bump, reformatting a keyring file) keeps the digest, and the approvals pending under it.
//
//   digest = sha256 over RFC 8785 of the decision document:
//   { kind: "execlayer/policy/v2",
//     options:  { extra_params, tool_args },
//     actor, context: { FIELD: { type, optional, sensitive, decimal } }             (a JSON object: key order is moot)
//     actions:  { TYPE: { aliases (sorted), fields, tier, escalations (sorted) } }
//     counters: { NAME: { on (types, sorted), per (keys, in order: they form the cell key), sum, where, window } }
//     groups:   { NAME: { members: { NAME: "ed25519:<hex>" } } or { per: "actor.FIELD" } }
//     rules:    { NAME: { applies: ["TYPE@TIER", ...] (sorted), when, effect, else } }
//     tools:    { TOOL: { names (sorted), action, args, params (by name), target } } }
//
// Expressions are their syntax trees without source positions (format/ast-equal.ts), so spacing, line breaks and
// comments inside them do not count; two spellings of one literal (`0x10`, `16`) do not either. Which rules apply is
// recorded as the (action type, effective tier) pairs each rule applies to, after names, globs and tier targets were
// resolved: `on tier T3` and `on invoice.delete_all` are the same rule when they select the same pairs.
//
// What is left out, and why: test and property blocks, comments, formatting and file layout (they never decide);
// the policy's name and version (labels; receipts record them beside the digest); the order of declarations, because
// no decision depends on it: deny beats require-approval beats allow whatever the order (engine/combine.ts), the
// tier is the highest escalation that holds, and tools resolve by exact name. Declaration order only orders the
// reasons a decision lists. Kept in order: a counter's `per` keys (they form the counter's cell key).
//
// The sources digest (`execlayer/policy/v1`, below) is the other digest: of the exact texts compiled. Bundles use it
// to know they hold the sources they claim.
import { posix } from "node:path";
import { digest } from "../ir/canonicalize.ts";
import type { JsonObject, JsonValue } from "../ir/types.ts";
import { STDLIB_PREFIX } from "../check/policy-modules.ts";
import { commonDirectory, toPosix } from "../check/policy-paths.ts";
import type { CheckedEffect, CheckedPolicy, PolicySource } from "../check/policy-symbols.ts";
import type { FieldSchema, RecordSchema } from "../check/policy-schema.ts";
import type { FieldType } from "../ir/schema.ts";
import { targetMatches } from "../check/policy-targets.ts";
import type { TypedExpr } from "../check/policy-exprs.ts";
import { POSITION_KEYS } from "../format/ast-equal.ts";
import { formatType } from "../cel/types.ts";
import { windowLabel } from "../vocabulary/windows.ts";
import type { SourceText } from "../engine/plan.ts";

/** The kind of the policy digest (the decision document). */
export const POLICY_DIGEST_KIND = "execlayer/policy/v2";
/** The kind of the sources digest (the exact texts compiled). */
export const SOURCES_DIGEST_KIND = "execlayer/policy/v1";

/** The sources with canonical (relative, POSIX) paths, sorted by path. */
export function canonicalSources(sources: readonly PolicySource[]): SourceText[] {
  const policyPaths = sources.filter((s) => s.kind === "policy").map((s) => s.path);
  const base = commonDirectory(policyPaths);
  const rel = (p: string): string => {
    if (p.startsWith(STDLIB_PREFIX)) return p;
    const r = posix.relative(base, posix.normalize(toPosix(p)));
    return r === "" ? posix.basename(p) : r;
  };
  return sources
    .map((s) => ({ path: rel(s.path), text: s.text }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** `sha256:<hex>` of the exact source texts (with canonical paths, as `canonicalSources` returns them). */
export function sourcesDigest(sources: readonly SourceText[]): string {
  const sorted = [...sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return digest({ kind: SOURCES_DIGEST_KIND, sources: sorted.map((s) => ({ path: s.path, text: s.text })) });
}

/** The decision document a compiled policy's `digest` is taken over: for tools that explain or compare digests. */
export function policyDigestDocument(policy: { readonly checked: CheckedPolicy }): JsonObject {
  return decisionDocument(policy.checked);
}

/** `sha256:<hex>` of the decision document of a checked policy (see the file comment). */
export function policyDigest(p: CheckedPolicy): string {
  return digest(decisionDocument(p));
}

/** The canonical decision document the policy digest is taken over (exported for tests and `xpol`'s explanations). */
export function decisionDocument(p: CheckedPolicy): JsonObject {
  const actions: Record<string, JsonValue> = {};
  for (const a of p.actions.values()) {
    actions[a.name] = {
      aliases: sorted(a.aliases),
      fields: fieldsJson(a.fields),
      tier: a.tier,
      escalations: sortedByText(a.escalations.map((e) => ({ to: e.tier, when: exprJson(e.condition) }))),
    };
  }
  const counters: Record<string, JsonValue> = {};
  for (const c of p.counters.values()) {
    counters[c.name] = {
      on: sorted(c.actionTypes),
      per: c.keys.map(exprJson),
      sum: c.amount === null ? null : exprJson(c.amount),
      where: c.filter === null ? null : exprJson(c.filter),
      window: windowLabel(c.window),
    };
  }
  const groups: Record<string, JsonValue> = {};
  for (const g of p.groups.values()) {
    const members: Record<string, JsonValue> = {};
    for (const m of g.members) members[m.name] = m.key.text;
    groups[g.name] = g.principal === null ? { members } : { per: `actor.${g.principal.field}` };
  }
  const rules: Record<string, JsonValue> = {};
  for (const r of p.rules) {
    const applies: string[] = [];
    for (const type of r.actionTypes) {
      const a = p.actions.get(type);
      if (a === undefined) continue;
      for (const tier of a.possibleTiers) if (r.targets.some((t) => targetMatches(t, type, tier))) applies.push(`${type}@${tier}`);
    }
    rules[r.name] = {
      applies: sorted(applies),
      when: r.condition === null ? null : exprJson(r.condition),
      effect: effectJson(r.effect),
      else: r.otherwise === null ? null : effectJson(r.otherwise),
    };
  }
  const tools: Record<string, JsonValue> = {};
  for (const t of p.tools.values()) {
    const params: Record<string, JsonValue> = {};
    for (const x of t.params) params[x.name] = exprJson(x.value);
    const args: Record<string, JsonValue> | null = t.argsType === null ? null : {};
    if (t.argsType !== null) for (const f of t.argsType.fields.values()) args![f.name] = { type: formatType(f.type), optional: f.optional };
    tools[t.tool] = { names: sorted(t.names), action: t.action, args, params, target: t.target === null ? null : exprJson(t.target) };
  }
  return {
    kind: POLICY_DIGEST_KIND,
    options: { extra_params: p.options.extraParams, tool_args: p.options.toolArgs },
    actor: fieldsJson(p.actor.fields),
    context: fieldsJson(p.context.fields),
    actions,
    counters,
    groups,
    rules,
    tools,
  };
}

function sorted(xs: readonly string[]): string[] {
  return [...xs].sort();
}

/** Sorted by their canonical text: for lists whose order does not decide. */
function sortedByText(xs: JsonValue[]): JsonValue[] {
  return xs.map((x) => [JSON.stringify(x), x] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, x]) => x);
}

function fieldsJson(fields: RecordSchema["fields"]): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const f of fields.values() as Iterable<FieldSchema>) {
    out[f.name] = { type: typeJson(f.type), optional: f.optional, sensitive: f.sensitive, decimal: f.decimal };
  }
  return out;
}

function typeJson(t: FieldType): JsonValue {
  switch (t.kind) {
    case "list":
      return { list: typeJson(t.element) };
    case "map":
      return { map: [typeJson(t.key), typeJson(t.value)] };
    case "enum":
      return { enum: sorted(t.values) };
    default:
      return t.kind;
  }
}

function effectJson(e: CheckedEffect): JsonObject {
  return e.kind === "require_approval"
    ? { kind: e.kind, group: e.group, quorum: e.quorum, within_ms: e.withinMs, reason: e.reason }
    : { kind: e.kind, reason: e.reason };
}

/**
 * An expression as its position-free syntax tree, in one pass (what `withoutPositions` gives, made JSON: bigints and
 * bytes as tagged strings, numbers JSON cannot hold as tagged strings).
 */
function exprJson(t: TypedExpr): JsonValue {
  return treeJson(t.expr);
}

function treeJson(v: unknown): JsonValue {
  switch (typeof v) {
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0) ? v : `number:${Object.is(v, -0) ? "-0" : String(v)}`;
    case "bigint":
      return `${v}n`;
    case "string":
    case "boolean":
      return v;
    case "object": {
      if (v === null) return null;
      if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString("hex")}`;
      if (Array.isArray(v)) return v.map(treeJson);
      const out: Record<string, JsonValue> = {};
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined && !POSITION_KEYS.has(k)) out[k] = treeJson(x);
      }
      return out;
    }
    default:
      return null;
  }
}
