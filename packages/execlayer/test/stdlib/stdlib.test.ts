// The standard library and the realistic examples: every file parses and checks without a diagnostic, modules have
// the shape the README promises (vocabularies without rules, rule sets that never allow), the MCP mappings carry the
// servers' real tool names, and the sample actions are well-formed.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { checkPolicy } from "../../src/check/policy-checker.ts";
import { compileCheckedPolicy } from "../../src/compile/policy-compiler.ts";
import { toSovereignIR } from "../../src/ir/build.ts";
import { decide as decideAsCaller } from "../../src/index.ts";
import type { JsonObject, SovereignIR } from "../../src/ir/types.ts";
import type { Decision } from "../../src/vocabulary/decision.ts";
import { findPolicySets, testPolicySet } from "../../src/testing/index.ts";
import { parsePolicySource } from "../../src/check/policy-parse.ts";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.ts";
import { parsePolicy } from "../../src/syntax/parse.ts";
import type { Declaration, PolicyFile } from "../../src/syntax/ast.ts";
import type { CompiledPolicy } from "../../src/engine/plan.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const stdlibDir = path.join(repoRoot, "stdlib");
const EXAMPLES = ["customer-data", "devops", "coding-agent"] as const;
// every example folder with sample actions and expected-decisions.json
const SAMPLED_EXAMPLES = ["invoices", ...EXAMPLES] as const;

/** `actions/context.json` and `actions/NAME.context.json` are the caller's records, not samples. */
const isContextFile = (name: string): boolean => name === "context.json" || name.endsWith(".context.json");

/**
 * The `xpol eval --context` file for a sample: `actions/NAME.context.json` beside `actions/NAME.json` when the
 * sample needs records of its own, else `actions/context.json` (the convention the example READMEs state).
 */
function contextFileFor(actionsDir: string, sample: string): string {
  const own = path.join(actionsDir, sample.replace(/\.json$/, ".context.json"));
  return existsSync(own) ? own : path.join(actionsDir, "context.json");
}

function walk(dir: string, ext: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full, ext) : name.endsWith(ext) ? [full] : [];
    })
    .sort();
}

/** `stdlib/mcp/git.xpol` -> `mcp.git` */
function moduleName(file: string): string {
  return path.relative(stdlibDir, file).slice(0, -".xpol".length).split(path.sep).join(".");
}

const moduleFiles = walk(stdlibDir, ".xpol");
const modules = new Map(moduleFiles.map((f) => [moduleName(f), f]));

function parse(file: string): PolicyFile {
  const { ast, diagnostics } = parsePolicy(readFileSync(file, "utf8"), file);
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return ast;
}

function declarations<K extends Declaration["kind"]>(ast: PolicyFile, kind: K): Extract<Declaration, { kind: K }>[] {
  return ast.declarations.filter((d): d is Extract<Declaration, { kind: K }> => d.kind === kind);
}

function describeDiagnostics(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.severity} ${d.code} ${d.file ?? ""}: ${d.message}`);
}

function check(files: readonly { path: string; text: string }[]): Diagnostic[] {
  return checkPolicy(files.map((f) => parsePolicySource(f.path, f.text).file)).diagnostics;
}

// What each rule set needs its importer to declare (documented at the top of each module).
const RULE_SET_PARAMETERS: Record<string, string> = {
  "rules.bulk_reads": `context { max_rows: int }
