// Fuzzing the boundary between decision and execution (issue 15): over generated policies (the examples and stdlib
// modules with random rules from a small CEL grammar over their declared fields, counters and tiers; and random
// tokens or bytes spliced into their text) and generated proposals (schema-derived, and hostile: huge strings,
// deep nesting, unknown tools, wrong types, Proxies and getters), nothing throws out of compilePolicy, decide,
// Enforcer.decide, Enforcer.decideToolCall or Enforcer.submitApproval; every call's CPU time stays under a generous
// bound (a hang or a superlinear blow-up fails, load noise does not); outcomes are fail-closed (a deny carries a code
// or a reason, an evaluation error or an input code never yields allow); with a journaled MemoryStore every decision
// has a receipt. Fixed seeds and bounded runs keep it at ~10 s; counterexamples shrink to a rule text or a value.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compilePolicy, decide, Enforcer, MemoryJournal, MemoryStore, NobleSigner, type CompiledPolicy, type Decision, type Receipt } from "../../src/index.ts";
import { arbitraryProposal } from "../../src/testing/index.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SEED = 1515;
/** per call, CPU time: generous so a loaded machine never trips it; a hang or quadratic blow-up does */
const CPU_BOUND_MS = 2_000;
const NOW = Date.parse("2026-03-14T12:00:00Z");

function examplePolicies(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const dir of readdirSync(path.join(root, "examples"))) {
    for (const f of readdirSync(path.join(root, "examples", dir))) {
      if (f.endsWith(".xpol") && !f.endsWith(".test.xpol")) out.push({ name: `${dir}/${f}`, text: readFileSync(path.join(root, "examples", dir, f), "utf8") });
    }
  }
  for (const f of ["shell.xpol", "http.xpol", "payments.xpol"]) {
    out.push({ name: `stdlib/${f}`, text: `policy fuzz_std\n\nimport std.${f.replace(/\.xpol$/, "")}\n` });
  }
  return out;
}

const BASES = examplePolicies();

