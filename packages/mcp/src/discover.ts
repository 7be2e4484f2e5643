// `xpol mcp discover`: connect to a server, list its tools, and write a starter policy for them: one action type per
// tool with parameters from its input schema, a tier suggested from its annotations (`readOnlyHint` -> T0,
// `destructiveHint` -> T2, otherwise T1), a `tool` mapping of every argument, and a rule allowing the read-only ones.
// Annotations are the server's own claims about itself, so the file says they are untrusted and a human reviews it.
// The text is run through the formatter and the compiler before it is written: it checks and formats cleanly.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { compilePolicy, formatDiagnostics, formatPolicy } from "execlayer";
import type { Tool } from "@modelcontextprotocol/client";
import { RESOURCE_READ_TOOL } from "./governor.ts";
import { parseDuration, splitCommand, upstreamOf } from "./args.ts";
import { Upstream } from "./upstream.ts";

export const DISCOVER_USAGE = `usage: xpol mcp discover [--out FILE] [--timeout DURATION] (-- COMMAND ARGS... | --upstream URL)

  Lists a server's tools and writes a starter policy (default: NAME.xpol after the server's name; - for stdout):
  action types and parameters from each tool's input schema, tiers suggested from its annotations (untrusted hints:
  review them), every argument mapped, read-only tools allowed, everything else denied until you write rules.`;

/**
 * Known servers, by the name they announce in initialize (`serverInfo.name`), and the stdlib module that maps their
 * tools: the reference servers as published (the names are theirs, spaces and slashes included).
 */