group approvers { alice: "ed25519:56fd73a08a8e3767a6b3cf17bdcd6fdf6edcee71469bf1668319fa3afc7e4422" }`,
  "rules.http_allowlist": "context { allowed_hosts: list<string> }",
  // the rule targets `tier >= T2`, so the probe needs some action that can reach T2
  "rules.business_hours": "import std.cloud\ncontext { timezone: string }",
};

describe("stdlib modules", () => {
  test("the library has the modules the README lists", () => {
    const readme = readFileSync(path.join(stdlibDir, "README.md"), "utf8");
    expect(modules.size).toBeGreaterThanOrEqual(20);
    for (const name of modules.keys()) expect(readme).toContain(`std.${name}`);
  });

  test.each([...modules])("std.%s parses, has no header and starts by saying what it is for", (name, file) => {
    const ast = parse(file);
    expect(ast.header).toBeNull();
    expect(readFileSync(file, "utf8").startsWith(`// std.${name}: `)).toBe(true);
  });

  test.each([...modules])("std.%s checks cleanly when imported", (name) => {
    const params = RULE_SET_PARAMETERS[name] ?? "";
    const text = `policy probe version "0.0.0"\nimport std.${name}\nactor { agent: string }\n${params}\n`;
    expect(describeDiagnostics(check([{ path: "probe.xpol", text }]))).toEqual([]);
  });

  test("a rule set imported without its group is an error that names it; its context parameter comes with it", () => {
    const text = `policy probe version "0.0.0"\nimport std.rules.bulk_reads\nactor { agent: string }\n`;
    const diagnostics = check([{ path: "probe.xpol", text }]);
    expect(diagnostics.map((d) => d.message)).toEqual(["approver group `approvers` has no members"]);
    expect(diagnostics[0]!.help).toContain("bulk_reads");
  });

  test("modules imported along several paths load once (diamond imports)", () => {
    // std.mcp.filesystem and std.mcp.desktop_commander both import std.filesystem
    const text = `policy probe version "0.0.0"
import std.filesystem
import std.mcp.filesystem
import std.mcp.desktop_commander
actor { agent: string }
`;
    expect(describeDiagnostics(check([{ path: "probe.xpol", text }]))).toEqual([]);
  });

  test("the README's research-agent example checks", () => {
    const readme = readFileSync(path.join(stdlibDir, "README.md"), "utf8");
    const block = /```\n(policy research_agent[\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    expect(describeDiagnostics(check([{ path: "research.xpol", text: block![1]! }]))).toEqual([]);
  });

  test("vocabulary and MCP modules declare no rules: importing them allows nothing", () => {
    for (const [name, file] of modules) {
      if (name.startsWith("rules.")) continue;
      expect({ name, rules: declarations(parse(file), "rule").length }).toEqual({ name, rules: 0 });
    }
  });

  test("rule sets only restrict: no rule of theirs allows, not even in `else`", () => {
    for (const [name, file] of modules) {
      if (!name.startsWith("rules.")) continue;
      const rules = declarations(parse(file), "rule");
      expect(rules.length).toBeGreaterThan(0);
      for (const r of rules) {
        expect({ name, rule: r.name.text, effect: r.effect.kind }).not.toMatchObject({ effect: "allow" });
        expect({ name, rule: r.name.text, otherwise: r.otherwise?.kind }).not.toMatchObject({ otherwise: "allow" });
        if (r.effect.kind === "deny") expect(r.effect.reason?.value ?? "").not.toBe("");
      }
    }
  });

  test("every vocabulary action type has a tier", () => {
    for (const [name, file] of modules) {
      const ast = parse(file);
      const tiered = new Set(declarations(ast, "tier").flatMap((t) => (t.target.kind === "action" ? [t.target.name.text] : [])));
      for (const a of declarations(ast, "action")) expect({ name, action: a.name.text, tiered: tiered.has(a.name.text) }).toMatchObject({ tiered: true });
    }
  });
});

// The servers' own tool names (see each module's header for the source). A typo here would leave a real tool
// unmapped, and an unmapped tool is denied: safe, but useless.
const MCP_TOOLS: Record<string, string[]> = {
  "mcp.filesystem": [
    "read_file", "read_text_file", "read_media_file", "read_multiple_files", "write_file", "edit_file",
    "create_directory", "list_directory", "list_directory_with_sizes", "directory_tree", "move_file", "search_files",
    "get_file_info", "list_allowed_directories",
  ],
  "mcp.git": [
    "git_status", "git_diff_unstaged", "git_diff_staged", "git_diff", "git_commit", "git_add", "git_reset", "git_log",
    "git_create_branch", "git_checkout", "git_show", "git_branch",
  ],
  "mcp.github": [
    "get_file_contents", "list_commits", "list_issues", "get_issue", "list_pull_requests", "get_pull_request",
    "get_pull_request_files", "get_pull_request_status", "get_pull_request_comments", "get_pull_request_reviews",
    "search_repositories", "search_code", "search_issues", "search_users", "create_or_update_file", "push_files",
    "create_repository", "fork_repository", "create_branch", "create_issue", "update_issue", "add_issue_comment",
    "create_pull_request", "create_pull_request_review", "update_pull_request_branch", "merge_pull_request",
  ],
  "mcp.postgres": ["query"],
  "mcp.slack": [
    "slack_post_message", "slack_reply_to_thread", "slack_add_reaction", "slack_get_channel_history",
    "slack_get_thread_replies", "slack_list_channels", "slack_get_users", "slack_get_user_profile",
  ],
  "mcp.fetch": ["fetch"],
  "mcp.desktop_commander": [
    "start_process", "interact_with_process", "read_process_output", "list_sessions", "list_processes",
    "force_terminate", "kill_process", "edit_block",
  ],
};

describe("MCP tool mappings", () => {
  test("every std.mcp module is pinned here", () => {
    expect([...modules.keys()].filter((m) => m.startsWith("mcp.")).sort()).toEqual(Object.keys(MCP_TOOLS).sort());
  });

  test.each(Object.entries(MCP_TOOLS))("std.%s maps exactly the server's tools", (name, tools) => {
    const ast = parse(modules.get(name)!);
    expect(declarations(ast, "tool").map((t) => t.tool.value).sort()).toEqual([...tools].sort());
  });

  test("no tool name is mapped by two modules, except where documented", () => {
    const owner = new Map<string, string>();
    for (const [name, tools] of Object.entries(MCP_TOOLS))
      for (const t of tools) {
        expect({ tool: t, modules: [owner.get(t), name].filter(Boolean) }).toEqual({ tool: t, modules: [name] });
        owner.set(t, name);
      }
  });

  test("`target` is never an action parameter, so no mapping can shadow the IR's target", () => {
    for (const file of moduleFiles)
      for (const a of declarations(parse(file), "action"))
        expect(a.fields.map((f) => f.name.text)).not.toContain("target");
  });
});

describe.each(EXAMPLES)("examples/%s", (example) => {
  const dir = path.join(repoRoot, "examples", example);
  const policyFile = path.join(dir, `${example}.xpol`);
  const testFile = path.join(dir, `${example}.test.xpol`);

  test("the policy and its tests parse and check without a diagnostic", () => {
    parse(policyFile);
    parse(testFile);
    const files = [policyFile, testFile].map((f) => ({ path: f, text: readFileSync(f, "utf8") }));
    expect(describeDiagnostics(check(files))).toEqual([]);
  });

  test("it has a header, tests, at least one property, and a reason on every deny", () => {
    const policy = parse(policyFile);
    const tests = parse(testFile);
    expect(policy.header?.name.text).toBe(example.replace(/-/g, "_"));
    expect(declarations(tests, "test").length).toBeGreaterThanOrEqual(10);
    expect(declarations(tests, "property").length).toBeGreaterThanOrEqual(1);
    for (const r of declarations(policy, "rule"))
      for (const e of [r.effect, r.otherwise])
        if (e?.kind === "deny") expect({ rule: r.name.text, reason: e.reason?.value ?? "" }).not.toMatchObject({ reason: "" });
  });

  test("the sample actions are IR-shaped actions or raw tool calls the policy maps", () => {
    const policy = parse(policyFile);
    const files = [policyFile, testFile].map((f) => ({ path: f, text: readFileSync(f, "utf8") }));
    const checked = checkPolicy(files.map((f) => parsePolicySource(f.path, f.text).file)).checked;
    expect(checked).not.toBeNull();
    const actionTypes = new Set(checked!.actions.keys());
    const tools = new Set(checked!.tools.keys());
    const actionFiles = walk(path.join(dir, "actions"), ".json");
    expect(actionFiles.length).toBeGreaterThanOrEqual(5);
    expect(declarations(policy, "action").length + declarations(policy, "import").length).toBeGreaterThan(0);
    for (const file of actionFiles) {
      const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      const name = path.basename(file);
      if (isContextFile(name)) {
        // the caller's records in the `xpol eval --context` format; NAME.context.json belongs to NAME.json
        expect({ file: name, keys: Object.keys(json).filter((k) => !["actor", "context", "now"].includes(k)) }).toEqual({ file: name, keys: [] });
        expect({ file: name, agent: typeof (json["actor"] as { agent?: unknown } | undefined)?.agent }).toEqual({ file: name, agent: "string" });
        if (name !== "context.json") expect({ file: name, sample: existsSync(file.replace(/\.context\.json$/, ".json")) }).toEqual({ file: name, sample: true });
        continue;
      }
      const action = json["action"] as { type?: string; params?: Record<string, unknown> } | undefined;
      const params = json["params"] as { name?: string } | undefined;
      const fn = json["function"] as { name?: string } | undefined;
      const toolName = params?.name ?? fn?.name ?? (json["name"] as string | undefined);
      if (action !== undefined) {
        expect({ file: name, known: actionTypes.has(action.type ?? "") }).toEqual({ file: name, known: true });
        const declared = checked!.actions.get(action.type!)!;
        for (const p of Object.keys(action.params ?? {})) expect({ file: name, param: p, known: declared.fields.has(p) }).toMatchObject({ known: true });
      } else {
        expect({ file: name, tool: toolName, mapped: tools.has(toolName ?? "") }).toMatchObject({ mapped: true });
      }
    }
  });
});

// --- decisions ----------------------------------------------------------------------------------------------------

function compileText(text: string, file = "probe.xpol"): CompiledPolicy {
  const r = checkPolicy([parsePolicySource(file, text).file]);
  expect(describeDiagnostics(r.diagnostics)).toEqual([]);
  return compileCheckedPolicy(r.checked!);
}

interface DecideOptions {
  readonly actor?: Record<string, unknown>;
  readonly context?: Record<string, unknown>;
  readonly at?: string;
  readonly counters?: Record<string, number>;
}

function build(policy: CompiledPolicy, proposal: unknown, o: DecideOptions = {}): SovereignIR {
  const built = toSovereignIR(proposal, policy.irSchema, {
    mapper: policy.toolMapper,
    requestedAt: o.at ?? "2026-03-02T10:00:00Z",
    ...(o.actor === undefined ? {} : { actor: o.actor }),
    ...(o.context === undefined ? {} : { context: o.context }),
  });
  if (!built.ok) throw new Error(`${built.error.code} ${built.error.path}: ${built.error.message}`);
  return built.ir;
}

function decide(policy: CompiledPolicy, proposal: unknown, o: DecideOptions = {}): Decision {
  return policy.evaluate(build(policy, proposal, o), o.counters ?? {});
}

const mcpCall = (name: string, args: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name, arguments: args },
});

describe.each(SAMPLED_EXAMPLES)("examples/%s sample actions", (example) => {
  // Decided as `xpol eval --context` and `Enforcer.decide` decide: through the public, caller-only `decide`, with
  // the actor, context and time of the sample's context file (the clock when it has no `now`), never the proposal's.
  test("each decides as expected-decisions.json and the README say", () => {
    const dir = path.join(repoRoot, "examples", example);
    const actionsDir = path.join(dir, "actions");
    const file = path.join(dir, `${example}.xpol`);
    const policy = compileText(readFileSync(file, "utf8"), file);
    const expected = JSON.parse(readFileSync(path.join(dir, "expected-decisions.json"), "utf8")) as Record<string, { effect: string; tier: string | null }>;
    const readme = readFileSync(path.join(dir, "README.md"), "utf8");
    const files = readdirSync(actionsDir).filter((f) => f.endsWith(".json") && !isContextFile(f)).sort();
    expect(Object.keys(expected).sort()).toEqual(files);
    for (const own of readdirSync(actionsDir).filter((f) => f !== "context.json" && isContextFile(f))) expect(readme).toContain(own);
    for (const name of files) {
      expect(readme).toContain(name);
      const proposal = JSON.parse(readFileSync(path.join(actionsDir, name), "utf8")) as Record<string, unknown>;
      // what a model proposes: never an actor, a context or a time (they are the caller's)
      const callerFields = Object.keys(proposal).filter((k) => ["actor", "context", "requested_at", "now"].includes(k));
      expect({ name, callerFields }).toEqual({ name, callerFields: [] });
      const supplied = JSON.parse(readFileSync(contextFileFor(actionsDir, name), "utf8")) as {
        actor: JsonObject;
        context?: JsonObject;
        now?: string;
      };
      const now = supplied.now ?? new Date();
      const caller = { actor: supplied.actor, ...(supplied.context === undefined ? {} : { context: supplied.context }) };
      const d = decideAsCaller(policy, proposal, caller, { now });
      expect({ name, effect: d.effect, tier: d.tier }).toEqual({ name, ...expected[name] });
      // the decision rests on the caller's records: without them the sample is denied (XP4033, when it builds at all)
      const bare = decideAsCaller(policy, proposal, {}, { now });
      expect({ name, effect: bare.effect, tier: bare.tier }).toEqual({ name, effect: "deny", tier: null });
      if (expected[name]!.tier !== null) expect({ name, code: bare.code }).toEqual({ name, code: "XP4033" });
      // and a model naming another actor is refused, whatever the rules would say
      if (proposal["action"] !== undefined) {
        const other = decideAsCaller(policy, { ...proposal, actor: { ...supplied.actor, agent: "someone-else" } }, caller, { now });
        expect({ name, effect: other.effect, code: other.code }).toEqual({ name, effect: "deny", code: "XP4019" });
      }
    }
  });
});

describe("std.rules.http_allowlist", () => {
  const policy = compileText(`policy probe version "0.0.0"
import std.mcp.fetch
import std.rules.http_allowlist
actor { agent: string }
context { allowed_hosts: list<string> }
rule outbound_http on http.request { allow }
`);
  const fetchFrom = (url: string, hosts: string[]) =>
    decide(policy, mcpCall("fetch", { url }), { actor: { agent: "a" }, context: { allowed_hosts: hosts } });

  test.each([
    ["https://pypi.org", "allow"],
    ["https://pypi.org/simple/requests/", "allow"],
    ["https://pypi.org:443/simple/", "allow"],
    ["https://pypi.org?q=1", "allow"],
    ["https://pypi.org#top", "allow"],
    ["http://pypi.org/simple/", "deny"],
    ["https://pypi.org.evil.example/", "deny"],
    ["https://pypi.org@evil.example/", "deny"],
    ["https://evil.example/pypi.org", "deny"],
    ["https://evil.example/?https://pypi.org/", "deny"],
    ["https://PYPI.ORG/", "deny"],
    ["ftp://pypi.org/", "deny"],
  ])("%s -> %s", (url, effect) => {
    expect(fetchFrom(url, ["pypi.org", "api.github.com"]).effect).toBe(effect);
  });

  fcTest.prop([fc.domain(), fc.webPath()], { numRuns: 60 })("any path on an allow-listed host is allowed", (host, p) => {
    expect(fetchFrom(`https://${host}${p.startsWith("/") ? p : `/${p}`}`, [host]).effect).toBe("allow");
  });

  fcTest.prop([fc.domain(), fc.domain()], { numRuns: 60 })(
    "a host that merely starts with an allowed one, or hides it in userinfo or the path, is denied",
    (host, other) => {
      fc.pre(host !== other);
      for (const url of [`https://${host}.${other}/`, `https://${host}@${other}/`, `https://${other}/${host}`, `http://${host}/`])
        expect({ url, effect: fetchFrom(url, [host]).effect }).toEqual({ url, effect: "deny" });
    },
  );
});

