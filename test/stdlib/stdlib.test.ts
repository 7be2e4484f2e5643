// The standard library and the realistic examples: every file parses and checks without a diagnostic, modules have
// the shape the README promises (vocabularies without rules, rule sets that never allow), the MCP mappings carry the
// servers' real tool names, and the sample actions are well-formed.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { checkPolicy } from "../../src/check/policy-checker.ts";
import { parsePolicySource } from "../../src/check/policy-parse.ts";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.ts";
import { parsePolicy } from "../../src/syntax/parse.ts";
import type { Declaration, PolicyFile } from "../../src/syntax/ast.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const stdlibDir = path.join(repoRoot, "stdlib");
const EXAMPLES = ["customer-data", "devops", "coding-agent"] as const;

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

  test("a rule set imported without its parameters is an error that names them", () => {
    const text = `policy probe version "0.0.0"\nimport std.rules.bulk_reads\nactor { agent: string }\n`;
    const messages = check([{ path: "probe.xpol", text }]).map((d) => d.message);
    expect(messages.some((m) => m.includes("max_rows"))).toBe(true);
    expect(messages.some((m) => m.includes("approvers"))).toBe(true);
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
      if (name === "context.json") continue;
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
