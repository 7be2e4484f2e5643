import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parsePolicy } from "../../src/syntax/parse.ts";
import type { Declaration } from "../../src/syntax/ast.ts";
import { checkCover, noSpans, show } from "./helpers.ts";
import type { Span } from "../../src/index.ts";

function one(text: string): Declaration {
  const r = parsePolicy(text);
  expect(r.diagnostics).toEqual([]);
  expect(r.ast.declarations).toHaveLength(1);
  return r.ast.declarations[0]!;
}

/** Turns every expression in a value into its compact text, so shapes read like the source. */
function exprsShown(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(exprsShown);
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v;
  const o = v as Record<string, unknown>;
  const kind = o["kind"];
  const isExpr =
    typeof kind === "string" &&
    ["literal", "ident", "select", "has", "index", "call", "unary", "binary", "conditional", "list", "map", "comprehension"].includes(kind) &&
    (kind !== "list" || "elements" in o) && // not a TypeRef list<T> or map<K, V>
    (kind !== "map" || "entries" in o);
  if (isExpr) {
    return show(o as never);
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, exprsShown(x)]));
}

function shape(d: unknown): unknown {
  return noSpans(exprsShown(d));
}

const text = (src: string, s: Span): string => src.slice(s.start, s.end);

describe("declarations", () => {
  test("header", () => {
    const r = parsePolicy(`policy invoices version "1.0.0"`);
    expect(noSpans(r.ast.header)).toEqual({ kind: "header", name: { text: "invoices" }, version: { value: "1.0.0" } });
    expect(noSpans(parsePolicy("policy p").ast.header)).toEqual({ kind: "header", name: { text: "p" }, version: null });
    expect(parsePolicy("rule r on a { allow }").ast.header).toBeNull();
  });

  test("import and option", () => {
    expect(shape(one("import std.database"))).toEqual({
      kind: "import",
      module: { parts: ["std", "database"], text: "std.database" },
    });
    expect(shape(one(`option extra_params = "allow"`))).toEqual({ kind: "option", name: { text: "extra_params" }, value: '"allow"' });
  });

  test("action with aliases, optional fields, generic, enum and annotated types, comma or newline separated", () => {
    const src = `action invoice.delete alias "deleteInvoice", "invoices_delete" {
  invoice_id: string, reason?: string
  tags: list<string>
  limits: map<string, list<int>> @sensitive @range(0, 10)
  status: "paid" | "void"
}`;
    expect(shape(one(src))).toEqual({
      kind: "action",
      name: { parts: ["invoice", "delete"], text: "invoice.delete" },
      aliases: [{ value: "deleteInvoice" }, { value: "invoices_delete" }],
      fields: [
        { name: { text: "invoice_id" }, optional: false, type: { kind: "named", name: { text: "string" } }, annotations: [] },
        { name: { text: "reason" }, optional: true, type: { kind: "named", name: { text: "string" } }, annotations: [] },
        { name: { text: "tags" }, optional: false, type: { kind: "list", element: { kind: "named", name: { text: "string" } } }, annotations: [] },
        {
          name: { text: "limits" },
          optional: false,
          type: {
            kind: "map",
            key: { kind: "named", name: { text: "string" } },
            value: { kind: "list", element: { kind: "named", name: { text: "int" } } },
          },
          annotations: [
            { name: { text: "sensitive" }, args: [] },
            { name: { text: "range" }, args: ["0", "10"] },
          ],
        },
        { name: { text: "status" }, optional: false, type: { kind: "enum", values: [{ value: "paid" }, { value: "void" }] }, annotations: [] },
      ],
    });
  });

  test("keywords are names where a name is expected", () => {
    const d = one(`action deploy.window { counter: int, tier: string, window: string, rule: bool, to: int }`);
    expect(d.kind === "action" && d.fields.map((f) => f.name.text)).toEqual(["counter", "tier", "window", "rule", "to"]);
  });

  test("actor and context records", () => {
    expect(shape(one(`actor { agent: string }`))).toEqual({
      kind: "record",
      record: "actor",
      fields: [{ name: { text: "agent" }, optional: false, type: { kind: "named", name: { text: "string" } }, annotations: [] }],
    });
    expect(shape(one(`context { }`))).toEqual({ kind: "record", record: "context", fields: [] });
  });

  test("tier assignments with escalations; tier names are plain names", () => {
    expect(shape(one(`tier invoice.read = T0`))).toEqual({
      kind: "tier",
      target: { kind: "action", name: { parts: ["invoice", "read"], text: "invoice.read" } },
      tier: { text: "T0" },
      escalations: [],
    });
    expect(shape(one(`tier payment.* = t2 { escalate to T4 when action.amount > 1000000 escalate to T3 when x }`))).toEqual({
      kind: "tier",
      target: { kind: "glob", pattern: "payment.*" },
      tier: { text: "t2" },
      escalations: [
        { tier: { text: "T4" }, condition: "(action.amount > 1000000)" },
        { tier: { text: "T3" }, condition: "x" },
      ],
    });
  });

  test("counters: every clause and window form", () => {
    expect(
      shape(one(`counter spend { on tier >= T2, invoice.*, payment.send per actor.agent, context.window sum action.amount where action.tier == "T3" window rolling 24h }`)),
    ).toEqual({
      kind: "counter",
      name: { text: "spend" },
      targets: [
        { kind: "tier", comparison: ">=", tier: { text: "T2" } },
        { kind: "glob", pattern: "invoice.*" },
        { kind: "action", name: { parts: ["payment", "send"], text: "payment.send" } },
      ],
      keys: ["actor.agent", "context.window"],
      amount: "action.amount",
      filter: '(action.tier == "T3")',
      window: { kind: "rolling", duration: { text: "24h", millis: 86_400_000 } },
    });
    const cal = one(`counter c { on * window calendar week }`);
    expect(cal.kind === "counter" && noSpans(cal.window)).toEqual({ kind: "calendar", unit: { text: "week" } });
    const bare = one(`counter c { on * window 1h30m }`);
    expect(bare.kind === "counter" && noSpans(bare.window)).toEqual({ kind: "rolling", duration: { text: "1h30m", millis: 5_400_000 } });
    const none = one(`counter c { on a.b }`);
    expect(none.kind === "counter" && [none.keys, none.amount, none.filter, none.window]).toEqual([[], null, null, null]);
  });

  test("tier targets take every comparison", () => {
    const d = one(`rule r on tier T3, tier == T1, tier > T0, tier < T2, tier <= T1, tier >= T2 { deny }`);
    expect(d.kind === "rule" && d.targets.map((t) => (t.kind === "tier" ? t.comparison + t.tier.text : "?"))).toEqual([
      "==T3", "==T1", ">T0", "<T2", "<=T1", ">=T2",
    ]);
  });

  test("an action type called `tier` is still an action target", () => {
    const d = one(`rule r on tier { allow }`);
    expect(d.kind === "rule" && noSpans(d.targets)).toEqual([{ kind: "action", name: { parts: ["tier"], text: "tier" } }]);
  });

  test("groups: inline members, a keyring file, or per principal", () => {
    expect(shape(one(`group finance { alice: "ed25519:aa", bob: "ed25519:bb", }`))).toEqual({
      kind: "group",
      name: { text: "finance" },
      members: [
        { name: { text: "alice" }, key: { value: "ed25519:aa" } },
        { name: { text: "bob" }, key: { value: "ed25519:bb" } },
      ],
      keyring: null,
      principal: null,
    });
    expect(shape(one(`group ops from "keys/ops.keyring"`))).toEqual({ kind: "group", name: { text: "ops" }, members: [], keyring: { value: "keys/ops.keyring" }, principal: null });
    expect(shape(one(`group owner per actor.on_behalf_of`))).toEqual({ kind: "group", name: { text: "owner" }, members: [], keyring: null, principal: "actor.on_behalf_of" });
  });

  test("rules: conditions, every effect, else, reasons", () => {
    expect(shape(one(`rule r on invoice.update_status { when counter.status_updates < 1000 allow "under the cap" else require approval 1 of finance within 24h "over the cap" }`))).toEqual({
      kind: "rule",
      name: { text: "r" },
      targets: [{ kind: "action", name: { parts: ["invoice", "update_status"], text: "invoice.update_status" } }],
      condition: "(counter.status_updates < 1000)",
      effect: { kind: "allow", reason: { value: "under the cap" } },
      otherwise: {
        kind: "require_approval",
        quorum: { value: 1 },
        group: { text: "finance" },
        within: { text: "24h", millis: 86_400_000 },
        reason: { value: "over the cap" },
      },
    });
    expect(shape(one(`rule r on * { deny }`))).toEqual({
      kind: "rule",
      name: { text: "r" },
      targets: [{ kind: "glob", pattern: "*" }],
      condition: null,
      effect: { kind: "deny", reason: null },
      otherwise: null,
    });
    const ra = one(`rule r on a { require approval 2 of ops }`);
    expect(ra.kind === "rule" && noSpans(ra.effect)).toEqual({ kind: "require_approval", quorum: { value: 2 }, group: { text: "ops" }, within: null, reason: null });
  });

  test("tool mappings: identifier or quoted name, fields by newline or comma", () => {
    expect(shape(one(`tool get_invoice -> invoice.read {\n  target: "invoice/" + args.id\n  invoice_id: args.id, customer_id: args.c\n}`))).toEqual({
      kind: "tool",
      tool: { value: "get_invoice" },
      args: null,
      aliases: [],
      action: { parts: ["invoice", "read"], text: "invoice.read" },
      fields: [
        { name: { text: "target" }, value: '("invoice/" + args.id)' },
        { name: { text: "invoice_id" }, value: "args.id" },
        { name: { text: "customer_id" }, value: "args.c" },
      ],
    });
    const q = one(`tool "files/read-v2" -> file.read { path: args["the path"] }`);
    expect(q.kind === "tool" && q.tool.value).toBe("files/read-v2");
  });

  test("tool mappings may declare their arguments: `tool name(a: string, b?: list<int>) -> ...`", () => {
    const t = one(`tool get_account(account_id: string, limit?: int,) alias getAccount -> account.read { account_id: args.account_id }`);
    expect(t.kind === "tool" && t.args?.map((f) => `${f.name.text}${f.optional ? "?" : ""}`)).toEqual(["account_id", "limit?"]);
    const none = one(`tool list_accounts() -> account.list { }`);
    expect(none.kind === "tool" && none.args).toEqual([]);
  });

  test("test blocks: every step and outcome", () => {
    const src = `test "a test" {
  action invoice.read { invoice_id: "inv-1", customer_id: "c-1" }
  tool delete_invoice { invoice_id: "inv-1", "odd key": 2 }
  actor { agent: "bot" }
  context { assigned_customers: ["c-1"] }
  counter status_updates = 999
  approvals 2 of finance
  approvals 1
  at "2026-01-31T12:00:00Z"
  expect allow
  expect deny
  expect deny "too much"
  expect require approval
  expect require approval 2
  expect require approval 1 of finance
  expect not allow
  expect that decision.effect != "allow"
}`;
    expect(shape(one(src))).toEqual({
      kind: "test",
      name: { value: "a test" },
      steps: [
        {
          kind: "action",
          action: { parts: ["invoice", "read"], text: "invoice.read" },
          fields: [
            { name: { text: "invoice_id" }, value: '"inv-1"' },
            { name: { text: "customer_id" }, value: '"c-1"' },
          ],
        },
        { kind: "tool", tool: { value: "delete_invoice" }, args: '{"invoice_id": "inv-1", "odd key": 2}' },
        { kind: "record", record: "actor", fields: [{ name: { text: "agent" }, value: '"bot"' }] },
        { kind: "record", record: "context", fields: [{ name: { text: "assigned_customers" }, value: '["c-1"]' }] },
        { kind: "counter", name: { text: "status_updates" }, value: "999" },
        { kind: "approvals", count: { value: 2 }, group: { text: "finance" } },
        { kind: "approvals", count: { value: 1 }, group: null },
        { kind: "at", time: { value: "2026-01-31T12:00:00Z" } },
        { kind: "expect", outcome: { kind: "allow" } },
        { kind: "expect", outcome: { kind: "deny", reason: null } },
        { kind: "expect", outcome: { kind: "deny", reason: { value: "too much" } } },
        { kind: "expect", outcome: { kind: "require_approval", quorum: null, group: null } },
        { kind: "expect", outcome: { kind: "require_approval", quorum: { value: 2 }, group: null } },
        { kind: "expect", outcome: { kind: "require_approval", quorum: { value: 1 }, group: { text: "finance" } } },
        { kind: "expect", outcome: { kind: "not_allow" } },
        { kind: "expect", outcome: { kind: "that", condition: '(decision.effect != "allow")' } },
      ],
    });
  });

  test("property blocks: targets, assumptions, setup, expectation", () => {
    const src = `property "no T3 action is allowed without two approvals" {
  forall tier T3, invoice.*
  where action.amount > 5
  actor { agent: "bot" }
  where context.region == "eu"
  counter spend = 3
  at "2026-01-01T00:00:00Z"
  approvals 1 of finance
  expect that decision.effect != "allow" || decision.approvals >= 2
}`;
    expect(shape(one(src))).toEqual({
      kind: "property",
      name: { value: "no T3 action is allowed without two approvals" },
      targets: [
        { kind: "tier", comparison: "==", tier: { text: "T3" } },
        { kind: "glob", pattern: "invoice.*" },
      ],
      assumptions: ["(action.amount > 5)", '(context.region == "eu")'],
      setup: [
        { kind: "record", record: "actor", fields: [{ name: { text: "agent" }, value: '"bot"' }] },
        { kind: "counter", name: { text: "spend" }, value: "3" },
        { kind: "at", time: { value: "2026-01-01T00:00:00Z" } },
        { kind: "approvals", count: { value: 1 }, group: { text: "finance" } },
      ],
      expect: { kind: "that", condition: '((decision.effect != "allow") || (decision.approvals >= 2))' },
    });
  });
});

