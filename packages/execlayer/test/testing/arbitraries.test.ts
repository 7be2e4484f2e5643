import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { compilePolicy, decide } from "../../src/index.ts";
import { arbitraryAction, arbitraryActor, arbitraryContext, arbitraryProposal } from "../../src/testing/index.ts";
import { counterValuesArb, timeArb } from "../../src/testing/arbitraries.ts";
import { calendarWindowStart } from "../../src/vocabulary/windows.ts";
import { PAYMENTS } from "./helpers.ts";
import type { CompiledPolicy } from "../../src/index.ts";

const root = resolve(import.meta.dirname, "../..");

function compiled(files: string[] | string): CompiledPolicy {
  const r = typeof files === "string" ? compilePolicy({ sources: [{ path: "p.xpol", text: files }] }) : compilePolicy({ files, cwd: root });
  if (r.policy === null) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.policy;
}

const ALL_TYPES = `policy all_types
actor { agent: string, level?: int }
context { tags: list<string>, limits: map<string, int> }
action everything.at_once {
  s: string
  i: int
  big: int @decimal
  u: uint
  ubig: uint @decimal
  d: double
  b: bool
  raw: bytes
  at: timestamp
  wait: duration
  names: list<string>
  scores: map<string, double>
  by_id: map<int, bool>
  state: "open" | "held" | "closed"
  anything: dyn
  maybe?: string
  nested?: list<map<string, list<int>>>
}
tier everything.at_once = T0
rule r on everything.at_once {
  when action.i > 7 && action.s.startsWith("pre") && size(context.tags) < 3
  allow
}
`;

const policies: [string, CompiledPolicy][] = [
  ["payments", compiled(PAYMENTS)],
  ["all types", compiled(ALL_TYPES)],
  ...["invoices", "customer-data", "devops", "coding-agent"].map((e): [string, CompiledPolicy] => [e, compiled([`examples/${e}/${e}.xpol`])]),
];

describe("generated inputs are valid for the schema", () => {
  for (const [name, policy] of policies) {
    test.prop([arbitraryProposal(policy)], { numRuns: 60 })(`${name}: every proposal normalizes and gets a decision that is not an input error`, (p) => {
      const d = decide(policy, { action: p.action }, { actor: p.actor, context: p.context }, { now: p.requested_at });
      expect(d.code ?? "", d.reasons.join("; ")).not.toMatch(/^XP4/);
      expect(d.tier).not.toBeNull();
    });
  }
});

describe("edge values", () => {
  const payments = policies[0]![1];
  const all = policies[1]![1];
  const sample = <T>(arb: fc.Arbitrary<T>, n = 3000): T[] => fc.sample(arb, { numRuns: n, seed: 11 });

  it("integers around every literal a field is compared with, and the limits the IR accepts", () => {
    const amounts = new Set(sample(arbitraryAction(payments, "payment.send")).map((p) => p.action.params["amount"]));
    for (const v of [999, 1000, 1001, 99999, 100000, 100001, 0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) expect(amounts).toContain(v);
  });

  it("int64 and uint64 bounds for @decimal fields, as decimal strings", () => {
    const params = sample(arbitraryAction(all)).map((p) => p.action.params);
    const big = new Set(params.map((p) => p["big"]));
    const ubig = new Set(params.map((p) => p["ubig"]));
    expect(big).toContain("9223372036854775807");
    expect(big).toContain("-9223372036854775808");
    expect(ubig).toContain("18446744073709551615");
  });

  it("strings: empty, huge, non-ASCII, the policy's literals with a prefix or suffix", () => {
    const strings = sample(arbitraryAction(all)).map((p) => p.action.params["s"] as string);
    expect(strings).toContain("");
    expect(strings.some((s) => s.length >= 10_000)).toBe(true);
    expect(strings.some((s) => /[^\x00-\x7f]/.test(s))).toBe(true);
    expect(strings).toContain("pre");
    expect(strings.some((s) => s.startsWith("pre") && s.length > 3)).toBe(true);
  });

  it("every enum value, optional fields present and absent, empty and non-empty lists", () => {
    const params = sample(arbitraryAction(all)).map((p) => p.action.params);
    expect(new Set(params.map((p) => p["state"]))).toEqual(new Set(["open", "held", "closed"]));
    expect(params.some((p) => "maybe" in p)).toBe(true);
    expect(params.some((p) => !("maybe" in p))).toBe(true);
    expect(params.some((p) => (p["names"] as unknown[]).length === 0)).toBe(true);
    expect(params.some((p) => (p["names"] as unknown[]).length > 1)).toBe(true);
  });

  it("counter values around the literals they are compared with, and the largest safe count", () => {
    const values = new Set(sample(counterValuesArb(payments, new Map())).map((m) => m.get("sends")));
    for (const v of [9, 10, 11, 0, Number.MAX_SAFE_INTEGER]) expect(values).toContain(v);
  });

  it("times at the first and last millisecond of calendar windows", () => {
    const times = sample(timeArb());
    expect(times.some((t) => calendarWindowStart("month", t) === t)).toBe(true);
    expect(times.some((t) => calendarWindowStart("day", t + 1) === t + 1)).toBe(true);
    expect(times.some((t) => calendarWindowStart("week", t) === t && new Date(t).getUTCDay() === 1)).toBe(true);
  });

  it("actor and context records follow the schema and keep fixed fields", () => {
    for (const a of sample(arbitraryActor(payments, { agent: "bot" }), 50)) expect(a["agent"]).toBe("bot");
    for (const c of sample(arbitraryContext(payments), 50)) expect(["eu", "us"]).toContain(c["region"]);
  });

  it("an undeclared action type is a mistake of the caller: RangeError", () => {
    expect(() => arbitraryAction(payments, "payment.sned")).toThrow(RangeError);
  });
});

describe("docs/testing.md", () => {
  it("shows the embedding example exactly as test/testing/embedding-example.test.ts runs it", () => {
    const source = readFileSync(resolve(root, "test/testing/embedding-example.test.ts"), "utf8");
    const example = /\/\/ --- example start ---\n([\s\S]*?)\/\/ --- example end ---/.exec(source)![1]!;
    const doc = readFileSync(resolve(root, "../../docs/testing.md"), "utf8");
    expect(doc).toContain("```ts\n" + example + "```");
  });
});