describe("std.rules.business_hours and std.rules.bulk_reads", () => {
  const hours = compileText(`policy probe version "0.0.0"
import std.cloud
import std.rules.business_hours
actor { agent: string }
context { timezone: string }
rule everything on * { allow }
`);
  const deploy = { action: { type: "service.deploy", params: { service: "s", environment: "production", version: "1" } } };
  const restart = { action: { type: "service.restart", params: { service: "s", environment: "production" } } };
  const at = (time: string, proposal: unknown) => decide(hours, proposal, { actor: { agent: "a" }, context: { timezone: "Europe/Berlin" }, at: time }).effect;

  test("a T2 action on Monday 11:00 Berlin is allowed, at 18:30 or on Sunday denied; T1 actions are not affected", () => {
    expect(at("2026-03-02T10:00:00Z", deploy)).toBe("allow");
    expect(at("2026-03-02T17:30:00Z", deploy)).toBe("deny");
    expect(at("2026-03-08T10:00:00Z", deploy)).toBe("deny");
    expect(at("2026-03-08T10:00:00Z", restart)).toBe("allow");
  });

  test("08:30 UTC is 09:30 Berlin in winter and 10:30 in summer: both inside; 07:30 UTC in summer is 09:30 too", () => {
    expect(at("2026-01-05T08:30:00Z", deploy)).toBe("allow");
    expect(at("2026-01-05T07:30:00Z", deploy)).toBe("deny");
    expect(at("2026-07-06T07:30:00Z", deploy)).toBe("allow");
  });

  const bulk = compileText(`policy probe version "0.0.0"
import std.rules.bulk_reads
actor { agent: string }
context { max_rows: int }
group approvers { alice: "ed25519:56fd73a08a8e3767a6b3cf17bdcd6fdf6edcee71469bf1668319fa3afc7e4422" }
rule reads on db.read { allow }
`);
  const read = (limit: number) => ({ action: { type: "db.read", params: { table: "orders", limit, where_clause: "id = 1" } } });

  test("reads up to max_rows are allowed, above need one approver within 4h", () => {
    const o = { actor: { agent: "a" }, context: { max_rows: 1000 } };
    expect(decide(bulk, read(1000), o).effect).toBe("allow");
    const d = decide(bulk, read(1001), o);
    expect(d.effect).toBe("require_approval");
    expect(d.approval?.requirements).toEqual([{ group: "approvers", quorum: 1, withinMs: 4 * 3_600_000 }]);
  });
});