describe("the examples", () => {
  const read = (name: string): string => readFileSync(new URL(`../../examples/invoices/${name}`, import.meta.url), "utf8");

  test("invoices.xpol parses into the expected declarations", () => {
    const src = read("invoices.xpol");
    const r = parsePolicy(src, "invoices.xpol");
    expect(r.diagnostics).toEqual([]);
    expect(r.ast.header?.name.text).toBe("invoices");
    expect(r.ast.declarations.map((d) => d.kind)).toEqual([
      "record", "record", "action", "action", "action", "action", "tier", "tier", "tier", "tier", "counter", "group",
      "rule", "rule", "rule", "rule", "tool", "tool", "tool", "tool",
    ]);
    expect(r.comments.map((c) => c.text.slice(0, 20))).toEqual(["// The seed's invoic", "// deleting needs on", "// One count per age"]);
    for (const c of r.comments) expect(text(src, c.span)).toBe(c.text);
  });

  test("invoices.test.xpol parses", () => {
    const r = parsePolicy(read("invoices.test.xpol"));
    expect(r.diagnostics).toEqual([]);
    expect(r.ast.declarations.map((d) => d.kind)).toEqual(["test", "test", "test", "test", "test", "test", "property"]);
  });

  test("spans: every declaration names its own text, parents cover children", () => {
    const src = read("invoices.xpol");
    const r = parsePolicy(src);
    const decl = (kind: string, i = 0): Declaration => r.ast.declarations.filter((d) => d.kind === kind)[i]!;
    expect(text(src, decl("rule", 1).span)).toBe(
      "rule status_updates_within_threshold on invoice.update_status {\n  when counter.status_updates < 1000\n  allow\n  else require approval 1 of finance within 24h\n}",
    );
    const rule = decl("rule", 1);
    if (rule.kind !== "rule") throw new Error("not a rule");
    expect(text(src, rule.condition!.span)).toBe("counter.status_updates < 1000");
    expect(text(src, rule.otherwise!.span)).toBe("require approval 1 of finance within 24h");
    expect(text(src, rule.name.span)).toBe("status_updates_within_threshold");
    const action = decl("action", 1);
    if (action.kind !== "action") throw new Error("not an action");
    expect(text(src, action.fields[2]!.span)).toBe(`status: "paid" | "unpaid" | "disputed" | "void"`);
    expect(text(src, action.fields[2]!.type.span)).toBe(`"paid" | "unpaid" | "disputed" | "void"`);
    expect(text(src, action.aliases[0]!.span)).toBe(`"set_invoice_status"`);
    const tool = decl("tool");
    if (tool.kind !== "tool") throw new Error("not a tool");
    expect(text(src, tool.fields[0]!.span)).toBe(`target: "invoice/" + args.invoice_id`);
    checkCover(r.ast);
  });
});

