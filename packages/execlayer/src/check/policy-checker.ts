// The policy checker: resolves every name of a policy (one or more files plus the stdlib modules they import)
// against its schema, types every expression, and reports every problem at once. The result feeds the compiler.
import { explainFileError, readUtf8File } from "../diagnostics/file-error.ts";
import type { ActionDecl, CounterDecl, Declaration, DurationLit, Effect, Expr, FieldDecl, FieldInit, GroupDecl, IntLit, Name, OptionDecl, PolicyHeader, PropertyDecl, RecordDecl, RuleDecl, Target, TestDecl, TestStep, TierDecl, TierName, ToolDecl } from "../syntax/ast.ts";
import { diagnostic, hasErrors, type Diagnostic, type DiagnosticDef, type RelatedInformation } from "../diagnostics/diagnostic.ts";
import { Diagnostics as D } from "../diagnostics/catalogue.ts";
import { didYouMean } from "../diagnostics/suggest.ts";
import type { Tier } from "../vocabulary/decision.ts";
import type { CalendarUnit, WindowSpec } from "../vocabulary/windows.ts";
import { T, formatType, recordType, type CelType, type RecordType } from "../cel/types.ts";
import { TypeEnv } from "../cel/checker.ts";
import {
  actionRecordType,
  commonFields,
  counterRecordType,
  RESERVED_ACTION_FIELDS,
  schemaRecordType,
} from "./policy-env.ts";
import { decodeApproverKey, parseKeyring } from "./policy-keys.ts";
import { formatFieldType } from "../ir/schema.ts";
import {
  resolveTypeRef,
  type FieldSchema,
  type FieldType,
  type TypeRefProblem,
} from "./policy-schema.ts";
import type {
  CheckedAction,
  CheckedCounter,
  CheckedEffect,
  CheckedEscalation,
  CheckedGroup,
  CheckedMember,
  CheckedPolicy,
  CheckedPropertyBlock,
  CheckedRule,
  CheckedTestBlock,
  CheckedTool,
  ExtraParams,
  ToolArgs,
  ParsedFile,
  PolicySource,
  PolicyTypes,
} from "./policy-symbols.ts";
import { compileGlob, targetCanMatch, targetText, type Glob, type ResolvedTarget } from "./policy-targets.ts";
import { parseTier, tierHelp, tierIndex } from "./policy-tiers.ts";
import { checkEnumComparisons, countersReadBy, literalValueType, typeExpr, type TypedExpr } from "./policy-exprs.ts";
import { defaultModuleResolver, type ModuleResolver } from "./policy-modules.ts";
import { ruleWarnings } from "./policy-warnings.ts";
import { checkToolNames, toolNameIndex } from "./policy-tool-names.ts";
import { relativeTo } from "./policy-paths.ts";
import type { Span } from "../vocabulary/span.ts";

export interface CheckOptions {
  /** Reads a keyring file (the path is already resolved against the policy file); default: node:fs. */
  readonly readFile?: (path: string) => string | Error;
  /** Resolves `import std.NAME`; default: the `stdlib/` folder of this package. */
  readonly modules?: ModuleResolver;
  /**
   * Check header-less files as a module on its own (what `xpol check` does for a set of files without a `policy`
   * header): no header is required, and a group the module declares without members (`group approvers {}`) stands
   * for the one the importing policy must provide.
   */
  readonly module?: boolean;
}

export interface CheckResult {
  /** null when there is any error */
  readonly checked: CheckedPolicy | null;
  readonly diagnostics: Diagnostic[];
  /** every text read: the files, the stdlib modules they import, keyrings (for rendering diagnostics) */
  readonly sources: readonly PolicySource[];
}

/** Type-checks a policy made of one or more parsed files. */
export function checkPolicy(files: readonly ParsedFile[], options: CheckOptions = {}): CheckResult {
  try {
    return new PolicyChecker(options).check(files);
  } catch (e: unknown) {
    // A bug, not bad input; still a diagnostic (and no policy), never an exception out of the checker.
    const why = e instanceof Error ? e.message : String(e);
    const file = files[0]?.path;
    return {
      checked: null,
      diagnostics: [diagnostic(D.internalCheckerError, { start: 0, end: 0 }, [why], file === undefined ? {} : { file })],
      sources: files.map((f) => ({ path: f.path, text: f.text, kind: "policy" as const })),
    };
  }
}

const DEFAULT_APPROVAL_WINDOW_MS = 24 * 3_600_000;
const CALENDAR_UNITS: readonly CalendarUnit[] = ["day", "week", "month"];
const KNOWN_ANNOTATIONS = ["sensitive", "decimal"];

/** A declaration with the file it came from. */
interface Located<T> {
  readonly file: string;
  readonly decl: T;
}

interface ActionEntry {
  readonly file: string;
  readonly decl: ActionDecl;
  readonly fields: Map<string, FieldSchema>;
  tier: { tier: Tier; from: Located<TierDecl>; specificity: number } | null;
  escalations: CheckedEscalation[];
}

class PolicyChecker {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly actions = new Map<string, ActionEntry>();
  private readonly aliases = new Map<string, string>();
  private readonly actor = new Map<string, FieldSchema>();
  private readonly context = new Map<string, FieldSchema>();
  private readonly groups = new Map<string, CheckedGroup>();
  private readonly groupDecls = new Map<string, Located<GroupDecl>>();
  /** groups declared only as `group NAME {}` (see requireGroup) */
  private readonly requiredGroups = new Set<string>();
  /** groups whose keyring file could not be read (their size is unknown) */
  private readonly unreadableKeyrings = new Set<string>();
  /** paths of the stdlib modules the policy imports */
  private readonly moduleFiles = new Set<string>();
  private readonly counterDecls = new Map<string, Located<CounterDecl>>();
  private readonly sources: PolicySource[] = [];
  private readonly usedGroups = new Set<string>();
  private readonly usedCounters = new Set<string>();
  private extraParams: ExtraParams = "reject";
  private toolArgs: ToolArgs = "reject";
  private actorType: CelType = T.dyn;
  private contextType: CelType = T.dyn;
  private counterType: CelType = T.dyn;
  private readonly actionTypeCache = new Map<string, CelType>();
  private readonly actionFieldsCache = new Map<string, ReadonlyMap<string, FieldSchema>>();
  private readonly envCache = new Map<string, TypeEnv>();
  private readonly tierReported = new Set<string>();
  private readonly globCache = new Map<string, readonly string[]>();

  constructor(private readonly options: CheckOptions) {}

  check(input: readonly ParsedFile[]): CheckResult {
    const files = [...input].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const f of files) this.sources.push({ path: f.path, text: f.text, kind: "policy" });
    const header = this.checkHeaders(files);
    const imported = this.resolveImports(files);
    for (const m of imported) this.moduleFiles.add(m.path);
    const all = [...imported, ...files];
    const decls = <K extends Declaration["kind"]>(kind: K): Located<Extract<Declaration, { kind: K }>>[] =>
      all.flatMap((f) =>
        f.ast.declarations
          .filter((d): d is Extract<Declaration, { kind: K }> => d.kind === kind)
          .map((decl) => ({ file: f.path, decl })),
      );