describe("vocabulary tiers", () => {
  const policy = compileText(`policy probe version "0.0.0"
import std.database
import std.filesystem
import std.payments
import std.git
actor { agent: string }
`);
  const tierOf = (type: string, params: Record<string, unknown>) => decide(policy, { action: { type, params } }, { actor: { agent: "a" } }).tier;

  test.each([
    ["SELECT * FROM orders", "T1"],
    ["  insert into orders values (1)", "T2"],
    ["Update orders set x = 1", "T2"],
    ["select 1; DROP TABLE orders", "T3"],
    ["truncate orders", "T3"],
    ["select * from dropouts", "T1"],
  ])("db.query %j is %s", (sql, tier) => {
    expect(tierOf("db.query", { sql })).toBe(tier);
  });

  test("deletes without WHERE, recursive deletes, big transfers and force pushes are T3", () => {
    expect(tierOf("db.delete", { table: "t", rows: 1, where_clause: "id = 1" })).toBe("T2");
    expect(tierOf("db.delete", { table: "t", rows: 1, where_clause: "" })).toBe("T3");
    expect(tierOf("fs.delete", { path: "/w/a", recursive: false })).toBe("T2");
    expect(tierOf("fs.delete", { path: "/w/a", recursive: true })).toBe("T3");
    expect(tierOf("payment.transfer", { amount: 100000, currency: "EUR", destination: "x" })).toBe("T1");
    expect(tierOf("payment.transfer", { amount: 100001, currency: "EUR", destination: "x" })).toBe("T2");
    expect(tierOf("payment.transfer", { amount: 1000001, currency: "EUR", destination: "x" })).toBe("T3");
    expect(tierOf("git.push", { repo_path: "/w", remote: "origin", branch: "b", force: true })).toBe("T3");
  });
});

