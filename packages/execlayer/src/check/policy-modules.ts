// `import std.NAME`: the standard modules are `.xpol` files in this package's `stdlib/` folder. A module's
// declarations join the importing policy (it has no header of its own, or its header is ignored). A bundle
// carries the module texts it was compiled with, so it resolves them from its own sources first.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { parsePolicySource } from "./policy-parse.ts";
import type { ParsedFile } from "./policy-symbols.ts";

/** Virtual path prefix of a stdlib module in sources, digests and diagnostics. */
export const STDLIB_PREFIX = "<std>/";

export type ModuleLoad = { readonly file: ParsedFile } | { readonly error: Diagnostic[] };

export interface ModuleResolver {
  /** `name` without the `std.` prefix (`database`); undefined when there is no such module */
  load(name: string): ModuleLoad | undefined;
  /** the module names available, without the prefix */
  available(): string[];
}

const STDLIB_DIR = fileURLToPath(new URL("../../stdlib/", import.meta.url));

export function modulePath(name: string): string {
  return `${STDLIB_PREFIX}${name}.xpol`;
}

/** Parses module text; syntax errors in a module are reported like any other. */
export function loadModuleText(name: string, text: string): ModuleLoad {
  const path = modulePath(name);
  const parsed = parsePolicySource(path, text);
  if (parsed.diagnostics.some((d) => d.severity === "error")) return { error: parsed.diagnostics };
  return { file: parsed.file };
}

/** Reads modules from a folder (default: the package's `stdlib/`). */
export function folderModuleResolver(dir: string = STDLIB_DIR): ModuleResolver {
  return {
    load(name) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) return undefined;
      const file = `${dir}/${name.replace(/\./g, "/")}.xpol`;
      if (!existsSync(file)) return undefined;
      return loadModuleText(name, readFileSync(file, "utf8"));
    },
    available() {
      // every module, nested ones included (`mcp.filesystem`, `rules.bulk_reads`), so "did you mean" can offer them
      if (!existsSync(dir)) return [];
      return readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".xpol") && !f.endsWith(".test.xpol"))
        .map((f) => f.slice(0, -".xpol".length).split(/[\\/]/).join("."))
        .sort();
    },
  };
}

export const defaultModuleResolver: ModuleResolver = folderModuleResolver();

/** Modules from given texts (a bundle's sources), falling back to `fallback` for the others. */
export function sourcesModuleResolver(
  sources: readonly { readonly path: string; readonly text: string }[],
  fallback?: ModuleResolver,
): ModuleResolver {
  const own = new Map<string, string>();
  for (const s of sources)
    if (s.path.startsWith(STDLIB_PREFIX) && s.path.endsWith(".xpol"))
      own.set(s.path.slice(STDLIB_PREFIX.length, -".xpol".length), s.text);
  return {
    load(name) {
      const text = own.get(name);
      if (text !== undefined) return loadModuleText(name, text);
      return fallback?.load(name);
    },
    available() {
      return [...new Set([...own.keys(), ...(fallback?.available() ?? [])])].sort();
    },
  };
}
