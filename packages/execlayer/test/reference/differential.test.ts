// Differential test: the compiled closures and the reference interpreter reach the same decision (effect, tier,
// contributing rules, approval requirements) on random well-typed actions, for every policy in examples/ and
// stdlib/ (found by globbing, so new ones are covered as they arrive) and for test-local policies that exercise
// globs, tier targets, escalation, `else` and errors in conditions.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { fc } from "@fast-check/vitest";
import { parsePolicySource } from "../../src/check/policy-parse.ts";
import { groupPolicyFiles } from "../../src/compile/policy-groups.ts";
import { defaultModuleResolver } from "../../src/check/policy-modules.ts";
import { compilePolicy, formatDiagnostics } from "../../src/index.ts";
import type { ContributingRule, Decision } from "../../src/index.ts";
import { ReferenceInterpreter, globMatch, type ReferenceDecision } from "./reference.ts";
import { scenarioArb } from "./arbitraries.ts";
import { GROUPS } from "../engine/engine-helpers.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NUM_RUNS = 150;

interface Case {
  readonly name: string;
  readonly sources: { path: string; text: string }[];
}

/** Each policy of examples/: a folder's files, split by their `policy` header as `xpol check` splits them. */
function exampleCases(): Case[] {
  const dir = path.join(repo, "examples");
  return readdirSync(dir)
    .filter((d) => statSync(path.join(dir, d)).isDirectory())
    .sort()
    .flatMap((d) => {
      const files = readdirSync(path.join(dir, d))
        .filter((f) => f.endsWith(".xpol"))
        .sort()
        .map((f) => `examples/${d}/${f}`);
      const groups = groupPolicyFiles(files, repo);
      return groups.map((g) => ({
        name: groups.length === 1 ? `examples/${d}` : `examples/${d} (${path.basename(g[0]!)})`,
        sources: g.map((f) => ({ path: f, text: readFileSync(path.join(repo, f), "utf8") })),
      }));
    })
    .filter((c) => c.sources.length > 0);
}

function stdlibModules(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const full = path.join(dir, f);
    if (statSync(full).isDirectory()) out.push(...stdlibModules(full, `${prefix}${f}.`));
    else if (f.endsWith(".xpol") && !f.endsWith(".test.xpol")) out.push(`${prefix}${f.slice(0, -".xpol".length)}`);
  }
  return out;
}

const PLACEHOLDER_KEY = /"ed25519:\.\.\."/g;

/**
 * A stdlib module as a policy: a header and the import, plus the module's own documented usage (the indented
 * comment lines after `//   import std.NAME` in its header), which declares the parameters it expects.
 */
function stdlibCase(module: string): Case {
  const file = path.join(repo, "stdlib", ...module.split(".")) + ".xpol";
  const lines = readFileSync(file, "utf8").split(/\r?\n/);
  const usage: string[] = [];
  const start = lines.findIndex((l) => l.trim() === `//   import std.${module}`);
  if (start >= 0) for (let i = start + 1; i < lines.length && lines[i]!.startsWith("//   "); i++) usage.push(lines[i]!.slice(5));
  // Rule sets restrict action types they do not declare: give them a vocabulary with actions at every tier.
  const vocabulary = module.startsWith("rules.") ? ["import std.database", "import std.http"] : [];
  const text = [`policy std_${module.replace(/\./g, "_")} version "0"`, `import std.${module}`, ...vocabulary, ...usage]
    .join("\n")
    .replace(PLACEHOLDER_KEY, `"ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"`);
  return { name: `stdlib/${module}`, sources: [{ path: `std_${module}.xpol`, text }] };
}