describe("MCP mappings produce the actions they document", () => {
  const policy = compileText(`policy probe version "0.0.0"
import std.mcp.filesystem
import std.mcp.git
import std.mcp.github
import std.mcp.slack
import std.mcp.desktop_commander
mcp server filesystem { std.mcp.filesystem }
mcp server git { std.mcp.git }
actor { agent: string }
`);
  const mapped = (tool: string, args: Record<string, unknown>) => build(policy, mcpCall(tool, args), { actor: { agent: "a" } }).action;

  test.each<[string, Record<string, unknown>, string, string | null, Record<string, unknown>]>([
    ["read_text_file", { path: "/w/a.ts", head: 10 }, "fs.read", "/w/a.ts", { path: "/w/a.ts" }],
    ["edit_file", { path: "/w/a.ts", edits: [], dryRun: true }, "fs.write", "/w/a.ts", { path: "/w/a.ts", mode: "preview" }],
    ["edit_file", { path: "/w/a.ts", edits: [] }, "fs.write", "/w/a.ts", { path: "/w/a.ts", mode: "edit" }],
    ["directory_tree", { path: "/w" }, "fs.list", "/w", { path: "/w", recursive: true }],
    ["move_file", { source: "/w/a", destination: "/w/b" }, "fs.move", "/w/a", { path: "/w/a", destination: "/w/b" }],
    ["list_allowed_directories", {}, "fs.roots", null, {}],
    ["git_diff", { repo_path: "/w", target: "main" }, "git.diff", "/w", { scope: "revision", revision: "main" }],
    ["git_create_branch", { repo_path: "/w", branch_name: "b" }, "git.branch_create", "/w", { branch: "b", base: "" }],
    ["push_files", { owner: "o", repo: "r", branch: "main", message: "m", files: [{ path: "a", content: "x" }, { path: "b", content: "y" }] },
      "github.commit_files", "o/r", { branch: "main", paths: ["a", "b"] }],
    ["merge_pull_request", { owner: "o", repo: "r", pull_number: 7 }, "github.merge_pull_request", "o/r", { pull_number: 7, merge_method: "merge" }],
    ["slack_get_channel_history", { channel_id: "C1" }, "chat.read", "C1", { channel: "C1", limit: 100 }],
    ["slack_reply_to_thread", { channel_id: "C1", thread_ts: "1.2", text: "hi" }, "chat.post", "C1", { thread: "1.2" }],
    ["interact_with_process", { pid: 42, input: "rm -rf /" }, "shell.exec", "rm -rf /", { command: "rm -rf /", cwd: "" }],
    ["kill_process", { pid: 42 }, "shell.kill", null, { pid: 42 }],
  ])("%s %j", (tool, args, type, target, params) => {
    const action = mapped(tool, args);
    expect(action.type).toBe(type);
    expect(action.target).toBe(target);
    expect(action.params).toMatchObject(params);
  });

  test("MCP-client prefixes of declared servers resolve, to that server's tools only", () => {
    expect(mapped("mcp__filesystem__read_text_file", { path: "/w/a" }).type).toBe("fs.read");
    expect(mapped("mcp__filesystem__read_file", { path: "/w/a" }).type).toBe("fs.read");
    expect(mapped("mcp__git__git_status", { repo_path: "/w" }).type).toBe("git.status");
    const refused = (tool: string) => toSovereignIR(mcpCall(tool, { path: "/w/a", repo_path: "/w" }), policy.irSchema, { mapper: policy.toolMapper, requestedAt: "2026-03-02T10:00:00Z", actor: { agent: "a" } });
    for (const tool of ["mcp__github__read_text_file", "mcp__git__read_text_file", "mcp__filesystem__git_status", "Read_Text_File", "read_text_file ", "mcp__Filesystem__read_text_file"]) {
      const r = refused(tool);
      expect([tool, r.ok ? "ok" : r.error.code]).toEqual([tool, "XP4012"]);
    }
  });

  test("an unmapped tool is not turned into an action", () => {
    expect(toSovereignIR(mcpCall("delete_everything", {}), policy.irSchema, { mapper: policy.toolMapper, requestedAt: "2026-03-02T10:00:00Z", actor: { agent: "a" } }).ok).toBe(false);
  });
});