/** Runs `f`, failing on a throw or on more than CPU_BOUND_MS of CPU time. */
async function bounded<T>(what: string, f: () => T | Promise<T>): Promise<T> {
  const c0 = process.cpuUsage();
  let r: T;
  try {
    r = await f();
  } catch (e: unknown) {
    throw new Error(`${what} threw: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  if (ms > CPU_BOUND_MS) throw new Error(`${what} took ${ms.toFixed(0)} ms of CPU time (bound ${CPU_BOUND_MS} ms)`);
  return r;
}

/** Fail-closed: what every decision must satisfy, whatever the input. */
function assertFailClosed(d: Decision, what: string): void {
  expect(["allow", "deny", "require_approval"], `${what}: effect`).toContain(d.effect);
  if (d.effect === "deny") expect(d.code !== undefined || d.reasons.length > 0, `${what}: a deny without code or reason`).toBe(true);
  if (d.rules.some((r) => r.error === true)) expect(d.effect, `${what}: an evaluation error yielded allow`).not.toBe("allow");
  if (d.code !== undefined) expect(d.effect, `${what}: code ${d.code} yielded allow`).not.toBe("allow");
  if (d.effect === "require_approval") expect(d.approval?.requirements.length ?? 0, `${what}: approval without requirements`).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------------------------------------------
// Policies: random rules from a small CEL grammar over what a base policy declares

interface Vocabulary {
  /** per action type: its typed fields (the action's own, then actor's and context's) */
  readonly types: readonly { readonly name: string; readonly fields: readonly (readonly [string, string])[] }[];
  readonly counters: readonly string[];
  readonly groups: readonly string[];
}

function vocabulary(policy: CompiledPolicy): Vocabulary {
  const typed = (prefix: string, fields: ReadonlyMap<string, { type: { kind: string }; optional: boolean }> | undefined): [string, string][] =>
    [...(fields ?? new Map())].filter(([, f]) => !f.optional).map(([n, f]) => [`${prefix}.${n}`, f.type.kind]);
  const shared = [...typed("actor", policy.irSchema.actor?.fields), ...typed("context", policy.irSchema.context?.fields)];
  const types = [...policy.irSchema.actionTypes.values()].map((t) => ({ name: t.name, fields: [...typed("action", t.fields), ...shared] }));
  return { types, counters: [...policy.counters.keys()], groups: [...policy.groups.keys()] };
}

/** A boolean condition over one action type's typed fields, counters and tier; some fail at evaluation on purpose. */
function conditionArb(v: Vocabulary, fields: readonly (readonly [string, string])[]): fc.Arbitrary<string> {
  const n = fc.oneof(fc.integer({ min: -2, max: 5 }).map(String), fc.constantFrom("9223372036854775807", "-9223372036854775807"));
  const str = fc.constantFrom('""', '"a"', '"T2"', '"x".repeat(3)'.slice(0, 3));
  const atoms: fc.Arbitrary<string>[] = [
    fc.constantFrom('action.tier == "T2"', 'action.tier >= "T1"', 'action.type.startsWith("a")', "true", "false", 'action.target != ""'),
    fc.constantFrom("1 / 0 == 0", "9223372036854775807 + 1 > 0", 'int("x") == 1', '[1, 2][5] == 1', '{"a": 1}["b"] == 1'),
  ];
  if (v.counters.length > 0) {
    const c = fc.constantFrom(...v.counters.map((x) => `counter.${x}`));
    atoms.push(fc.tuple(c, fc.constantFrom("<", "<=", ">", ">=", "==", "!="), n).map(([a, op, b]) => `${a} ${op} ${b}`));
    atoms.push(c.map((a) => `${a} * 4611686018427387904 > 0`), c.map((a) => `1 / (${a} - ${a}) == 0`));
  }
  for (const [f, kind] of fields) {
    if (kind === "string") {
      atoms.push(fc.tuple(str).map(([x]) => `${f} == ${x}`), fc.constant(`size(${f}) > 3`), fc.constantFrom(`${f}.matches("(a+)+$")`, `${f}.matches("^[a-z]*$")`, `${f}.startsWith("a")`, `${f}.contains(${f})`));
    } else if (kind === "int" || kind === "uint") {
      atoms.push(n.map((x) => `${f} > ${kind === "uint" ? `${x.replace("-", "")}u` : x}`), fc.constant(`${f} * ${f} > 0`));
    } else if (kind === "double") atoms.push(fc.constant(`${f} > 1.5`), fc.constant(`${f} / 0.0 > 1.0`));
    else if (kind === "bool") atoms.push(fc.constant(f));
    else if (kind === "list") atoms.push(fc.constantFrom(`size(${f}) > 0`, `${f}.all(x, ${f}.exists(y, x == y))`, `${f}.exists(x, x == ${f}[0])`));
    else if (kind === "map") atoms.push(fc.constant(`size(${f}) > 0`));
  }
  const { cond } = fc.letrec<{ cond: string }>((tie) => ({
    cond: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.oneof(...atoms),
      fc.tuple(tie("cond"), fc.constantFrom("&&", "||"), tie("cond")).map(([a, op, b]) => `(${a} ${op} ${b})`),
      tie("cond").map((a) => `!(${a})`),
      fc.tuple(tie("cond"), tie("cond"), tie("cond")).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    ),
  }));
  return cond;
}

function ruleArb(v: Vocabulary): fc.Arbitrary<string> {
  const group = v.groups.length > 0 ? fc.constantFrom(...v.groups) : fc.constant("nobody");
  const effect = fc.oneof(fc.constant("allow"), fc.constantFrom('deny "fuzz"', "deny"), group.map((g) => `require approval 1 of ${g} within 1h`));
  return fc
    .constantFrom(...v.types)
    .chain((t) => fc.tuple(fc.constant(t.name), conditionArb(v, t.fields), effect, fc.option(effect, { nil: undefined })))
    .map(([t, c, e, otherwise]) => `rule fuzz_rule on ${t} {\n  when ${c}\n  ${e}${otherwise !== undefined ? `\n  else ${otherwise}` : ""}\n}\n`);
}

const SPLICE_TOKENS = ["{", "}", "(", ")", "[", "]", '"', "'''", "/*", "//", "\u0000", "\ud800", "rule", "when", "allow", "deny", "require", "approval", "within", "counter", "window", "action", "tier", "T9", "<", ">", "&&", ",", ":", "import std.", "9223372036854775808", "1e999", "é", "\r\n", "\\u{110000}"];

/** Text spliced into a policy: tokens from the language, random code units, or long runs of one token. */
const spliceArb: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...SPLICE_TOKENS), { minLength: 1, maxLength: 6 }).map((ts) => ts.join(" ")),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.tuple(fc.constantFrom("(", "[", "{", "!", "-", "a.", "<"), fc.integer({ min: 100, max: 3_000 })).map(([t, n]) => t.repeat(n)),
);

interface Compiled {
  readonly name: string;
  readonly text: string;
  readonly policy: CompiledPolicy;
}

function compileText(name: string, text: string): CompiledPolicy | null {
  return compilePolicy({ sources: [{ path: path.join(root, "examples", name), text }] }).policy;
}

const compiledBases: Compiled[] = BASES.map((b) => ({ ...b, policy: compileText(b.name, b.text)! }));

describe("fuzz: policies", () => {
  it("every base policy compiles (the fuzz starts from valid policies)", () => {
    for (const b of compiledBases) expect(b.policy, b.name).not.toBeNull();
  });

  it("compilePolicy never throws and stays bounded on text with random tokens or bytes spliced in", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(compiledBases.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), spliceArb, async (i, at, junk) => {
        const b = compiledBases[i]!;
        const k = Math.floor(at * b.text.length);
        const text = b.text.slice(0, k) + junk + b.text.slice(k);
        const r = await bounded(`compilePolicy(${b.name} + splice at ${k})`, () => compilePolicy({ sources: [{ path: path.join(root, "examples", b.name), text }] }));
        expect(r.policy === null || r.diagnostics.every((d) => d.severity !== "error")).toBe(true);
      }),
      { seed: SEED, numRuns: 400, endOnFailure: false },
    );
  });

  it("generated rules: compile, then decide on generated proposals, bounded and fail-closed", async () => {
    let compiled = 0;
    const arb = fc.nat(compiledBases.length - 1).chain((i) => fc.tuple(fc.constant(i), fc.array(ruleArb(vocabulary(compiledBases[i]!.policy)), { minLength: 1, maxLength: 3 })));
    await fc.assert(
      fc.asyncProperty(arb, fc.integer(), async ([i, rules], pick) => {
        const b = compiledBases[i]!;
        const text = b.text + "\n" + rules.map((r, k) => r.replace("fuzz_rule", `fuzz_rule_${k}`)).join("\n");
        const policy = await bounded(`compilePolicy(${b.name} + rules)`, () => compileText(b.name, text));
        if (policy === null) return;
        compiled++;
        // a few schema-derived proposals against the mutated policy, stateless and through an Enforcer
        const proposals = fc.sample(arbitraryProposal(policy), { seed: pick, numRuns: 4 });
        const enforcer = await Enforcer.create({ policy, store: journaledStore(), clock: () => NOW });
        for (const p of proposals) {
          const ctx = { actor: p.actor, context: p.context };
          const d = await bounded(`decide(${p.action.type})`, () => decide(policy, { action: p.action }, ctx, { now: p.requested_at }));
          assertFailClosed(d, "decide");
          const e = await bounded(`Enforcer.decide(${p.action.type})`, () => enforcer.decide({ action: p.action }, ctx));
          assertFailClosed(e, "Enforcer.decide");
          expect(e.receipt, "Enforcer.decide without a receipt").toBeDefined();
        }
      }),
      { seed: SEED, numRuns: 500, endOnFailure: false },
    );
    // the grammar is typed, so most generated policies compile and their decisions are exercised
    expect(compiled).toBeGreaterThan(250);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Proposals: hostile JSON and objects

function journaledStore(): MemoryStore<Receipt> {
  return new MemoryStore<Receipt>({ journal: new MemoryJournal(NobleSigner.fromSeed(new Uint8Array(32).fill(7)), { retain: true }) });
}

function nested(depth: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let k = 0; k < depth; k++) v = k % 2 === 0 ? [v] : { a: v };
  return v;
}

/** Objects no JSON parser would produce: getters that throw or change, Proxies, cycles, exotic prototypes. */
function hostileObject(kind: number): unknown {
  switch (kind % 9) {
    case 0:
      return new Proxy({}, { get: () => { throw new Error("proxy get"); }, ownKeys: () => { throw new Error("proxy ownKeys"); }, getOwnPropertyDescriptor: () => { throw new Error("proxy descriptor"); } });
    case 1:
      return Object.defineProperty({ type: "x" }, "params", { enumerable: true, get: () => { throw new Error("getter"); } });
    case 2: {
      let n = 0;
      return Object.defineProperty({}, "invoice_id", { enumerable: true, get: () => (n++ % 2 === 0 ? "inv-1" : { evil: true }) });
    }
    case 3: {
      const o: Record<string, unknown> = { a: 1 };
      o["self"] = o;
      return o;
    }
    case 4:
      return { toJSON: () => { throw new Error("toJSON"); }, invoice_id: "inv-1" };
    case 5:
      return Object.create(null, { invoice_id: { value: "inv-1", enumerable: true } });
    case 6:
      return new Proxy([], { get: (_t, k) => (k === "length" ? 1e9 : undefined) });
    case 7:
      return { big: 10n, sym: Symbol("s"), fn: () => 1, date: new Date(Number.NaN), map: new Map([[1, 2]]) };
    default:
      return JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}');
  }
}

const HUGE = 200_000;

/** A value built inside the property (fresh each run), printed by its description so counterexamples stay short. */
class Lazy {
  constructor(readonly description: string, readonly make: () => unknown) {}
  [fc.toStringMethod](): string {
    return `<${this.description}>`;
  }
}
const lazy = (description: string, make: () => unknown): Lazy => new Lazy(description, make);

/** Builds the Lazy values inside plain arrays and records (generated ones; hostile objects are Lazy themselves). */
function materialize(v: unknown): unknown {
  if (v instanceof Lazy) return v.make();
  if (Array.isArray(v)) return v.map(materialize);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, materialize(x)]));
  }
  return v;
}

function hostileArb(policy: CompiledPolicy): fc.Arbitrary<unknown> {
  const types = [...policy.irSchema.actionTypes.keys()];
  const type = fc.oneof(fc.constantFrom(...types), fc.constantFrom("", "unknown.tool", "__proto__", "constructor", "x".repeat(10_000), types[0]!.toUpperCase()));
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(Number.NaN, Infinity, -0, 2 ** 64, "9".repeat(400), "\ud800", "\u0000", true, null, undefined),
    fc.integer({ min: 0, max: 8 }).map((k) => lazy(`hostile object #${k}`, () => hostileObject(k))),
    fc.constantFrom(50, 99, 100, 101, 1_000, 20_000).map((d) => lazy(`nesting ${d} deep`, () => nested(d))),
    fc.constantFrom("a", "é", "\u{1F600}").map((c) => lazy(`"${c}" x ${HUGE / c.length}`, () => c.repeat(HUGE / c.length))),
    fc.constantFrom(1_000, 50_000).map((n) => lazy(`list of ${n} ints`, () => Array.from({ length: n }, (_, k) => k))),
  );
  const params = fc.oneof(fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 4 }), value);
  return fc.oneof(
    fc.record({ action: fc.record({ type, params }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    fc.record({ action: fc.record({ type, target: value, params }) }),
    fc.record({ name: type, arguments: fc.oneof(params, params.map((p) => lazy(`JSON text of ${fc.stringify(p)}`, () => safeStringify(materialize(p))))) }),
    value,
  );
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? "null";
  } catch {
    return "{";
  }
}

const actorArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant({ agent: "agent-1", on_behalf_of: "u1" }),
  fc.constant({ agent: "agent-1", on_behalf_of: "u1", session: "s1" }),
  fc.integer({ min: 0, max: 8 }).map((k) => lazy(`hostile object #${k}`, () => hostileObject(k))),
  fc.jsonValue({ maxDepth: 2 }),
);