const LOCAL: Case[] = [
  {
    name: "local/globs-tiers-escalation-else-errors",
    sources: [
      {
        path: "local.xpol",
        text: `policy local version "1"
actor { agent: string  roles: list<string> }
context { region: string  limit?: int }
action invoice.read { id: string  amount: int  note?: string }
action invoice.line.add { id: string  amount: int  qty: int }
action payment.send { amount: int  currency: "EUR" | "USD"  memo?: string }
action payment.refund { payment_id: string  amount: int }
action admin.reset { scope: "all" | "one" }
tier invoice.* = T0 {
  escalate to T1 when action.amount > 1000
  escalate to T2 when action.amount > 100000
}
tier payment.send = T1 {
  escalate to T3 when action.amount > 50000
  escalate to T2 when action.memo.startsWith("urgent")
}
tier payment.refund = T2
tier admin.reset = T2 { escalate to T3 when action.scope == "all" }
${GROUPS}
counter sends { on payment.send  per actor.agent  window 1h }
counter refunds { on payment.* per actor.agent  sum action.amount  where action.amount > 0  window calendar day }
rule reads on invoice.* { when "reader" in actor.roles || action.amount < 10  allow  else require approval 1 of finance within 2h }
rule lines on invoice.line.add { when action.qty / (action.amount - 5) > 1  allow }
rule note_ok on invoice.read { when action.note == "ok"  deny "note" }
rule pay on payment.send { when counter.sends < 5 && action.currency == "EUR"  allow  else require approval 2 of finance within 30m }
rule refund on payment.refund { when counter.refunds + action.amount < 1000  require approval 1 of legal within 1h  else deny "refund limit" }
rule high on tier >= T2 { require approval 2 of finance within 4h "high tier" }
rule critical on tier == T3 { when context.limit > 10  deny "critical"  else require approval 2 of legal }
rule low on tier < T1 { when action.type.startsWith("invoice")  allow }
rule region on * { when context.region == "mars"  deny "mars" }
rule resets on admin.* { allow }
rule never on admin.reset { when false  allow }
`,
      },
    ],
  },
  {
    name: "local/else-only-and-empty",
    sources: [
      {
        path: "else.xpol",
        text: `policy else_only version "1"
action a.x { n: int  s: string  m: map<string, int>  l: list<int> }
action a.y { n: int }
tier a.x = T1 { escalate to T3 when action.m[action.s] > 3 }
tier a.y = T0
${GROUPS}
rule by_map on a.x { when action.m[action.s] == action.n  allow  else deny }
rule by_list on a.* { when action.n in [1, 2, 3]  require approval 1 of finance }
rule sizes on a.x { when size(action.l) > 2 && action.l[0] > 0  require approval 3 of finance within 10m  else allow }
`,
      },
    ],
  },
];

function compareable(d: Decision): ReferenceDecision {
  return {
    effect: d.effect,
    tier: d.tier!,
    rules: d.rules.map(normalizeRule),
    requirements: d.approval?.requirements ?? [],
  };
}

/** Error reasons are engine messages and may differ between typed and dyn compilation; the flag must agree. */
function normalizeRule(r: ContributingRule): ContributingRule {
  if (r.error === true) return { rule: r.rule, effect: r.effect, error: true };
  return r;
}

const cases: Case[] = [
  ...exampleCases(),
  ...stdlibModules(path.join(repo, "stdlib"), "").map(stdlibCase),
  ...LOCAL,
];

describe("compiled closures agree with the reference interpreter", () => {
  test("the examples and every stdlib module are found", () => {
    expect(cases.some((c) => c.name.startsWith("examples/"))).toBe(true);
    const stdlib = cases.filter((c) => c.name.startsWith("stdlib/")).map((c) => c.name);
    expect(stdlib.sort()).toEqual(defaultModuleResolver.available().map((m) => `stdlib/${m}`).sort());
  });

  // Agreement only means something if the scenarios reach every effect and tier somewhere.
  const effectsSeen = new Set<string>();
  const tiersSeen = new Set<string>();

  for (const c of cases) {
    test(c.name, () => {
      const r = compilePolicy({ sources: c.sources });
      if (r.policy === null) throw new Error(`${c.name} does not compile:\n${formatDiagnostics(r.diagnostics, r.sources)}`);
      const policy = r.policy;
      const reference = new ReferenceInterpreter(c.sources.map((s) => parsePolicySource(s.path, s.text).file));
      fc.assert(
        fc.property(scenarioArb(policy), ({ ir, counters }) => {
          const compiled = policy.evaluate(ir, counters);
          expect(compiled.code).toBeUndefined();
          effectsSeen.add(compiled.effect);
          tiersSeen.add(compiled.tier!);
          expect(compareable(compiled)).toEqual(reference.decide(ir, counters));
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }

  test("the scenarios reached every effect and every tier", () => {
    expect([...effectsSeen].sort()).toEqual(["allow", "deny", "require_approval"]);
    expect([...tiersSeen].sort()).toEqual(["T0", "T1", "T2", "T3"]);
  });
});

describe("the reference glob matcher", () => {
  test("examples", () => {
    expect(globMatch("invoice.*", "invoice.read")).toBe(true);
    expect(globMatch("invoice.*", "invoice.line.add")).toBe(true);
    expect(globMatch("invoice.*", "invoices.read")).toBe(false);
    expect(globMatch("*", "anything.at.all")).toBe(true);
    expect(globMatch("*.read", "doc.read")).toBe(true);
    expect(globMatch("*.read", "doc.reader")).toBe(false);
  });
});
