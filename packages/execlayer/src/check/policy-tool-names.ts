// The exact names a tool call may use: each mapping's own name, its aliases (`tool read_text_file alias read_file`),
// and `mcp__SERVER__NAME` for the servers an `mcp server SERVER { ... }` declaration binds the tool to. Nothing is
// folded (no case, separator or prefix variants): a name two mappings would both answer to is an error here, so at
// run time every name resolves to at most one mapping.
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { Diagnostics as D } from "../diagnostics/catalogue.ts";
import { didYouMean } from "../diagnostics/suggest.ts";
import type { McpServerDecl, StringLit, ToolDecl } from "../syntax/ast.ts";
import type { Span } from "../vocabulary/span.ts";
import { modulePath } from "./policy-modules.ts";

interface Located<T> {
  readonly file: string;
  readonly decl: T;
}

/** The name an MCP client gives tool `tool` of server `server` (Claude Code, the Agents SDKs). */
export function mcpToolName(server: string, tool: string): string {
  return `mcp__${server}__${tool}`;
}

// What Claude Code accepts as a server name; anything else could not appear between `mcp__` and `__`.
const SERVER_NAME = /^[A-Za-z0-9_-]+$/;

export interface ToolNames {
  /** declared tool -> its other exact names (aliases, then MCP-prefixed names), in declaration order */
  readonly names: ReadonlyMap<string, readonly string[]>;
  readonly diagnostics: Diagnostic[];
}

/**
 * Checks aliases and MCP server bindings. `tools` are all tool declarations in order (a duplicate mapping name is
 * reported by the checker itself and skipped here).
 */
export function checkToolNames(tools: readonly Located<ToolDecl>[], servers: readonly Located<McpServerDecl>[]): ToolNames {
  const diagnostics: Diagnostic[] = [];
  // every exact name -> the declared tool it stands for, and where it was written
  const claimed = new Map<string, { tool: string; file: string; span: Span }>();
  const names = new Map<string, string[]>();
  const collision = (file: string, name: StringLit | { value: string; span: Span }, first: { file: string; span: Span }, help: string): void => {
    diagnostics.push(
      diagnostic(D.duplicateDeclaration, name.span, ["tool name", name.value], {
        file,
        related: [{ message: "first declared here", span: first.span, file: first.file }],
        help,
      }),
    );
  };

  for (const t of tools) {
    const tool = t.decl.tool.value;
    if (names.has(tool)) continue;
    const first = claimed.get(tool);
    if (first !== undefined) {
      collision(t.file, t.decl.tool, first, `\`${tool}\` is already an alias of \`${first.tool}\`; a tool call's name must pick one mapping`);
      continue;
    }
    names.set(tool, []);
    claimed.set(tool, { tool, file: t.file, span: t.decl.tool.span });
  }
  for (const t of tools) {
    const tool = t.decl.tool.value;
    const own = names.get(tool);
    if (own === undefined || claimed.get(tool)?.span !== t.decl.tool.span) continue;
    for (const a of t.decl.aliases) {
      const first = claimed.get(a.value);
      if (first !== undefined) {
        const help =
          first.tool === tool
            ? "remove the repeated name"
            : first.tool === a.value
              ? `\`${a.value}\` is the name of another tool mapping; a tool call's name must pick one mapping`
              : `\`${a.value}\` is already an alias of \`${first.tool}\`; a tool call's name must pick one mapping`;
        collision(t.file, a, first, help);
        continue;
      }
      claimed.set(a.value, { tool, file: t.file, span: a.span });
      own.push(a.value);
    }
  }

  const exactNames = [...claimed.keys()];
  const serverFirst = new Map<string, Located<McpServerDecl>>();
  for (const s of servers) {
    const server = s.decl.name.value;
    const first = serverFirst.get(server);
    if (first !== undefined) {
      diagnostics.push(
        diagnostic(D.duplicateDeclaration, s.decl.name.span, ["MCP server", server], {
          file: s.file,
          related: [{ message: "first declared here", span: first.decl.name.span, file: first.file }],
          help: "list all of the server's tools in one `mcp server` declaration",
        }),
      );
      continue;
    }
    serverFirst.set(server, s);
    if (!SERVER_NAME.test(server)) {
      diagnostics.push(diagnostic(D.invalidMcpServerName, s.decl.name.span, [server], { file: s.file, help: "a server name is letters, digits, `_` and `-`, as in the MCP client's configuration" }));
      continue;
    }
    // the tools this server serves, each once, with the member that brought it in
    const bound = new Map<string, Span>();
    for (const m of s.decl.members) {
      if (m.kind === "tool") {
        const hit = claimed.get(m.tool.value);
        if (hit === undefined) {
          diagnostics.push(
            diagnostic(D.unknownTool, m.tool.span, [m.tool.value], {
              file: s.file,
              help: didYouMean(m.tool.value, exactNames) ?? "map it with `tool NAME -> ACTION { ... }`, or name a module such as `std.mcp.github`",
            }),
          );
          continue;
        }
        if (!bound.has(hit.tool)) bound.set(hit.tool, m.tool.span);
        continue;
      }
      const module = m.module.parts[0] === "std" ? modulePath(m.module.parts.slice(1).join(".")) : undefined;
      const mapped = module === undefined ? [] : tools.filter((t) => t.file === module && names.has(t.decl.tool.value));
      if (mapped.length === 0) {
        const modules = [...new Set(tools.map((t) => t.file).filter((f) => f.startsWith("<std>/")))].map((f) => "std." + f.slice("<std>/".length, -".xpol".length).split("/").join("."));
        diagnostics.push(
          diagnostic(D.mcpModuleWithoutTools, m.module.span, [m.module.text], {
            file: s.file,
            help: didYouMean(m.module.text, modules) ?? `import the module (\`import ${m.module.text}\`), or list the server's tools by name`,
          }),
        );
        continue;
      }
      for (const t of mapped) if (!bound.has(t.decl.tool.value)) bound.set(t.decl.tool.value, m.module.span);
    }
    for (const [tool, span] of bound) {
      for (const n of [tool, ...names.get(tool)!]) {
        const prefixed = mcpToolName(server, n);
        const first = claimed.get(prefixed);
        if (first !== undefined) {
          if (first.tool !== tool) collision(s.file, { value: prefixed, span }, first, `server \`${server}\` makes \`${prefixed}\` a name of \`${tool}\`, but it already names \`${first.tool}\``);
          continue;
        }
        claimed.set(prefixed, { tool, file: s.file, span });
        names.get(tool)!.push(prefixed);
      }
    }
  }
  return { names, diagnostics };
}

/** Exact name -> declared tool, for every name a tool call may use (the runtime's resolution, for tests' `tool` steps). */
export function toolNameIndex(tools: Iterable<{ readonly tool: string; readonly names: readonly string[] }>): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tools) {
    out.set(t.tool, t.tool);
    for (const n of t.names) if (!out.has(n)) out.set(n, t.tool);
  }
  return out;
}