    for (const o of decls("option")) this.checkOption(o);
    for (const r of decls("record")) this.declareRecord(r);
    this.addBuiltinActorFields();
    this.actorType = schemaRecordType("actor", { fields: this.actor });
    this.contextType = schemaRecordType("context", { fields: this.context });
    for (const a of decls("action")) this.declareAction(a);
    for (const c of decls("counter")) this.declareCounter(c);
    this.counterType = counterRecordType(this.counterDecls.keys());
    const groups = decls("group");
    for (const g of groups) if (!isRequiredGroup(g.decl)) this.declareGroup(g);
    for (const g of groups) if (isRequiredGroup(g.decl)) this.requireGroup(g);
    for (const t of decls("tier")) this.declareTier(t);
    const actions = this.finishActions();

    const rules: CheckedRule[] = [];
    const ruleNames = new Map<string, Located<RuleDecl>>();
    for (const r of decls("rule")) {
      const first = ruleNames.get(r.decl.name.text);
      if (first !== undefined) this.duplicate(r.file, "rule", r.decl.name, first.file, first.decl.name.span);
      else ruleNames.set(r.decl.name.text, r);
      const rule = this.checkRule(r, rules.length, actions);
      if (rule !== null) rules.push(rule);
    }
    const counters = this.checkCounters(actions, rules);
    const toolNames = checkToolNames(decls("tool"), decls("mcp_server"));
    this.diagnostics.push(...toolNames.diagnostics);
    const tools = this.checkTools(decls("tool"), actions, toolNames.names);
    const tests = this.checkTests(decls("test"), actions, tools);
    const properties = this.checkProperties(decls("property"), actions);

    for (const [name, g] of this.groupDecls)
      if (!this.usedGroups.has(name) && !this.requiredGroups.has(name)) this.report(D.unusedGroup, g.file, g.decl.name.span, [name]);
    for (const [name, c] of this.counterDecls)
      if (!this.usedCounters.has(name)) this.report(D.unusedCounter, c.file, c.decl.name.span, [name], {
        help: "read it in a condition as `counter." + name + "`, or remove it",
      });
    for (const w of ruleWarnings(rules, actions)) this.diagnostics.push(w);