describe("syntax errors", () => {
  test("three errors on three lines are all reported, and the rest of the file still parses", () => {
    const src = `rule a on x.y {
  when action.amount >
  allow
}
rule b on x.y {
  allow "ok
}
action foo { a string }
rule d on x.y { allow }
`;
    const r = parsePolicy(src, "p.xpol");
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      "XP1001 unexpected `allow`, expected an expression",
      "XP1003 unterminated string",
      "XP1001 unexpected `string`, expected `:`",
    ]);
    expect(r.diagnostics.map((d) => d.span.start)).toEqual([src.indexOf("allow"), src.indexOf('"ok'), src.indexOf("string")]);
    expect(r.diagnostics.every((d) => d.file === "p.xpol")).toBe(true);
    // the broken rules are left out; nothing weaker than written is kept
    expect(r.ast.declarations.map((d) => ("name" in d && d.name !== null && "text" in d.name ? d.name.text : d.kind))).toEqual(["foo", "d"]);
  });

  test("a missing `}` names the block it should close", () => {
    const src = "rule a on x.y {\n  when a > 1\n  allow\nrule b on x.y { allow }";
    const r = parsePolicy(src);
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d.message).toBe("unexpected `rule`, expected `}` to close the `rule` block");
    expect(d.related).toEqual([{ message: "the `rule` block opens here", span: { start: 14, end: 15 } }]);
  });

  test("a missing `}` at the end of the file", () => {
    const r = parsePolicy(`test "t" {\n  action a.b { x: 1 }\n  expect allow\n`);
    expect(r.diagnostics.map((d) => d.message)).toEqual(["unexpected end of file, expected `}` to close the `test` block"]);
  });

  test.each([
    ["rule r on a { }", "unexpected `}`, expected an effect (`allow`, `deny` or `require approval`)"],
    ["rule r on { allow }", "unexpected `{`, expected a target (an action type, a glob such as `invoice.*`, or `tier T2`)"],
    ["bogus", "unexpected `bogus`, expected a declaration"],
    ["counter c { every day }", "unexpected `every`, expected `}` to close the `counter` block"],
    ["counter c { window weekly }", "unexpected `weekly`, expected a window (`calendar day`, `calendar week`, `calendar month`, `rolling 24h` or `24h`)"],
    ["rule r on a { require approval two of g }", "unexpected `two`, expected an integer"],
    ["tool t invoice.read { }", "unexpected `invoice`, expected `->`"],
  ])("%s", (src, message) => {
    expect(parsePolicy(src).diagnostics.map((d) => d.message)[0]).toBe(message);
  });

  test.each([
    ["action a { x: foo<int> }", "XP1016 invalid type `foo`: only `list<T>` and `map<K, V>` take type arguments"],
    ["action a { x: list<int, int> }", "XP1016 invalid type `list`: `list` takes one type argument, as in `list<string>`"],
    ["action a { x: map<int> }", "XP1016 invalid type `map`: `map` takes two type arguments, as in `map<string, int>`"],
    ["counter c { window 7d window 1d }", "XP1018 duplicate `window` in counter `c`"],
    ["counter c { sum a sum b }", "XP1018 duplicate `sum` in counter `c`"],
    ["rule r on a { require approval 1 of g within 30m1h }", "XP1017 invalid duration `30m1h`: units must each appear once, largest first (as in `1h30m`)"],
    ["rule r on a { require approval 99999999999999999 of g }", "XP1007 invalid number `99999999999999999`: too large"],
    ["policy p version b\"1\"", "XP1001 unexpected bytes literal `b\"1\"`, expected a string"],
    ["/* never closed", "XP1004 unterminated block comment"],
  ])("%s", (src, message) => {
    const d = parsePolicy(src).diagnostics[0]!;
    expect(`${d.code} ${d.message}`).toBe(message);
  });

  test("comments are kept, in order, with their spans", () => {
    const src = "// one\nrule r on a { /* two */ allow } // three\n";
    const r = parsePolicy(src);
    expect(r.comments.map((c) => c.text)).toEqual(["// one", "/* two */", "// three"]);
    for (const c of r.comments) expect(text(src, c.span)).toBe(c.text);
  });
});