describe.each(EXAMPLES)("examples/%s test and property blocks", (example) => {
  test("all pass under xpol test, with every rule covered", async () => {
    const { sets, diagnostics } = findPolicySets([`examples/${example}`], repoRoot);
    expect(describeDiagnostics(diagnostics)).toEqual([]);
    expect(sets).toHaveLength(1);
    const report = await testPolicySet(sets[0]!, repoRoot, { runs: 50, seed: 20260302, coverage: true });
    expect(describeDiagnostics(report.diagnostics)).toEqual([]);
    const notPassed = report.results.filter((r) => r.status !== "passed").map((r) => `${r.kind} ${r.name}: ${r.status} ${r.details.join(" | ")}`);
    expect(notPassed).toEqual([]);
    expect(report.results.filter((r) => r.kind === "property").length).toBeGreaterThanOrEqual(1);
    // every rule of the example's own file is applied by some test
    const uncovered = (report.coverage?.items ?? [])
      .filter((i) => i.kind === "rule" && i.branch === "applied" && !i.covered && i.file.endsWith(`${example}.xpol`))
      .map((i) => i.owner);
    expect(uncovered).toEqual([]);
    // and almost every condition and operand goes both ways in some test
    const own = (report.coverage?.items ?? []).filter((i) => i.file.endsWith(`${example}.xpol`));
    expect(own.filter((i) => i.covered).length / own.length).toBeGreaterThanOrEqual(0.95);
  });
});