describe("fuzz: hostile proposals", () => {
  it("decide, Enforcer.decide and Enforcer.decideToolCall: no throw, bounded, fail-closed, a receipt for every decision", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(compiledBases.length - 1).chain((i) => fc.tuple(fc.constant(i), hostileArb(compiledBases[i]!.policy), actorArb, fc.jsonValue({ maxDepth: 2 }))),
        fc.oneof(fc.constantFrom("get_invoice", "set_invoice_status", "unknown_tool", "", "__proto__", "toString"), fc.string({ maxLength: 20 })),
        async ([i, proposalSpec, actorSpec, context], tool) => {
          const { policy } = compiledBases[i]!;
          const proposal = materialize(proposalSpec);
          const ctx = { actor: materialize(actorSpec), context } as never;
          const d = await bounded("decide", () => decide(policy, proposal, ctx, { now: new Date(NOW) }));
          assertFailClosed(d, "decide");
          const enforcer = await Enforcer.create({ policy, store: journaledStore(), clock: () => NOW });
          const e = await bounded("Enforcer.decide", () => enforcer.decide(proposal, ctx));
          assertFailClosed(e, "Enforcer.decide");
          expect(e.receipt, "Enforcer.decide without a receipt").toBeDefined();
          const args = typeof proposal === "object" && proposal !== null && "arguments" in proposal ? (proposal as { arguments: unknown }).arguments : proposal;
          const t = await bounded(`Enforcer.decideToolCall(${JSON.stringify(tool)})`, () => enforcer.decideToolCall(tool, args, ctx));
          assertFailClosed(t.decision, "Enforcer.decideToolCall");
          expect(t.decision.receipt, "Enforcer.decideToolCall without a receipt").toBeDefined();
          if (t.decision.effect === "allow") expect(t.args, "allowed without a snapshot of the arguments").not.toBeNull();
        },
      ),
      { seed: SEED, numRuns: 1000, endOnFailure: false },
    );
  });

  it("Enforcer.submitApproval: garbage approvals never throw and stay bounded", async () => {
    const { policy } = compiledBases.find((b) => b.name.startsWith("invoices"))!;
    const enforcer = await Enforcer.create({ policy, store: journaledStore(), clock: () => NOW });
    const pending = await enforcer.decide({ action: { type: "invoice.delete", params: { invoice_id: "inv-1", customer_id: "c-1" } } }, { actor: { agent: "a", on_behalf_of: "u" } });
    const requestId = pending.request?.request.id ?? "req";
    const garbage = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.integer({ min: 0, max: 8 }).map((k) => lazy(`hostile object #${k}`, () => hostileObject(k))),
      fc.record({ statement: fc.record({ request: fc.oneof(fc.constant(requestId), fc.string()), verdict: fc.constantFrom("approve", "reject", "maybe"), approver: fc.string(), signed_at: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }), signature: fc.oneof(fc.string(), fc.constant(lazy(`"A" x ${HUGE}`, () => "A".repeat(HUGE))), hostileArbLeaf()) }, { requiredKeys: [] }),
      fc.constantFrom(100, 20_000).map((d) => lazy(`nesting ${d} deep`, () => nested(d))),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (g) => {
        const r = await bounded("Enforcer.submitApproval", () => enforcer.submitApproval(materialize(g)));
        expect(r).toBeDefined();
      }),
      { seed: SEED, numRuns: 300, endOnFailure: false },
    );
  });
});

function hostileArbLeaf(): fc.Arbitrary<unknown> {
  return fc.integer({ min: 0, max: 8 }).map((k) => lazy(`hostile object #${k}`, () => hostileObject(k)));
}