    const types: PolicyTypes = {
      action: new Map([...actions.keys()].map((n) => [n, this.actionType([n])])),
      actor: this.actorType,
      context: this.contextType,
      counter: this.counterType,
    };
    const sources = [...this.sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (hasErrors(this.diagnostics) || header === null) return { checked: null, diagnostics: this.diagnostics, sources };
    return {
      sources,
      checked: {
        name: header.name.text,
        version: header.version?.value ?? null,
        sources,
        options: { extraParams: this.extraParams, toolArgs: this.toolArgs },
        actions,
        actor: { fields: this.actor },
        context: { fields: this.context },
        rules,
        counters,
        groups: this.groups,
        tools,
        tests,
        properties,
        types,
      },
      diagnostics: this.diagnostics,
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reporting

  private report<A extends readonly unknown[]>(
    def: DiagnosticDef<A>,
    file: string,
    span: Span,
    args: A,
    extras: { help?: string | undefined; related?: RelatedInformation[] } = {},
  ): void {
    this.diagnostics.push(
      diagnostic(def, span, args, {
        file,
        ...(extras.help !== undefined ? { help: extras.help } : {}),
        ...(extras.related !== undefined ? { related: extras.related } : {}),
      }),
    );
  }

  private duplicate(file: string, kind: string, name: Name, firstFile: string, firstSpan: Span, help?: string): void {
    this.report(D.duplicateDeclaration, file, name.span, [kind, name.text], {
      related: [{ message: "first declared here", span: firstSpan, file: firstFile }],
      help: help ?? `rename or remove one of the two ${kind} declarations`,
    });
  }

  private typed(expr: Expr, file: string, env: TypeEnv, expected?: { type: CelType; what: string }): TypedExpr {
    return typeExpr(expr, file, env, this.diagnostics, expected);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Header, options, imports

  private checkHeaders(files: readonly ParsedFile[]): PolicyHeader | null {
    let header: Located<PolicyHeader> | null = null;
    for (const f of files) {
      const h = f.ast.header;
      if (h === null) continue;
      if (header === null) header = { file: f.path, decl: h };
      else
        this.report(D.multipleHeaders, f.path, h.name.span, [h.name.text], {
          related: [{ message: "the policy is named here", span: header.decl.name.span, file: header.file }],
          help: "a policy made of several files has one `policy NAME` header, in one of them",
        });
    }
    if (header === null && this.options.module !== true) {
      const first = files[0];
      this.report(D.missingHeader, first?.path ?? "<input>", { start: 0, end: 0 }, [], {
        help: 'start the policy with `policy NAME version "1.0.0"`',
      });
      return null;
    }
    return header?.decl ?? null;
  }

  private checkOption(o: Located<OptionDecl>): void {
    const name = o.decl.name.text;
    if (name === "extra_params") {
      const v = o.decl.value;
      const allowed = ["reject", "allow"];
      if (v.kind === "literal" && v.literal.type === "string" && allowed.includes(v.literal.value)) {
        this.extraParams = v.literal.value as ExtraParams;
      } else {
        this.report(D.invalidOptionValue, o.file, v.span, [name, literalText(v)], {
          help: '`extra_params` is "reject" (the default: undeclared parameters make the action invalid) or "allow" (they are kept, typed dyn)',
        });
      }
      return;
    }
    if (name === "tool_args") {
      const v = o.decl.value;
      if (v.kind === "literal" && v.literal.type === "string" && (v.literal.value === "reject" || v.literal.value === "allow")) {
        this.toolArgs = v.literal.value;
      } else {
        this.report(D.invalidOptionValue, o.file, v.span, [name, literalText(v)], {
          help: '`tool_args` is "reject" (the default: a tool call with an argument its mapping does not read is denied, XP4032) or "allow"',
        });
      }
      return;
    }
    this.report(D.unknownOption, o.file, o.decl.name.span, [name], {
      help: didYouMean(name, ["extra_params", "tool_args"]) ?? "the known options are: extra_params, tool_args",
    });
  }

  /** Loads the stdlib modules the files import (transitively), each once. */
  private resolveImports(files: readonly ParsedFile[]): ParsedFile[] {
    const resolver = this.options.modules ?? defaultModuleResolver;
    const loaded = new Map<string, ParsedFile | null>();
    const out: ParsedFile[] = [];
    const visit = (f: ParsedFile, chain: readonly string[]): void => {
      for (const d of f.ast.declarations) {
        if (d.kind !== "import") continue;
        const name = d.module.text;
        if (chain.includes(name)) {
          this.report(D.importCycle, f.path, d.module.span, [name]);
          continue;
        }
        if (loaded.has(name)) continue;
        const found = name.startsWith("std.") ? resolver.load(name.slice(4)) : undefined;
        if (found === undefined) {
          loaded.set(name, null);
          const candidates = resolver.available().map((m) => `std.${m}`);
          this.report(D.unknownModule, f.path, d.module.span, [name], {
            help:
              didYouMean(name, candidates) ??
              (candidates.length > 0 ? `the standard modules are: ${candidates.join(", ")}` : "there are no standard modules yet"),
          });
          continue;
        }
        if ("error" in found) {
          loaded.set(name, null);
          this.diagnostics.push(...found.error);
          continue;
        }
        loaded.set(name, found.file);
        this.sources.push({ path: found.file.path, text: found.file.text, kind: "module" });
        visit(found.file, [...chain, name]);
        out.push(found.file);
      }
    };
    for (const f of files) visit(f, []);
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Schema: records and actions

  private resolveFields(
    file: string,
    fields: readonly FieldDecl[],
    kind: string,
    into: Map<string, FieldSchema>,
    firstSpans: Map<string, Span>,
    mergeable = false,
    firstFiles: Map<string, string> = new Map(),
  ): void {
    for (const f of fields) {
      const problems: TypeRefProblem[] = [];
      const type = resolveTypeRef(f.type, problems);
      for (const p of problems) this.reportTypeProblem(file, p);
      let sensitive = false;
      let decimal = false;
      for (const a of f.annotations) {
        if (a.name.text === "sensitive") sensitive = true;
        else if (a.name.text === "decimal") {
          decimal = true;
          if (!isIntegral(type)) this.report(D.misplacedAnnotation, file, a.name.span, ["decimal", "int or uint fields (or lists and maps of them)"]);
        } else
          this.report(D.unknownAnnotation, file, a.name.span, [a.name.text], {
            help: didYouMean(a.name.text, KNOWN_ANNOTATIONS) ?? "the known annotations are: @sensitive, @decimal",
          });
      }
      const name = f.name.text;
      const firstSpan = firstSpans.get(name);
      if (firstSpan !== undefined) {
        // Records are shared: a module and the policy importing it may both declare the context field the module
        // reads. The same declaration twice is one field; a different one is a conflict.
        const prior = into.get(name);
        const same = prior !== undefined && mergeable && firstFiles.get(name) !== file && sameField(prior, { name, type, optional: f.optional, sensitive, decimal });
        const firstFile = firstFiles.get(name) ?? file;
        const help = mergeable && firstFile !== file ? `declare \`${name}\` with the same type and optionality in both files, or in one only` : undefined;
        if (!same) this.duplicate(file, kind, f.name, firstFile, firstSpan, help);
        continue;
      }
      firstFiles.set(name, file);
      firstSpans.set(name, f.name.span);
      into.set(name, { name, type, optional: f.optional, sensitive, decimal });
    }
  }

  private reportTypeProblem(file: string, p: TypeRefProblem): void {
    switch (p.kind) {
      case "unknown-type":
        this.report(D.unknownTypeName, file, p.span, [p.name], {
          help:
            didYouMean(p.name, ["string", "int", "uint", "double", "bool", "bytes", "timestamp", "duration", "dyn", "list", "map"]) ??
            'the types are string, int, uint, double, bool, bytes, timestamp, duration, dyn, list<T>, map<K, V> and enums ("a" | "b")',
        });
        break;
      case "bad-map-key":
        this.report(D.invalidMapKeyType, file, p.span, [p.type], { help: "map keys are string, int, uint or bool" });
        break;
      case "duplicate-enum-value":
        this.report(D.duplicateEnumValue, file, p.span, [p.value]);
        break;
      case "bad-arity":
        this.report(D.invalidTypeArity, file, p.span, [p.name], { help: `write \`${p.name === "list" ? "list<string>" : "map<string, int>"}\`` });
        break;
    }
  }

  private readonly recordFieldSpans = { actor: new Map<string, Span>(), context: new Map<string, Span>() };

  private readonly recordFieldFiles = new Map<string, string>();

  private readonly recordFieldFirstFiles = { actor: new Map<string, string>(), context: new Map<string, string>() };

  private declareRecord(r: Located<RecordDecl>): void {
    const into = r.decl.record === "actor" ? this.actor : this.context;
    this.resolveFields(r.file, r.decl.fields, `${r.decl.record} field`, into, this.recordFieldSpans[r.decl.record], true, this.recordFieldFirstFiles[r.decl.record]);
    if (r.decl.record === "actor") for (const f of r.decl.fields) if (!this.recordFieldFiles.has(f.name.text)) this.recordFieldFiles.set(f.name.text, r.file);
  }

  /** `agent` (a required string), `on_behalf_of` and `session` (optional strings) are always part of the actor. */
  private addBuiltinActorFields(): void {
    const agent = this.actor.get("agent");
    if (agent !== undefined && (agent.type.kind !== "string" || agent.optional)) {
      const span = this.recordFieldSpans.actor.get("agent")!;
      const file = this.recordFieldFiles.get("agent") ?? "<input>";
      this.report(D.builtinActorField, file, span, ["agent", "a required string"], {
        help: "the embedding service always supplies the agent's identity as a string; declare it as `agent: string` or leave it out",
      });
    }
    const builtins: FieldSchema[] = [
      { name: "agent", type: { kind: "string" }, optional: false, sensitive: false, decimal: false },
      { name: "on_behalf_of", type: { kind: "string" }, optional: true, sensitive: false, decimal: false },
      { name: "session", type: { kind: "string" }, optional: true, sensitive: false, decimal: false },
    ];
    for (const b of builtins) if (!this.actor.has(b.name) || b.name === "agent") this.actor.set(b.name, { ...b, sensitive: this.actor.get(b.name)?.sensitive ?? false });
  }

  private declareAction(a: Located<ActionDecl>): void {
    const name = a.decl.name.text;
    const first = this.actions.get(name);
    if (first !== undefined) {
      this.duplicate(a.file, "action type", { text: name, span: a.decl.name.span }, first.file, first.decl.name.span);
      return;
    }
    const fields = new Map<string, FieldSchema>();
    this.resolveFields(a.file, a.decl.fields, "parameter", fields, new Map());
    for (const f of a.decl.fields) {
      if (RESERVED_ACTION_FIELDS.includes(f.name.text)) {
        this.report(D.reservedParamName, a.file, f.name.span, [f.name.text], {
          help: "`action.type`, `action.target` and `action.tier` are built in; choose another name",
        });
        fields.delete(f.name.text);
      }
    }
    for (const alias of a.decl.aliases) {
      const other = this.aliases.get(alias.value);
      if (other !== undefined) this.report(D.duplicateAlias, a.file, alias.span, [alias.value, other]);
      else this.aliases.set(alias.value, name);
    }
    this.actions.set(name, { file: a.file, decl: a.decl, fields, tier: null, escalations: [] });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Tiers

  private tierName(file: string, t: TierName): Tier | null {
    const tier = parseTier(t.text);
    if (tier === undefined) {
      this.report(D.invalidTierName, file, t.span, [t.text], { help: tierHelp(t.text) });
      return null;
    }
    return tier;
  }

  /** Resolves a target written in a rule, counter, tier declaration or property; null when it matches nothing. */
  private resolveTarget(file: string, target: Target): ResolvedTarget | null {
    switch (target.kind) {
      case "action": {
        const name = target.name.text;
        if (!this.actions.has(name)) {
          this.report(D.unknownActionType, file, target.name.span, [name], {
            help: didYouMean(name, this.actions.keys()) ?? "declare it with `action " + name + " { ... }`",
          });
          return null;
        }
        return { kind: "action", name };
      }
      case "glob": {
        const regex = compileGlob(target.pattern);
        if (this.globMatches(target.pattern, regex).length === 0) {
          this.report(D.targetMatchesNothing, file, target.span, [target.pattern], {
            help: "a glob's `*` stands for any characters, e.g. `invoice.*`; check the action type names",
          });
          return null;
        }
        return { kind: "glob", pattern: target.pattern, regex };
      }
      case "tier": {
        const tier = this.tierName(file, target.tier);
        if (tier === null) return null;
        return { kind: "tier", comparison: target.comparison, tier };
      }
    }
  }

  private declareTier(t: Located<TierDecl>): void {
    const tier = this.tierName(t.file, t.decl.tier);
    if (t.decl.target.kind === "tier") {
      this.report(D.tierTargetInTierDeclaration, t.file, t.decl.target.span, [], {
        help: "assign tiers to action types or globs: `tier invoice.read = T0`, `tier invoice.* = T1`",
      });
      return;
    }
    const target = this.resolveTarget(t.file, t.decl.target);
    if (target !== null && tier === null) {
      // Already reported as an invalid tier: do not also report these types as having no tier.
      for (const a of this.actions.values()) if (targetCanMatch(target, a.decl.name.text, ["T0"])) this.tierReported.add(a.decl.name.text);
    }
    if (target === null || tier === null) return;
    // An exact name beats any glob; a longer glob (more literal characters) beats a shorter one.
    const specificity = target.kind === "glob" ? target.pattern.replace(/\*/g, "").length : Number.MAX_SAFE_INTEGER;
    const matched =
      target.kind === "action"
        ? [this.actions.get(target.name)!]
        : target.kind === "glob"
          ? this.globMatches(target.pattern, target.regex).map((n) => this.actions.get(n)!)
          : [];
    for (const a of matched) {
      const prev = a.tier;
      if (prev === null || specificity > prev.specificity) {
        a.tier = { tier, from: t, specificity };
      } else if (specificity === prev.specificity) {
        if (target.kind === "action") {
          this.duplicate(t.file, "tier declaration for", { text: a.decl.name.text, span: t.decl.target.span }, prev.from.file, prev.from.decl.target.span, "an action type has one tier; remove one of the two declarations");
        } else if (prev.tier !== tier) {
          this.report(D.conflictingTiers, t.file, t.decl.target.span, [a.decl.name.text, prev.tier, tier], {
            related: [{ message: `${prev.tier} is assigned here`, span: prev.from.decl.span, file: prev.from.file }],
            help: `add \`tier ${a.decl.name.text} = ...\` to say which one applies`,
          });
        }
      }
    }
  }

  private finishActions(): Map<string, CheckedAction> {
    const out = new Map<string, CheckedAction>();
    // Escalations are typed in the scope of their declaration's target, once per declaration.
    const escalationsByDecl = new Map<TierDecl, CheckedEscalation[]>();
    for (const [name, a] of this.actions) {
      if (a.tier === null) {
        if (this.tierReported.has(name)) continue;
        this.report(D.actionWithoutTier, a.file, a.decl.name.span, [name], {
          help: `every action type must be classified: add \`tier ${name} = T0\` (or T1, T2, T3)`,
        });
        continue;
      }
      const from = a.tier.from;
      let escalations = escalationsByDecl.get(from.decl);
      if (escalations === undefined) {
        const types = [...this.actions.values()].filter((x) => x.tier?.from === from).map((x) => x.decl.name.text);
        escalations = this.checkEscalations(from, a.tier.tier, types);
        escalationsByDecl.set(from.decl, escalations);
      }
      const possible = new Set<Tier>([a.tier.tier, ...escalations.map((e) => e.tier)]);
      out.set(name, {
        name,
        aliases: a.decl.aliases.map((s) => s.value),
        fields: a.fields,
        tier: a.tier.tier,
        escalations,
        possibleTiers: [...possible].sort((x, y) => tierIndex(x) - tierIndex(y)),
        origin: { file: a.file, span: a.decl.span },
      });
    }
    return out;
  }

  private checkEscalations(from: Located<TierDecl>, declared: Tier, types: readonly string[]): CheckedEscalation[] {
    const out: CheckedEscalation[] = [];
    const scope = this.scope(types);
    for (const e of from.decl.escalations) {
      const tier = this.tierName(from.file, e.tier);
      const condition = this.condition(e.condition, from.file, scope, "an escalation condition", types);
      if (tier === null) continue;
      if (tierIndex(tier) < tierIndex(declared)) {
        this.report(D.escalationLowersTier, from.file, e.tier.span, [declared, tier], {
          help: `an escalation can only raise the tier above the declared ${declared}`,
        });
        continue;
      }
      if (tier === declared) {
        this.report(D.escalationToSameTier, from.file, e.tier.span, [tier]);
        continue;
      }
      const text = this.sources.find((x) => x.path === from.file)?.text;
      const written = text === undefined ? "" : text.slice(e.condition.span.start, e.condition.span.end).replace(/\s+/g, " ");
      out.push({ tier, condition, origin: { file: from.file, span: e.span }, clause: `escalate to ${tier} when ${written}` });
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Scopes and conditions

  /** `types` sorted */
  private actionType(types: readonly string[]): CelType {
    const key = types.join("\u0000");
    let t = this.actionTypeCache.get(key);
    if (t === undefined) {
      t = types.length === 0 ? recordType("action", []) : actionRecordType(types, this.actionFieldsFor(types));
      this.actionTypeCache.set(key, t);
    }
    return t;
  }

  /** The variables of a condition that applies to these action types. */
  private scope(types: readonly string[]): TypeEnv {
    const sorted = [...types].sort();
    const key = sorted.join("\u0000");
    let env = this.envCache.get(key);
    if (env === undefined) {
      env = new TypeEnv(
        new Map<string, CelType>([
          ["action", this.actionType(sorted)],
          ["actor", this.actorType],
          ["context", this.contextType],
          ["counter", this.counterType],
          ["now", T.timestamp],
        ]),
      );
      this.envCache.set(key, env);
    }
    return env;
  }

  /** The fields common to these action types (memoized: every condition on the same types needs them). */
  private actionFieldsFor(types: readonly string[]): ReadonlyMap<string, FieldSchema> {
    const sorted = [...types].sort();
    const key = sorted.join("\u0000");
    let fields = this.actionFieldsCache.get(key);
    if (fields === undefined) {
      fields = commonFields(sorted.map((n) => this.actions.get(n)?.fields ?? new Map()));
      this.actionFieldsCache.set(key, fields);
    }
    return fields;
  }

  /** Types a bool condition and runs the schema-aware checks on it. */
  private condition(expr: Expr, file: string, env: TypeEnv, what: string, types: readonly string[]): TypedExpr {
    const typed = this.typed(expr, file, env, { type: T.bool, what });
    this.schemaChecks(expr, file, types);
    return typed;
  }

  private schemaChecks(expr: Expr, file: string, types: readonly string[]): void {
    const records: Record<string, ReadonlyMap<string, FieldSchema>> = {
      action: this.actionFieldsFor(types),
      actor: this.actor,
      context: this.context,
    };
    for (const p of checkEnumComparisons(expr, records)) {
      this.report(D.enumMismatch, file, p.span, [p.value, p.field], {
        help:
          didYouMean(p.value, p.values) ?? `the values of \`${p.field}\` are ${p.values.map((v) => JSON.stringify(v)).join(", ")}`,
      });
    }
    for (const c of countersReadBy(expr)) this.usedCounters.add(c);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Groups and counters

  private declareGroup(g: Located<GroupDecl>): void {
    const name = g.decl.name.text;
    const first = this.groupDecls.get(name);
    if (first !== undefined) {
      this.duplicate(g.file, "approver group", g.decl.name, first.file, first.decl.name.span);
      return;
    }
    this.groupDecls.set(name, g);
    if (g.decl.principal !== null) return this.declarePrincipalGroup(g, g.decl.principal);
    const members: CheckedMember[] = [];
    const names = new Map<string, Span>();
    const keys = new Map<string, string>();
    const add = (memberName: string, keyText: string, nameSpan: Span, keySpan: Span, where: string): void => {
      if (names.has(memberName)) {
        this.report(D.duplicateDeclaration, g.file, nameSpan, ["group member", memberName], {
          related: [{ message: "first declared here", span: names.get(memberName)!, file: g.file }],
          help: `each member of \`${name}\` needs its own name${where}`,
        });
        return;
      }
      names.set(memberName, nameSpan);
      const decoded = decodeApproverKey(keyText);
      if (!decoded.ok) {
        this.report(D.invalidApproverKey, g.file, keySpan, [keyText, decoded.error], {
          help: `write the key as \`ed25519:\` followed by the 64 hex digits of the 32-byte public key${where}`,
        });
        return;
      }
      const holder = keys.get(decoded.value.text);
      if (holder !== undefined) {
        this.report(D.duplicateDeclaration, g.file, keySpan, ["key in group", decoded.value.text], {
          help: `\`${memberName}\` has the same key as \`${holder}\`: one person would count twice toward the quorum${where}`,
        });
        return;
      }
      keys.set(decoded.value.text, memberName);
      members.push({ name: memberName, key: decoded.value });
    };
    for (const m of g.decl.members) add(m.name.text, m.key.value, m.name.span, m.key.span, "");
    let keyringFailed = false;
    if (g.decl.keyring !== null) {
      const rel = g.decl.keyring.value;
      const path = relativeTo(g.file, rel);
      const read = (this.options.readFile ?? readUtf8File)(path);
      keyringFailed = read instanceof Error;
      if (read instanceof Error) {
        this.unreadableKeyrings.add(name);
        this.report(D.unreadableKeyring, g.file, g.decl.keyring.span, [rel, explainFileError(read.message)], {
          help: `looked for \`${path}\` (a keyring path is relative to the policy file that names it)`,
        });
      } else {
        this.sources.push({ path, text: read, kind: "keyring" });
        const parsed = parseKeyring(read);
        for (const e of parsed.errors)
          this.report(D.malformedKeyringLine, g.file, g.decl.keyring.span, [rel, e.line], {
            help: "each line is `name ed25519:<64 hex digits>`; `#` starts a comment",
          });
        for (const e of parsed.entries) add(e.name, e.key, g.decl.keyring.span, g.decl.keyring.span, ` (line ${e.line} of \`${rel}\`)`);
      }
    }
    if (members.length === 0 && g.decl.members.length === 0 && (g.decl.keyring === null || (names.size === 0 && !keyringFailed))) {
      this.report(D.emptyGroup, g.file, g.decl.name.span, [name], { help: "add members as `name: \"ed25519:...\"`" });
    }
    this.groups.set(name, { name, members, principal: null, origin: { file: g.file, span: g.decl.span } });
  }

  /**
   * `group NAME per actor.FIELD`: the members are resolved per decision by the runtime, from the keyring the service
   * supplies, by the value of a string field of `actor` (which the caller supplies, never the model). Only that form.
   */
  private declarePrincipalGroup(g: Located<GroupDecl>, e: Expr): void {
    const name = g.decl.name.text;
    const field = e.kind === "select" && e.optional !== true && e.operand.kind === "ident" && e.operand.name === "actor" && !e.operand.rootScoped ? e.field : null;
    const schema = field === null ? undefined : this.actor.get(field);
    if (field === null || schema === undefined || schema.type.kind !== "string") {
      const strings = [...this.actor.values()].filter((f) => f.type.kind === "string").map((f) => `\`actor.${f.name}\``);
      const found = e.kind === "select" && e.operand.kind === "ident" ? `${e.operand.name}.${e.field}` : e.kind === "ident" ? e.name : "an expression";
      const near = field === null || schema !== undefined ? undefined : didYouMean(`actor.${field}`, strings.map((x) => x.slice(1, -1)));
      this.report(D.invalidPrincipalField, g.file, e.span, [name, found], {
        help: near ?? `write \`group ${name} per actor.FIELD\` with a string field of \`actor\`: ${strings.join(", ")}`,
      });
    }
    this.groups.set(name, { name, members: [], principal: { field: field ?? "" }, origin: { file: g.file, span: g.decl.span } });
  }

  /**
   * `group NAME {}` in a module: the group the importing policy must declare with members. Met by a declaration
   * with members anywhere in the policy; checked on its own (module mode) it stands for that group; otherwise it is
   * an empty group, an error.
   */
  private requireGroup(g: Located<GroupDecl>): void {
    const name = g.decl.name.text;
    if (this.groupDecls.has(name)) return;
    this.requiredGroups.add(name);
    this.groupDecls.set(name, g);
    this.groups.set(name, { name, members: [], principal: null, origin: { file: g.file, span: g.decl.span } });
    if (this.options.module === true) return;
    const fromModule = this.moduleFiles.has(g.file);
    this.report(D.emptyGroup, g.file, g.decl.name.span, [name], {
      help: fromModule
        ? `the module \`${g.file}\` needs the policy to declare \`group ${name} { name: "ed25519:..." }\` with its members`
        : 'add members as `name: "ed25519:..."`',
    });
  }

  private declareCounter(c: Located<CounterDecl>): void {
    const first = this.counterDecls.get(c.decl.name.text);
    if (first !== undefined) this.duplicate(c.file, "counter", c.decl.name, first.file, first.decl.name.span);
    else this.counterDecls.set(c.decl.name.text, c);
  }

  private checkCounters(actions: ReadonlyMap<string, CheckedAction>, rules: readonly CheckedRule[]): Map<string, CheckedCounter> {
    const out = new Map<string, CheckedCounter>();
    for (const [name, c] of this.counterDecls) {
      const targets = this.targets(c.file, c.decl.targets);
      for (const t of c.decl.targets)
        if (t.kind === "tier")
          this.report(D.counterTierTarget, c.file, t.span, [], {
            help: "the runtime counts an action before its tier is decided; name the action types or use a glob (`invoice.*`)",
          });
      const counted = this.typesMatched(targets, actions);
      // Keys are computed for every action that reads the counter too, so they must type in those scopes as well.
      const readers = new Set(counted);
      for (const r of rules) if (r.countersRead.includes(name)) for (const t of r.actionTypes) readers.add(t);
      for (const a of actions.values())
        for (const e of a.escalations) if (countersReadBy(e.condition.expr).includes(name)) readers.add(a.name);
      const countedScope = this.scope(counted);
      const extraReaders = [...readers].filter((t) => !counted.includes(t)).sort();
      const keyScope = this.scope([...readers].sort());
      const keys = c.decl.keys.map((k) => {
        // Typed where the counter counts (errors reported there), then where it is only read: a key the readers
        // cannot compute is reported with the reader that needs it.
        const own = this.typed(k, c.file, countedScope);
        if (extraReaders.length === 0 || own.checked.ok === false) return this.checkKeyType(c.file, k, own);
        const scratch: Diagnostic[] = [];
        const typed = typeExpr(k, c.file, keyScope, scratch);
        if (scratch.some((d) => d.severity === "error")) {
          const reader = rules.find((r) => r.countersRead.includes(name) && r.actionTypes.some((t) => extraReaders.includes(t)));
          this.report(D.counterKeyUnavailable, c.file, k.span, [name, extraReaders.join("`, `")], {
            ...(reader !== undefined
              ? { related: [{ message: `rule \`${reader.name}\` reads \`counter.${name}\` here`, span: reader.nameSpan, file: reader.origin.file }] }
              : {}),
            help: `a counter's key is computed for every action that reads it; key it on fields all of them have (e.g. \`actor.agent\`), or read it only from \`${counted.join("`, `")}\``,
          });
          return own;
        }
        return this.checkKeyType(c.file, k, typed);
      });
      let amount: TypedExpr | null = null;
      if (c.decl.amount !== null) {
        amount = this.typed(c.decl.amount, c.file, countedScope);
        if (!["int", "uint", "dyn", "error"].includes(amount.type.kind))
          this.report(D.invalidCounterExpression, c.file, c.decl.amount.span, ["amounts (`sum`)", "an int", formatType(amount.type)]);
      }
      const filter = c.decl.filter === null ? null : this.condition(c.decl.filter, c.file, countedScope, "a counter's `where`", counted);
      const window = this.window(c.file, c.decl);
      if (targets.length === c.decl.targets.length && targets.every((t) => t.kind !== "tier") && window !== null)
        out.set(name, {
          name,
          targets,
          actionTypes: counted,
          keys,
          amount,
          filter,
          window,
          origin: { file: c.file, span: c.decl.span },
        });
    }
    return out;
  }

  private checkKeyType(file: string, k: Expr, typed: TypedExpr): TypedExpr {
    if (!["string", "int", "uint", "bool", "dyn", "error"].includes(typed.type.kind))
      this.report(D.invalidCounterExpression, file, k.span, ["keys", "string, int, uint or bool", formatType(typed.type)]);
    return typed;
  }

  private window(file: string, c: CounterDecl): WindowSpec | null {
    const w = c.window;
    if (w === null) return { kind: "total" };
    if (w.kind === "calendar") {
      const unit = w.unit.text;
      if (!(CALENDAR_UNITS as readonly string[]).includes(unit)) {
        this.report(D.invalidCalendarUnit, file, w.unit.span, [unit], {
          help: didYouMean(unit, CALENDAR_UNITS) ?? "calendar windows are `day`, `week` (ISO, from Monday) and `month`, in UTC",
        });
        return null;
      }
      return { kind: "calendar", unit: unit as CalendarUnit };
    }
    const ms = this.positiveDuration(file, w.duration);
    return ms === null ? null : { kind: "rolling", ms };
  }

  private positiveDuration(file: string, d: DurationLit): number | null {
    if (!(d.millis > 0) || !Number.isFinite(d.millis)) {
      this.report(D.nonPositiveDuration, file, d.span, [d.text], { help: "write a duration such as `30m`, `24h` or `7d`" });
      return null;
    }
    return d.millis;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Rules

  private targets(file: string, targets: readonly Target[]): ResolvedTarget[] {
    const out: ResolvedTarget[] = [];
    for (const t of targets) {
      const r = this.resolveTarget(file, t);
      if (r === null) continue;
      out.push(r);
    }
    return out;
  }

  /** The declared action types a glob matches (memoized: large policies repeat their globs). */
  private globMatches(pattern: string, regex: Glob): readonly string[] {
    let m = this.globCache.get(pattern);
    if (m === undefined) {
      m = [...this.actions.keys()].filter((n) => regex.test(n));
      this.globCache.set(pattern, m);
    }
    return m;
  }

  /** The action types some target can match (for some tier the type can have), sorted. */
  private typesMatched(targets: readonly ResolvedTarget[], actions: ReadonlyMap<string, CheckedAction>): string[] {
    const out = new Set<string>();
    for (const t of targets) {
      if (t.kind === "action") {
        // an action type without a tier (XP3006, reported once) still has its fields: its conditions check
        // against them instead of cascading into "`action` has no field" errors
        if (actions.has(t.name) || (this.actions.get(t.name)?.tier === null)) out.add(t.name);
      } else if (t.kind === "glob") {
        for (const n of this.globMatches(t.pattern, t.regex)) if (actions.has(n)) out.add(n);
      } else {
        for (const a of actions.values()) if (targetCanMatch(t, a.name, a.possibleTiers)) out.add(a.name);
      }
    }
    return [...out].sort();
  }

  private checkRule(r: Located<RuleDecl>, index: number, actions: ReadonlyMap<string, CheckedAction>): CheckedRule | null {
    const targets = this.targets(r.file, r.decl.targets);
    const types = this.typesMatched(targets, actions);
    // A tier target that no action type can reach matches nothing, like a glob that matches no name; a module
    // checked on its own may target tiers that only the importing policy's action types reach.
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (t.kind === "tier" && this.options.module !== true && ![...actions.values()].some((a) => targetCanMatch(t, a.name, a.possibleTiers)))
        this.report(D.targetMatchesNothing, r.file, r.decl.targets[i]!.span, [targetText(t)], {
          help: "no action type has (or escalates to) that tier",
        });
    }
    const scope = this.scope(types);
    const condition = r.decl.condition === null ? null : this.condition(r.decl.condition, r.file, scope, "a rule's condition", types);
    const effect = this.effect(r.file, r.decl.effect);
    const otherwise = r.decl.otherwise === null ? null : this.effect(r.file, r.decl.otherwise);
    if (targets.length !== r.decl.targets.length || effect === null || (r.decl.otherwise !== null && otherwise === null)) return null;
    return {
      name: r.decl.name.text,
      index,
      targets,
      actionTypes: types,
      condition,
      effect,
      otherwise,
      countersRead: condition === null ? [] : countersReadBy(condition.expr),
      origin: { file: r.file, span: r.decl.span },
      nameSpan: r.decl.name.span,
    };
  }

  private effect(file: string, e: Effect): CheckedEffect | null {
    const reason = e.reason?.value ?? null;
    if (e.kind !== "require_approval") return { kind: e.kind, reason };
    const groupName = e.group.text;
    const group = this.groups.get(groupName);
    let ok = true;
    if (group === undefined) {
      ok = false;
      if (!this.groupDecls.has(groupName))
        this.report(D.unknownGroup, file, e.group.span, [groupName], {
          help: didYouMean(groupName, this.groupDecls.keys()) ?? `declare it with \`group ${groupName} { name: "ed25519:..." }\``,
        });
    } else {
      this.usedGroups.add(groupName);
    }
    ok = this.quorum(file, e.quorum, groupName, group) && ok;
    let withinMs = DEFAULT_APPROVAL_WINDOW_MS;
    if (e.within !== null) {
      const ms = this.positiveDuration(file, e.within);
      if (ms === null) ok = false;
      else withinMs = ms;
    }
    return ok ? { kind: "require_approval", group: groupName, quorum: e.quorum.value, withinMs, reason } : null;
  }

  private quorum(file: string, q: IntLit, groupName: string, group: CheckedGroup | undefined): boolean {
    if (!Number.isInteger(q.value) || q.value < 1) {
      this.report(D.quorumTooSmall, file, q.span, [q.value], { help: "an approval needs at least one approver" });
      return false;
    }
    const decl = this.groupDecls.get(groupName);
    if (group?.principal != null) {
      if (q.value === 1) return true;
      this.report(D.principalGroupQuorum, file, q.span, [q.value, groupName], {
        related: decl === undefined ? [] : [{ message: `\`${groupName}\` is declared here`, span: decl.decl.name.span, file: decl.file }],
        help: `require approval 1 of ${groupName}; to ask more people, add a rule requiring another group as well`,
      });
      return false;
    }
    // a group whose keyring could not be read has no known size: that error (XP3017) is the one to fix
    if (this.unreadableKeyrings.has(groupName)) return true;
    if (group !== undefined && decl !== undefined && q.value > group.members.length && !this.requiredGroups.has(groupName)) {
      this.report(D.quorumTooLarge, file, q.span, [q.value, groupName, group.members.length], {
        related: [{ message: `\`${groupName}\` is declared here`, span: decl.decl.name.span, file: decl.file }],
        help: `the approval could never be given: lower the quorum to at most ${group.members.length} or add members to \`${groupName}\``,
      });
      return false;
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Tool mappings

  private checkTools(tools: readonly Located<ToolDecl>[], actions: ReadonlyMap<string, CheckedAction>, names: ReadonlyMap<string, readonly string[]>): Map<string, CheckedTool> {
    const out = new Map<string, CheckedTool>();
    const firsts = new Map<string, Located<ToolDecl>>();
    const dynArgsScope = new TypeEnv(new Map<string, CelType>([["args", T.dyn]]));
    for (const t of tools) {
      const toolName = t.decl.tool.value;
      const first = firsts.get(toolName);
      if (first !== undefined) {
        this.duplicate(t.file, "tool mapping", { text: toolName, span: t.decl.tool.span }, first.file, first.decl.tool.span);
        continue;
      }
      firsts.set(toolName, t);
      // declared arguments make `args` a record: `args.acount` is then an error with "did you mean"
      let argsType: RecordType | null = null;
      let argsScope = dynArgsScope;
      if (t.decl.args !== null) {
        const declared = new Map<string, FieldSchema>();
        this.resolveFields(t.file, t.decl.args, "tool argument", declared, new Map());
        argsType = schemaRecordType(`args of tool ${toolName}`, { fields: declared });
        argsScope = new TypeEnv(new Map<string, CelType>([["args", argsType]]));
      }
      const actionName = t.decl.action.text;
      const action = actions.get(actionName);
      if (action === undefined) {
        if (!this.actions.has(actionName))
          this.report(D.unknownActionType, t.file, t.decl.action.span, [actionName], {
            help: didYouMean(actionName, this.actions.keys()) ?? `declare it with \`action ${actionName} { ... }\``,
          });
        for (const f of t.decl.fields) this.typed(f.value, t.file, argsScope);
        continue;
      }
      let target: TypedExpr | null = null;
      const params: { name: string; value: TypedExpr }[] = [];
      const seen = new Map<string, Span>();
      let ok = true;
      for (const f of t.decl.fields) {
        const name = f.name.text;
        const typed = this.typed(f.value, t.file, argsScope);
        if (seen.has(name)) {
          this.duplicate(t.file, "mapped parameter", f.name, t.file, seen.get(name)!, "each parameter is mapped once; remove one of the two");
          ok = false;
          continue;
        }
        seen.set(name, f.name.span);
        if (name === "target") {
          if (!isStringish(typed.type)) {
            this.report(D.incompatibleValue, t.file, f.value.span, ["`target`", "a string", formatType(typed.type)]);
            ok = false;
          }
          target = typed;
          continue;
        }
        const field = action.fields.get(name);
        if (field === undefined) {
          this.report(D.unknownParam, t.file, f.name.span, [actionName, name], {
            help: didYouMean(name, action.fields.keys()) ?? `the parameters of \`${actionName}\` are: ${[...action.fields.keys()].join(", ")}`,
          });
          ok = false;
          continue;
        }
        if (!celAssignable(typed.type, field.type)) {
          this.report(D.incompatibleValue, t.file, f.value.span, [`parameter \`${name}\``, formatFieldType(field.type), formatType(typed.type)]);
          ok = false;
        }
        params.push({ name, value: typed });
      }
      for (const field of action.fields.values()) {
        if (!field.optional && !seen.has(field.name)) {
          this.report(D.missingParam, t.file, t.decl.action.span, [actionName, field.name], {
            help: `add \`${field.name}: args.${field.name}\` (or another expression over \`args\`) to the mapping`,
          });
          ok = false;
        }
      }
      if (ok) out.set(toolName, { tool: toolName, names: names.get(toolName) ?? [], action: actionName, target, params, argsType, origin: { file: t.file, span: t.decl.span } });
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Tests and properties: their references must resolve; their semantics belong to src/testing.

  private checkTests(
    tests: readonly Located<TestDecl>[],
    actions: ReadonlyMap<string, CheckedAction>,
    tools: ReadonlyMap<string, CheckedTool>,
  ): CheckedTestBlock[] {
    const names = new Map<string, Located<TestDecl>>();
    for (const t of tests) {
      const first = names.get(t.decl.name.value);
      if (first !== undefined)
        this.duplicate(t.file, "test", { text: t.decl.name.value, span: t.decl.name.span }, first.file, first.decl.name.span);
      else names.set(t.decl.name.value, t);
      for (const s of t.decl.steps) this.checkStep(t.file, s, actions, tools);
      this.checkTestExpectThat(t, actions, tools);
    }
    return tests.map((t) => ({ file: t.file, decl: t.decl }));
  }

  // (testing stage) `expect that EXPR` in a test is typed like a condition on the test's action type, with
  // `decision` as in properties, so a mistake in it is a compile error rather than a failure at run time.
  private checkTestExpectThat(t: Located<TestDecl>, actions: ReadonlyMap<string, CheckedAction>, tools: ReadonlyMap<string, CheckedTool>): void {
    let type: string | undefined;
    for (const s of t.decl.steps) {
      if (s.kind === "action") type ??= s.action.text;
      else if (s.kind === "tool")
        type ??= tools.get(mappedToolName(s.tool.value, tools) ?? "")?.action;
    }
    if (type === undefined || !actions.has(type)) return;
    const scope = this.scope([type]).withVariable("decision", DECISION_TYPE);
    for (const s of t.decl.steps)
      if (s.kind === "expect" && s.outcome.kind === "that") this.condition(s.outcome.condition, t.file, scope, "an `expect that` condition", [type]);
  }

  private checkStep(file: string, s: TestStep, actions: ReadonlyMap<string, CheckedAction>, tools: ReadonlyMap<string, CheckedTool>): void {
    switch (s.kind) {
      case "action": {
        const name = s.action.text;
        const action = actions.get(name);
        if (action === undefined) {
          if (!this.actions.has(name))
            this.report(D.unknownActionType, file, s.action.span, [name], { help: didYouMean(name, this.actions.keys()) });
          return;
        }
        this.checkInits(file, s.fields, action.fields, `\`${name}\``, (n, span) =>
          this.report(D.unknownParam, file, span, [name, n], { help: didYouMean(n, action.fields.keys()) }),
        );
        const given = new Set(s.fields.map((f) => f.name.text));
        for (const f of action.fields.values())
          if (!f.optional && !given.has(f.name)) this.report(D.missingTestParam, file, s.action.span, [name, f.name]);
        return;
      }
      case "tool": {
        // Resolved exactly as the runtime resolves a tool call: a mapped name, an alias or a declared server's
        // `mcp__SERVER__NAME`, spelled exactly; an action alias alone is not a tool mapping.
        const name = s.tool.value;
        if (mappedToolName(name, tools) === undefined)
          this.report(D.unknownTool, file, s.tool.span, [name], {
            help: didYouMean(name, tools.keys()) ?? "map it with `tool NAME -> ACTION { ... }`",
          });
        this.typed(s.args, file, EMPTY_ENV);
        return;
      }
      case "record": {
        const schema = s.record === "actor" ? this.actor : this.context;
        this.checkInits(file, s.fields, schema, `\`${s.record}\``, (n, span) =>
          this.report(D.unknownRecordField, file, span, [s.record, n], { help: didYouMean(n, schema.keys()) }),
        );
        return;
      }
      case "counter": {
        const name = s.name.text;
        if (!this.counterDecls.has(name))
          this.report(D.unknownCounter, file, s.name.span, [name], { help: didYouMean(name, this.counterDecls.keys()) });
        const typed = this.typed(s.value, file, EMPTY_ENV);
        if (!["int", "uint", "dyn", "error"].includes(typed.type.kind))
          this.report(D.incompatibleValue, file, s.value.span, [`counter \`${name}\``, "int", formatType(typed.type)]);
        return;
      }
      case "approvals": {
        if (s.group !== null) {
          const g = this.groups.get(s.group.text);
          if (g === undefined && !this.groupDecls.has(s.group.text))
            this.report(D.unknownGroup, file, s.group.span, [s.group.text], { help: didYouMean(s.group.text, this.groupDecls.keys()) });
          else if (g !== undefined && s.count.value > g.members.length)
            this.report(D.quorumTooLarge, file, s.count.span, [s.count.value, g.name, g.members.length]);
        }
        return;
      }
      case "at": {
        if (Number.isNaN(Date.parse(s.time.value)) || !/^\d{4}-\d{2}-\d{2}T/.test(s.time.value))
          this.report(D.invalidTestValue, file, s.time.span, [`\`${s.time.value}\` is not an RFC 3339 timestamp`], {
            help: 'write the time as "2026-01-31T12:00:00Z"',
          });
        return;
      }
      case "expect": {
        const o = s.outcome;
        if (o.kind === "require_approval" && o.group !== null) {
          const g = this.groups.get(o.group.text);
          if (g === undefined && !this.groupDecls.has(o.group.text))
            this.report(D.unknownGroup, file, o.group.span, [o.group.text], { help: didYouMean(o.group.text, this.groupDecls.keys()) });
        }
        return;
      }
    }
  }

  private checkInits(
    file: string,
    inits: readonly FieldInit[],
    schema: ReadonlyMap<string, FieldSchema>,
    what: string,
    unknown: (name: string, span: Span) => void,
  ): void {
    const seen = new Map<string, Span>();
    for (const f of inits) {
      const name = f.name.text;
      if (seen.has(name)) {
        this.duplicate(file, "field", f.name, file, seen.get(name)!, `each field of ${what} is given once; remove one of the two`);
        continue;
      }
      seen.set(name, f.name.span);
      const typed = this.typed(f.value, file, EMPTY_ENV);
      const field = schema.get(name);
      if (field === undefined) {
        unknown(name, f.name.span);
        continue;
      }
      if (!celAssignable(typed.type, field.type)) {
        this.report(D.incompatibleValue, file, f.value.span, [`\`${name}\``, formatFieldType(field.type), formatType(typed.type)]);
        continue;
      }
      const lit = literalValueType(f.value);
      if (field.type.kind === "enum" && lit !== null && typeof lit === "string" && !field.type.values.includes(lit)) {
        this.report(D.enumMismatch, file, f.value.span, [lit, name], {
          help: didYouMean(lit, field.type.values) ?? `the values are ${field.type.values.map((v) => JSON.stringify(v)).join(", ")}`,
        });
      }
    }
  }

  private checkProperties(props: readonly Located<PropertyDecl>[], actions: ReadonlyMap<string, CheckedAction>): CheckedPropertyBlock[] {
    const out: CheckedPropertyBlock[] = [];
    for (const p of props) {
      const targets = this.targets(p.file, p.decl.targets);
      const types = p.decl.targets.length === 0 ? [...actions.keys()].sort() : this.typesMatched(targets, actions);
      const scope = this.scope(types);
      for (const a of p.decl.assumptions) this.condition(a, p.file, scope, "a property's `where`", types);
      for (const s of p.decl.setup) this.checkStep(p.file, s, actions, new Map());
      if (p.decl.expect.kind === "that") {
        const withDecision = scope.withVariable("decision", DECISION_TYPE);
        this.condition(p.decl.expect.condition, p.file, withDecision, "an `expect that` condition", types);
      }
      out.push({ file: p.file, decl: p.decl, actionTypes: types });
    }
    return out;
  }
}

const EMPTY_ENV = new TypeEnv();

function sameField(a: FieldSchema, b: FieldSchema): boolean {
  return a.optional === b.optional && a.sensitive === b.sensitive && a.decimal === b.decimal && JSON.stringify(a.type) === JSON.stringify(b.type);
}

function isRequiredGroup(g: GroupDecl): boolean {
  return g.members.length === 0 && g.keyring === null && g.principal === null;
}

/** The tool mapping a test's `tool NAME` reaches, resolved as the runtime resolves a tool call. */
function mappedToolName(name: string, tools: ReadonlyMap<string, CheckedTool>): string | undefined {
  return toolNameIndex(tools.values()).get(name);
}

/** What `decision` is in `expect that` conditions of tests and properties (src/testing builds its values). */
export const DECISION_TYPE: CelType = recordType("decision", [
  { name: "effect", type: T.string },
  { name: "tier", type: T.string },
  { name: "rules", type: T.dyn },
  { name: "reasons", type: T.dyn },
  { name: "approvals", type: T.int },
]);

function isIntegral(t: FieldType): boolean {
  if (t.kind === "list") return isIntegral(t.element);
  if (t.kind === "map") return isIntegral(t.value);
  return t.kind === "int" || t.kind === "uint";
}

function isStringish(t: CelType): boolean {
  return t.kind === "string" || t.kind === "dyn" || t.kind === "error";
}

/** Whether a CEL-typed value fits a schema field (dyn fits anything; checked again at run time). */
function celAssignable(from: CelType, to: FieldType): boolean {
  if (from.kind === "dyn" || from.kind === "error" || to.kind === "dyn") return true;
  switch (to.kind) {
    case "enum":
      return from.kind === "string";
    case "list":
      return from.kind === "list" && celAssignable(from.elem, to.element);
    case "map":
      return from.kind === "map" && celAssignable(from.key, to.key) && celAssignable(from.value, to.value);
    case "double":
      return from.kind === "double" || from.kind === "int";
    default:
      return from.kind === to.kind;
  }
}

function literalText(e: Expr): string {
  if (e.kind === "literal") {
    const l = e.literal;
    if (l.type === "string") return JSON.stringify(l.value);
    if (l.type === "null") return "null";
    if (l.type === "bytes") return "bytes";
    return String(l.value);
  }
  return "(an expression)";
}