// Every argument of every mapped tool, as the servers' input schemas declare them (see each module's header for the
// source). With `option tool_args = "reject"` (the default, which no module weakens) a call carrying an argument its
// mapping does not read is denied with XP4032, so a real argument the library forgot would deny valid calls.
const EVERY_ARGUMENT: Record<string, [string, Record<string, unknown>][]> = {
  "mcp.filesystem": [
    ["read_file", { path: "/w/a", head: 5, tail: 5 }],
    ["read_text_file", { path: "/w/a", head: 5, tail: 5 }],
    ["read_media_file", { path: "/w/a.png" }],
    ["read_multiple_files", { paths: ["/w/a", "/w/b"] }],
    ["write_file", { path: "/w/a", content: "x" }],
    ["edit_file", { path: "/w/a", edits: [{ oldText: "a", newText: "b" }], dryRun: false }],
    ["create_directory", { path: "/w/d" }],
    ["list_directory", { path: "/w" }],
    ["list_directory_with_sizes", { path: "/w", sortBy: "size" }],
    ["directory_tree", { path: "/w", excludePatterns: ["node_modules"] }],
    ["move_file", { source: "/w/a", destination: "/w/b" }],
    ["search_files", { path: "/w", pattern: "*.ts", excludePatterns: ["dist"] }],
    ["get_file_info", { path: "/w/a" }],
    ["list_allowed_directories", {}],
  ],
  "mcp.git": [
    ["git_status", { repo_path: "/w" }],
    ["git_diff_unstaged", { repo_path: "/w", context_lines: 3 }],
    ["git_diff_staged", { repo_path: "/w", context_lines: 3 }],
    ["git_diff", { repo_path: "/w", target: "main", context_lines: 3 }],
    ["git_commit", { repo_path: "/w", message: "m" }],
    ["git_add", { repo_path: "/w", files: ["a"] }],
    ["git_reset", { repo_path: "/w" }],
    ["git_log", { repo_path: "/w", max_count: 10, start_timestamp: "2 weeks ago", end_timestamp: "2026-01-15" }],
    ["git_create_branch", { repo_path: "/w", branch_name: "b", base_branch: "main" }],
    ["git_checkout", { repo_path: "/w", branch_name: "b" }],
    ["git_show", { repo_path: "/w", revision: "HEAD" }],
    ["git_branch", { repo_path: "/w", branch_type: "all", contains: "abc", not_contains: "def" }],
  ],
  "mcp.github": [
    ["get_file_contents", { owner: "o", repo: "r", path: "a.md", branch: "main" }],
    ["list_commits", { owner: "o", repo: "r", sha: "main", page: 1, perPage: 30 }],
    ["list_issues", { owner: "o", repo: "r", direction: "asc", labels: ["bug"], page: 1, per_page: 30, since: "2026-01-01T00:00:00Z", sort: "created", state: "open" }],
    ["get_issue", { owner: "o", repo: "r", issue_number: 1 }],
    ["list_pull_requests", { owner: "o", repo: "r", state: "all", head: "o:b", base: "main", sort: "updated", direction: "desc", per_page: 30, page: 2 }],
    ["get_pull_request", { owner: "o", repo: "r", pull_number: 1 }],
    ["get_pull_request_files", { owner: "o", repo: "r", pull_number: 1 }],
    ["get_pull_request_status", { owner: "o", repo: "r", pull_number: 1 }],
    ["get_pull_request_comments", { owner: "o", repo: "r", pull_number: 1 }],
    ["get_pull_request_reviews", { owner: "o", repo: "r", pull_number: 1 }],
    ["search_repositories", { query: "q", page: 1, perPage: 30 }],
    ["search_code", { q: "q", order: "asc", page: 1, per_page: 30 }],
    ["search_issues", { q: "q", sort: "comments", order: "desc", page: 1, per_page: 30 }],
    ["search_users", { q: "q", sort: "followers", order: "desc", page: 1, per_page: 30 }],
    ["create_or_update_file", { owner: "o", repo: "r", path: "a.md", content: "x", message: "m", branch: "main", sha: "abc" }],
    ["push_files", { owner: "o", repo: "r", branch: "main", files: [{ path: "a", content: "x" }], message: "m" }],
    ["create_repository", { name: "r", description: "d", private: true, autoInit: true }],
    ["fork_repository", { owner: "o", repo: "r", organization: "org" }],
    ["create_branch", { owner: "o", repo: "r", branch: "b", from_branch: "main" }],
    ["create_issue", { owner: "o", repo: "r", title: "t", body: "b", assignees: ["u"], milestone: 1, labels: ["bug"] }],
    ["update_issue", { owner: "o", repo: "r", issue_number: 1, title: "t", body: "b", assignees: ["u"], milestone: 1, labels: ["bug"], state: "closed" }],
    ["add_issue_comment", { owner: "o", repo: "r", issue_number: 1, body: "b" }],
    ["create_pull_request", { owner: "o", repo: "r", title: "t", body: "b", head: "b", base: "main", draft: true, maintainer_can_modify: false }],
    ["create_pull_request_review", { owner: "o", repo: "r", pull_number: 1, commit_id: "abc", body: "b", event: "COMMENT", comments: [{ path: "a", position: 1, body: "c" }, { path: "b", line: 3, body: "d" }] }],
    ["update_pull_request_branch", { owner: "o", repo: "r", pull_number: 1, expected_head_sha: "abc" }],
    ["merge_pull_request", { owner: "o", repo: "r", pull_number: 1, commit_title: "t", commit_message: "m", merge_method: "squash" }],
  ],
  "mcp.postgres": [["query", { sql: "select 1" }]],
  "mcp.slack": [
    ["slack_list_channels", { limit: 100, cursor: "c" }],
    ["slack_post_message", { channel_id: "C1", text: "t" }],
    ["slack_reply_to_thread", { channel_id: "C1", thread_ts: "1.2", text: "t" }],
    ["slack_add_reaction", { channel_id: "C1", timestamp: "1.2", reaction: "eyes" }],
    ["slack_get_channel_history", { channel_id: "C1", limit: 10 }],
    ["slack_get_thread_replies", { channel_id: "C1", thread_ts: "1.2" }],
    ["slack_get_users", { cursor: "c", limit: 100 }],
    ["slack_get_user_profile", { user_id: "U1" }],
  ],
  "mcp.fetch": [["fetch", { url: "https://example.com/", max_length: 5000, start_index: 0, raw: false }]],
  "mcp.desktop_commander": [
    ["start_process", { command: "ls", timeout_ms: 1000, shell: "bash", verbose_timing: false, origin: "llm" }],
    ["interact_with_process", { pid: 42, input: "ls", timeout_ms: 1000, wait_for_prompt: true, verbose_timing: false }],
    ["read_process_output", { pid: 42, timeout_ms: 1000, offset: -10, length: 10, verbose_timing: false }],
    ["list_sessions", {}],
    ["list_processes", {}],
    ["force_terminate", { pid: 42 }],
    ["kill_process", { pid: 42 }],
    ["edit_block", { file_path: "/w/a", old_string: "a", new_string: "b", expected_replacements: 2 }],
  ],
};

