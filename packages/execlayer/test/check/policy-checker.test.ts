// The policy checker beyond the golden files: what it resolves (scopes, tiers, modules, keyrings, options) and
// that it never throws, whatever the parser hands it.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { checkPolicy } from "../../src/check/policy-checker.ts";
import { parsePolicySource } from "../../src/check/policy-parse.ts";
import { formatType, type CelType } from "../../src/cel/types.ts";
import type { CheckResult } from "../../src/check/policy-checker.ts";
import { KEYS } from "../engine/engine-helpers.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function check(files: Record<string, string>, readFile?: (p: string) => string | Error): CheckResult {
  return checkPolicy(
    Object.entries(files).map(([p, t]) => parsePolicySource(p, t).file),
    readFile === undefined ? {} : { readFile },
  );
}

const codes = (r: CheckResult) => r.diagnostics.map((d) => d.code);

describe("resolution", () => {
  test("several files form one policy with one header", () => {
    const r = check({
      "p.xpol": `policy p version "1"\naction a.x { n: int }\ntier a.x = T0\n`,
      "p.rules.xpol": `rule r on a.x { allow }\n`,
      "p.test.xpol": `test "t" { action a.x { n: 1 }  expect allow }\n`,
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.checked?.rules.map((x) => x.name)).toEqual(["r"]);
    expect(r.checked?.tests.length).toBe(1);
  });

  test("a glob or tier target sees only the fields common to every type it matches, same name and type", () => {
    const r = check({
      "p.xpol": `policy p version "1"
action a.x { id: string  n: int  note?: string  only_x: bool }
action a.y { id: string  n: string  note: string }
tier a.* = T0
rule r on a.* { when action.id == "1" && has(action.note)  allow }
rule s on a.* { when action.n == 1  allow }
rule t on tier T0 { when action.only_x  allow }
`,
    });
    const messages = r.diagnostics.map((d) => d.message);
    expect(messages.some((m) => m.includes("has no field `n`"))).toBe(true);
    expect(messages.some((m) => m.includes("has no field `only_x`"))).toBe(true);
    expect(messages.some((m) => m.includes("`id`") || m.includes("`note`"))).toBe(false);
  });

  test("action.type, action.target and action.tier are strings; counter.NAME is an int; now is a timestamp", () => {
    const r = check({
      "p.xpol": `policy p version "1"
action a.x { n: int }
tier a.x = T0
counter c { on a.x }
rule r on a.x { when action.type + action.target + action.tier == "" && counter.c + 1 > 2 && now > timestamp("2020-01-01T00:00:00Z")  allow }
`,
    });
    expect(r.diagnostics).toEqual([]);
    const types = r.checked!.types;
    expect(formatType(types.counter)).toBe("counter");
    const fieldTypes = (t: CelType | undefined) =>
      t?.kind === "record" ? Object.fromEntries([...t.fields].map(([n, f]) => [n, formatType(f.type)])) : null;
    expect(fieldTypes(types.counter)).toEqual({ c: "int" });
    expect(fieldTypes(types.action.get("a.x"))).toEqual({ n: "int", type: "string", target: "string", tier: "string" });
    // and used as another type they are errors
    const wrong = check({
      "p.xpol": `policy p version "1"
action a.x { n: int }
tier a.x = T0
counter c { on a.x }
rule r on a.x { when action.tier > 1 || counter.c == "1" || now == 1  allow }
`,
    });
    expect(codes(wrong)).toEqual(["XP2003", "XP2003", "XP2003"]);
    expect(wrong.checked).toBeNull();
  });

  test("an exact tier beats a glob, a longer glob beats a shorter one", () => {
    const r = check({
      "p.xpol": `policy p version "1"
action a.x { n: int }
action a.b.y { n: int }
action a.b.z { n: int }
tier a.* = T0
tier a.b.* = T1
tier a.b.z = T3
rule r on * { allow }
`,
    });
    expect(r.diagnostics).toEqual([]);
    expect([...r.checked!.actions.values()].map((a) => `${a.name}=${a.tier}`)).toEqual(["a.x=T0", "a.b.y=T1", "a.b.z=T3"]);
  });

  test("stdlib imports bring in the module's declarations once, however often imported", () => {
    const r = check({
      "p.xpol": `policy p version "1"\nimport std.database\nimport std.mcp.postgres\ncontext { max_rows: int }\nrule reads on db.read { when action.limit <= context.max_rows  allow }\n`,
    });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.checked!.actions.has("db.query")).toBe(true);
    expect(r.checked!.tools.has("query")).toBe(true);
    expect(r.checked!.sources.filter((s) => s.kind === "module").map((s) => s.path)).toEqual(["<std>/database.xpol", "<std>/mcp.postgres.xpol"]);
  });

  test("keyring paths are relative to the policy file", () => {
    const seen: string[] = [];
    const r = check(
      { "policies/p.xpol": `policy p version "1"\naction a.x { n: int }\ntier a.x = T0\ngroup ops from "../keys/ops.keyring"\nrule r on a.x { require approval 2 of ops }\n` },
      (p) => {
        seen.push(p);
        return `# ops\nalice ${KEYS.alice}\nbob ${KEYS.bob}\n`;
      },
    );
    expect(seen).toEqual(["keys/ops.keyring"]);
    expect(r.diagnostics).toEqual([]);
    expect(r.checked!.groups.get("ops")!.members.map((m) => m.name)).toEqual(["alice", "bob"]);
  });

  test("option extra_params", () => {
    expect(check({ "p.xpol": `policy p version "1"\noption extra_params = "allow"\naction a.x { n: int }\ntier a.x = T0\nrule r on a.x { allow }\n` }).checked!.options).toEqual({ extraParams: "allow", toolArgs: "reject" });
    expect(check({ "p.xpol": `policy p version "1"\naction a.x { n: int }\ntier a.x = T0\nrule r on a.x { allow }\n` }).checked!.options).toEqual({ extraParams: "reject", toolArgs: "reject" });
  });

  test("option tool_args: reject by default, allow on request, anything else an error", () => {
    const base = `action a.x { n: int }\ntier a.x = T0\nrule r on a.x { allow }\n`;
    expect(check({ "p.xpol": `policy p version "1"\noption tool_args = "allow"\n${base}` }).checked!.options.toolArgs).toBe("allow");
    const bad = check({ "p.xpol": `policy p version "1"\noption tool_args = "ignore"\n${base}` });
    expect(bad.diagnostics.map((d) => d.code)).toEqual(["XP3022"]);
  });

  test("the actor always has agent (string), on_behalf_of and session", () => {
    const r = check({ "p.xpol": `policy p version "1"\naction a.x { n: int }\ntier a.x = T0\nrule r on a.x { when actor.agent == "x" && actor.session == "s"  allow }\n` });
    expect(r.diagnostics).toEqual([]);
    expect(codes(check({ "p.xpol": `policy p version "1"\nactor { agent: int }\naction a.x { n: int }\ntier a.x = T0\nrule r on a.x { allow }\n` }))).toContain("XP3044");
  });

  test("errors do not stop the checker: every problem is reported at once", () => {
    const r = check({
      "p.xpol": `policy p version "1"
action a.x { n: int }
tier a.x = T9
rule r1 on a.z { allow }
rule r2 on a.x { when action.m > 1  allow }
rule r3 on a.x { require approval 5 of nobody }
`,
    });
    expect(codes(r)).toEqual(expect.arrayContaining(["XP3005", "XP3001", "XP2004", "XP3012"]));
    expect(r.checked).toBeNull();
  });
});

describe("robustness", () => {
  const texts = readdirSync(path.join(repo, "examples"))
    .flatMap((d) => {
      try {
        return readdirSync(path.join(repo, "examples", d)).filter((f) => f.endsWith(".xpol")).map((f) => readFileSync(path.join(repo, "examples", d, f), "utf8"));
      } catch {
        return [];
      }
    })
    .filter((t) => t.length > 0);

  fcTest.prop([fc.constantFrom(...texts), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 4 })], { numRuns: 60 })(
    "mangled example policies never make the checker throw",
    (text, edits) => {
      let t = text;
      for (const [at, len, insert] of edits) {
        const i = at % (t.length + 1);
        t = t.slice(0, i) + insert + t.slice(i + len);
      }
      const r = check({ "p.xpol": t });
      for (const d of r.diagnostics) expect(typeof d.code).toBe("string");
    },
  );
});