export const STDLIB_MAPPINGS: Readonly<Record<string, string>> = {
  // @modelcontextprotocol/server-filesystem
  "secure-filesystem-server": "std.mcp.filesystem",
  // @modelcontextprotocol/server-github
  "github-mcp-server": "std.mcp.github",
  // @modelcontextprotocol/server-postgres
  "example-servers/postgres": "std.mcp.postgres",
  // @modelcontextprotocol/server-slack
  "Slack MCP Server": "std.mcp.slack",
  // mcp-server-git and mcp-server-fetch (PyPI)
  "mcp-git": "std.mcp.git",
  "mcp-fetch": "std.mcp.fetch",
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
// words a parameter cannot be named (CEL and .xpol keywords)
const RESERVED = new Set(["in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while", "true", "false", "null", "action", "tool", "rule", "tier", "policy", "actor", "context", "counter", "group", "when", "allow", "deny", "require", "target", "option", "test", "property", "mcp", "server", "on", "within", "of", "per", "window", "escalate", "to", "alias", "approval", "expect", "otherwise"]);

function snake(name: string): string {
  const s = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
  const out = s === "" ? "x" : /^[0-9]/.test(s) ? `p_${s}` : s;
  return RESERVED.has(out) ? `${out}_` : out;
}

type Schema = { type?: unknown; enum?: unknown; items?: unknown; properties?: unknown; required?: unknown };

/** The .xpol type of a JSON Schema, and how the mapping reads the argument. */
function typeOf(schema: unknown): { type: string; read: (arg: string) => string } {
  const plain = (type: string) => ({ type, read: (arg: string) => arg });
  if (typeof schema !== "object" || schema === null) return plain("dyn");
  const s = schema as Schema;
  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every((v) => typeof v === "string" && /^[^"\\\n]*$/.test(v))) {
    return plain(s.enum.map((v) => JSON.stringify(v)).join(" | "));
  }
  switch (s.type) {
    case "string":
      return plain("string");
    case "integer":
      return { type: "int", read: (arg) => `int(${arg})` };
    case "number":
      return { type: "double", read: (arg) => `double(${arg})` };
    case "boolean":
      return plain("bool");
    case "array": {
      const el = typeOf(s.items);
      return el.type === "string" || el.type === "bool" || el.type === "dyn" ? plain(`list<${el.type}>`) : plain("list<dyn>");
    }
    case "object":
      return plain("map<string, dyn>");
    default:
      return plain("dyn");
  }
}

function tierOf(tool: Tool): "T0" | "T1" | "T2" {
  const a = tool.annotations;
  if (a?.destructiveHint === true) return "T2";
  if (a?.readOnlyHint === true) return "T0";
  return "T1";
}

function comment(text: string | undefined): string {
  if (text === undefined || text.trim() === "") return "";
  const one = text.replace(/\s+/g, " ").trim();
  return `// ${one.length > 110 ? `${one.slice(0, 107)}...` : one}\n`;
}

/** The stdlib module mapping the server's tools, with the tools it maps and its T0 action types; null when unknown. */
export function stdlibMappingFor(serverName: string): { module: string; tools: ReadonlySet<string>; reads: readonly string[] } | null {
  const module = STDLIB_MAPPINGS[serverName];
  if (module === undefined) return null;
  const r = compilePolicy({ sources: [{ path: "<stdlib>", text: `policy stdlib_probe version "0"\n\nimport ${module}\n\nactor {\n  agent: string\n}\n` }] });
  if (r.policy === null) return null;
  const reads = [...r.policy.plans.values()].filter((p) => p.tier === "T0").map((p) => p.type);
  return { module, tools: new Set(r.policy.toolMapper.tools), reads };
}

/** The starter policy's text (not yet formatted). */
export function starterPolicy(server: { name: string; version?: string | undefined }, allTools: readonly Tool[], hasResources: boolean): string {
  const policyName = snake(server.name);
  // a server the standard library knows: its module maps the tools (typed actions, reviewed tiers); the rest are
  // generated from the schemas as for any server
  const std = stdlibMappingFor(server.name);
  const tools = std === null ? allTools : allTools.filter((t) => !std.tools.has(t.name));
  const out: string[] = [];
  out.push(`// A starter policy for the MCP server \`${server.name}\`${server.version !== undefined ? ` ${server.version}` : ""}, written by \`xpol mcp discover\`.`);
  out.push("// REVIEW IT BEFORE USE. Tiers are suggested from the tools' annotations (readOnlyHint -> T0, destructiveHint -> T2,");
  out.push("// otherwise T1); annotations are the server's own untrusted hints, not guarantees. A tool without a `tool` mapping");
  out.push("// is denied, and so is every action no rule allows: only the read-only tools are allowed below.");
  if (std !== null) out.push(`// The standard library maps this server's tools (${std.module}): its action types and tiers, not the annotations.`);
  out.push(`policy ${policyName} version "0.1.0"`, "");
  if (std !== null) out.push(`import ${std.module}`, "");
  out.push("// the proxy supplies the actor (xpol mcp --actor '{\"agent\": \"...\"}'), never the model", "actor {", "  agent: string", "}", "");
  const reads: string[] = std === null ? [] : [...std.reads];
  const used = new Set<string>();
  for (const tool of tools) {
    let type = `mcp.${snake(tool.name)}`;
    while (used.has(type)) type += "_";
    used.add(type);
    const schema = (tool.inputSchema ?? {}) as Schema;
    const props = typeof schema.properties === "object" && schema.properties !== null ? Object.entries(schema.properties as Record<string, unknown>) : [];
    const required = new Set(Array.isArray(schema.required) ? (schema.required as unknown[]).filter((r): r is string => typeof r === "string") : []);
    const params = props.map(([arg, s]) => {
      let name = snake(arg);
      while (props.some(([other]) => other !== arg && snake(other) === name)) name += "_";
      const t = typeOf(s);
      const access = IDENT.test(arg) && !RESERVED.has(arg) ? `args.${arg}` : `args[${JSON.stringify(arg)}]`;
      return { name, optional: !required.has(arg), type: t.type, read: t.read(access), description: (s as { description?: string } | null)?.description };
    });
    const tier = tierOf(tool);
    if (tier === "T0") reads.push(type);
    out.push(comment(tool.description ?? tool.title) + `action ${type} {`);
    for (const p of params) {
      const note = comment(p.description);
      if (note !== "") out.push(`  ${note.trimEnd()}`);
      out.push(`  ${p.name}${p.optional ? "?" : ""}: ${p.type}`);
    }
    out.push("}", `tier ${type} = ${tier}`, "");
    const toolName = IDENT.test(tool.name) && !RESERVED.has(tool.name) ? tool.name : JSON.stringify(tool.name);
    out.push(`tool ${toolName} -> ${type} {`);
    // what the call touches, so receipts show it: a required path, URI or URL argument
    const target = params.find((p) => !p.optional && p.type === "string" && ["path", "uri", "url", "file", "filename"].includes(p.name));
    if (target !== undefined) out.push(`  target: ${target.read}`);
    for (const p of params) out.push(`  ${p.name}: ${p.read}`);
    out.push("}", "");
  }
  if (hasResources) {
    out.push("// resources/read is decided as this tool: a resource's URI is the target", "action mcp.resource_read {", "  uri: string", "}", "tier mcp.resource_read = T0", "");
    out.push(`tool ${JSON.stringify(RESOURCE_READ_TOOL)} -> mcp.resource_read {`, "  target: args.uri", "  uri: args.uri", "}", "");
  }
  if (reads.length > 0) {
    out.push("// the read-only actions: allowed (check that they are)", `rule read_only on ${reads.join(", ")} {`, "  allow", "}", "");
  }
  return out.filter((l, i, all) => !(l === "" && all[i - 1] === "")).join("\n");
}

export async function discover(argv: readonly string[], io: { stdout: (t: string) => void; stderr: (t: string) => void; cwd: string }): Promise<number> {
  let out: string | undefined;
  let url: string | undefined;
  let timeoutMs = 30_000;
  const { options, command } = splitCommand(argv);
  for (let i = 0; i < options.length; i++) {
    const a = options[i]!;
    if (a === "-h" || a === "--help") {
      io.stdout(DISCOVER_USAGE);
      return 0;
    }
    const v = options[++i];
    if ((a !== "--out" && a !== "--upstream" && a !== "--timeout") || v === undefined) {
      io.stderr(`xpol mcp discover: ${v === undefined && a.startsWith("--") ? `${a} needs a value` : `unknown option \`${a}\``}\n\n${DISCOVER_USAGE}`);
      return 2;
    }
    if (a === "--out") out = v;
    else if (a === "--upstream") url = v;
    else {
      const ms = parseDuration(v);
      if (ms === null || ms <= 0) {
        io.stderr(`xpol mcp discover: --timeout takes a duration such as 30s, not \`${v}\``);
        return 2;
      }
      timeoutMs = ms;
    }
  }
  const spec = upstreamOf(command, url, io.cwd);
  if (typeof spec === "string") {
    io.stderr(`xpol mcp discover: ${spec}\n\n${DISCOVER_USAGE}`);
    return 2;
  }
  const upstream = new Upstream(spec, { timeoutMs, stderr: "ignore" });
  let text: string;
  let name: string;
  try {
    await upstream.start();
    const info = upstream.info;
    const tools = info.capabilities.tools !== undefined ? (await upstream.forward((c, o) => c.listTools(undefined, o))).tools : [];
    name = info.version?.name ?? "mcp_server";
    text = starterPolicy({ name, version: info.version?.version }, tools, info.capabilities.resources !== undefined);
  } catch (e: unknown) {
    io.stderr(`xpol mcp discover: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await upstream.close();
  }
  const formatted = formatPolicy(text);
  if (!formatted.ok) {
    io.stderr(`xpol mcp discover: the starter policy did not format (a bug; please report it):\n${formatted.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n")}\n${text}`);
    return 1;
  }
  const file = out === undefined ? `${snake(name)}.xpol` : out;
  const checked = compilePolicy({ sources: [{ path: file, text: formatted.text }] });
  if (out === "-") io.stdout(formatted.text);
  else writeFileSync(path.resolve(io.cwd, file), formatted.text);
  if (checked.policy === null) {
    io.stderr(`xpol mcp discover: the starter policy does not check (a bug; please report it):\n${formatDiagnostics(checked.diagnostics, checked.sources)}`);
    return 1;
  }
  if (out !== "-") io.stderr(`xpol mcp discover: wrote ${file}: review the tiers and write the rules before use`);
  return 0;
}