describe("every real argument of every MCP tool is read by its mapping", () => {
  const policy = compileText(`policy probe version "0.0.0"
${Object.keys(EVERY_ARGUMENT).map((m) => `import std.${m}`).join("\n")}
actor { agent: string }
rule everything on * { allow }
`);
  const attempt = (tool: string, args: Record<string, unknown>) =>
    toSovereignIR(mcpCall(tool, args), policy.irSchema, { mapper: policy.toolMapper, requestedAt: "2026-03-02T10:00:00Z", actor: { agent: "a" } });

  test("every module is here, with every tool it maps", () => {
    expect(Object.keys(EVERY_ARGUMENT).sort()).toEqual(Object.keys(MCP_TOOLS).sort());
    for (const [name, calls] of Object.entries(EVERY_ARGUMENT)) expect({ name, tools: calls.map(([t]) => t).sort() }).toEqual({ name, tools: [...MCP_TOOLS[name]!].sort() });
  });

  test.each(Object.entries(EVERY_ARGUMENT).flatMap(([m, calls]) => calls.map(([t, a]) => [m, t, a] as const)))("std.%s %s with all its arguments is decided", (_m, tool, args) => {
    const r = attempt(tool, args);
    expect(r.ok ? "ok" : `${r.error.code}: ${r.error.message}`).toBe("ok");
    expect(policy.evaluate(r.ok ? r.ir : (undefined as never), {}).effect).toBe("allow");
  });

  test.each(Object.entries(EVERY_ARGUMENT).flatMap(([m, calls]) => calls.map(([t, a]) => [m, t, a] as const)))("std.%s %s with an unknown extra argument is denied (XP4032)", (_m, tool, args) => {
    const r = attempt(tool, { ...args, also_export_to: "s3://elsewhere/" });
    expect(r.ok ? "ok" : r.error.code).toBe("XP4032");
    if (!r.ok) expect(r.error.message).toContain("`also_export_to`");
  });

  test("the arguments the policy can now constrain arrive as parameters", () => {
    const params = (tool: string, args: Record<string, unknown>) => {
      const r = attempt(tool, args);
      if (!r.ok) throw new Error(r.error.message);
      return r.ir.action.params;
    };
    expect(params("read_text_file", { path: "/w/a", head: 5 })).toEqual({ path: "/w/a", head: 5 });
    expect(params("edit_file", { path: "/w/a", edits: [{ oldText: "a", newText: "b" }], dryRun: true })).toMatchObject({ mode: "preview" });
    expect(params("start_process", { command: "ls", timeout_ms: 1000 })).toEqual({ command: "ls", cwd: "", timeout_ms: 1000 });
    expect(params("interact_with_process", { pid: 42, input: "ls" })).toEqual({ command: "ls", cwd: "", pid: 42 });
    expect(params("edit_block", { file_path: "/w/a", old_string: "a", new_string: "b" })).toMatchObject({ mode: "edit", replacements: 1 });
    expect(params("fork_repository", { owner: "o", repo: "r" })).toEqual({ owner: "o", repo: "r", organization: "" });
    expect(params("push_files", { owner: "o", repo: "r", branch: "main", files: [{ path: "a", content: "x" }], message: "m" })).toMatchObject({ paths: ["a"] });
    expect(params("slack_get_thread_replies", { channel_id: "C1", thread_ts: "1.2" })).toEqual({ channel: "C1", limit: 1000, thread: "1.2" });
    expect(params("git_branch", { repo_path: "/w", branch_type: "local" })).toEqual({ repo_path: "/w", branch_type: "local" });
  });

  test("an argument mapped whole reaches the rules whole: an edit's extra key is in `edits`, a non-string one is invalid", () => {
    const r = attempt("edit_file", { path: "/w/a", edits: [{ oldText: "a", newText: "b", flags: "g" }] });
    expect(r.ok && r.ir.action.params["edits"]).toEqual([{ oldText: "a", newText: "b", flags: "g" }]);
    const bad = attempt("edit_file", { path: "/w/a", edits: [{ oldText: "a", newText: "b", count: 2 }] });
    expect(bad.ok).toBe(false);
  });
});
