// Tool mappings (`tool get_invoice -> invoice.read { target: "invoice/" + args.id  invoice_id: args.id }`) as the
// ToolMapper src/ir calls: compiled CEL over `args` (the call's JSON arguments, dyn). A mapping that fails to
// evaluate fails the call (deny, fail closed), except that an optional parameter whose value reads a missing key
// is simply left out.
//
// The arguments a mapping reads are known at compile time: the `args.X.Y` paths (and `args["X"]`) its expressions
// select. With `option tool_args = "reject"` (the default) a call that carries an argument no expression of its
// mapping reads is refused (XP4032): such an argument reaches the tool without any rule having seen it. An
// expression that uses `args` (or a path of it) as a whole, or indexes it with a computed key, reads everything
// under it.
import type { CheckedPolicy } from "../check/policy-symbols.ts";
import type { Expr } from "../syntax/ast.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { forEachChild, type TypedExpr } from "../check/policy-exprs.ts";
import type { MappedAction, ToolMapper, ToolMapperError } from "../ir/adapters.ts";
import type { JsonObject, JsonValue } from "../ir/types.ts";
import { T, type RecordType } from "../cel/types.ts";
import { fromJson, toJson } from "../cel/json.ts";
import { CelError } from "../cel/errors.ts";
import type { CompiledExpression } from "../cel/planner.ts";

/** What a mapping reads under one path of `args`: everything (`all`), or the listed keys. */
export interface ArgsRead {
  all: boolean;
  readonly keys: Map<string, ArgsRead>;
}

function readNode(): ArgsRead {
  return { all: false, keys: new Map() };
}

function mark(root: ArgsRead, path: readonly string[]): void {
  let node = root;
  for (const key of path) {
    if (node.all) return;
    let next = node.keys.get(key);
    if (next === undefined) node.keys.set(key, (next = readNode()));
    node = next;
  }
  node.all = true;
  node.keys.clear();
}

/** `args`, `args.a.b`, `args["a"]`: the path selected from the tool's arguments, else undefined. */
function argsPath(e: Expr, bound: ReadonlySet<string>): string[] | undefined {
  switch (e.kind) {
    case "ident":
      return e.name === "args" && (e.rootScoped || !bound.has("args")) ? [] : undefined;
    case "select": {
      const p = argsPath(e.operand, bound);
      return p === undefined ? undefined : [...p, e.field];
    }
    case "index": {
      if (e.index.kind !== "literal" || e.index.literal.type !== "string") return undefined;
      const p = argsPath(e.operand, bound);
      return p === undefined ? undefined : [...p, e.index.literal.value];
    }
    default:
      return undefined;
  }
}

/** Adds the paths of `args` that `e` reads to `into`. `bound`: comprehension variables in scope (they shadow). */
export function argsReadBy(e: Expr, into: ArgsRead, bound: ReadonlySet<string> = new Set()): void {
  const p = argsPath(e, bound);
  if (p !== undefined) return mark(into, p);
  if (e.kind === "has") {
    const hp = argsPath(e.operand, bound);
    if (hp !== undefined) return mark(into, [...hp, e.field]);
  } else if (e.kind === "comprehension") {
    argsReadBy(e.range, into, bound);
    const inner = new Set(bound).add(e.variable);
    if (e.predicate !== null) argsReadBy(e.predicate, into, inner);
    if (e.transform !== null) argsReadBy(e.transform, into, inner);
    return;
  }
  forEachChild(e, (c) => argsReadBy(c, into, bound));
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The first argument (a dotted path, keys in their order) that `read` does not cover, else undefined. */
export function unreadArgument(args: unknown, read: ArgsRead, prefix = ""): string | undefined {
  if (read.all || !isRecord(args)) return undefined;
  for (const key of Object.keys(args)) {
    const child = read.keys.get(key);
    if (child === undefined) return prefix + key;
    const deeper = unreadArgument(args[key], child, `${prefix}${key}.`);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

interface ToolPlan {
  readonly action: string;
  /** the arguments the mapping reads; null when unread arguments are allowed or everything is read */
  readonly reads: ArgsRead | null;
  readonly target: CompiledExpression | null;
  readonly params: readonly { readonly name: string; readonly optional: boolean; readonly value: CompiledExpression }[];
  /** the declared arguments' type: the call's arguments are converted to it (and refused when they do not fit) */
  readonly argsType: RecordType | null;
}

export function compileToolMapper(policy: CheckedPolicy, compile: (t: TypedExpr) => CompiledExpression): ToolMapper {
  const plans = new Map<string, ToolPlan>();
  const rejectUnread = policy.options.toolArgs !== "allow";
  for (const t of policy.tools.values()) {
    const fields = policy.actions.get(t.action)?.fields;
    let reads: ArgsRead | null = null;
    if (rejectUnread) {
      reads = readNode();
      if (t.target !== null) argsReadBy(t.target.expr, reads);
      for (const p of t.params) argsReadBy(p.value.expr, reads);
      if (reads.all) reads = null;
    }
    plans.set(t.tool, {
      action: t.action,
      reads,
      target: t.target === null ? null : compile(t.target),
      params: t.params.map((p) => ({ name: p.name, optional: fields?.get(p.name)?.optional ?? false, value: compile(p.value) })),
      argsType: t.argsType,
    });
  }
  const aliases = new Map<string, string>();
  for (const t of policy.tools.values()) for (const n of t.names) aliases.set(n, t.tool);
  return {
    tools: [...plans.keys()].sort(),
    aliases,
    map(tool, args) {
      const plan = plans.get(tool);
      if (plan === undefined) return { ok: false, error: `no mapping for tool \`${tool}\`` };
      if (plan.reads !== null) {
        const unread = unreadArgument(args, plan.reads);
        if (unread !== undefined) {
          const d = Diagnostics.irUnreadToolArgument;
          const help = 'no expression of the policy\'s mapping for this tool reads it, so no rule saw it; leave it out, map it, or set `option tool_args = "allow"`';
          const error: ToolMapperError = { code: d.code as `XP4${string}`, message: d.message(unread, tool), help };
          return { ok: false, error };
        }
      }
      // declared arguments: of their types, required ones present (others are governed by `tool_args` above)
      const celArgs = plan.argsType === null ? fromJson(args, T.dyn) : fromJson(args, plan.argsType, { extraFields: "ignore" });
      if (celArgs instanceof CelError) return { ok: false, error: `arguments: ${celArgs.message}` };
      const act = { args: celArgs };
      let target: string | null = null;
      if (plan.target !== null) {
        const v = plan.target(act);
        if (v instanceof CelError) return { ok: false, error: `\`target\`: ${v.message}` };
        if (typeof v !== "string") return { ok: false, error: "`target` must be a string" };
        target = v;
      }
      const params: Record<string, JsonValue> = {};
      for (const p of plan.params) {
        const v = p.value(act);
        if (v instanceof CelError) {
          if (p.optional && (v.kind === "no_such_key" || v.kind === "no_such_field")) continue;
          return { ok: false, error: `\`${p.name}\`: ${v.message}` };
        }
        if (v === null && p.optional) continue;
        params[p.name] = toJson(v);
      }
      const value: MappedAction = { type: plan.action, target, params: params as JsonObject };
      return { ok: true, value };
    },
  };
}
