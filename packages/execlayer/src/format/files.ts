// Which `.xpol` files `xpol fmt DIR` (and the repository's "everything is formatted" test) look at: every `.xpol`
// under the directory, except `node_modules`, hidden directories, and the paths an ignore file lists.
//
// The ignore file is `.xpolfmtignore` in the working directory: one path per line, relative to that directory
// (a directory excludes everything under it), `#` starts a comment. It is for inputs whose exact bytes matter,
// such as golden test inputs whose expected diagnostics name line and column positions.
import { fileErrorReason } from "../diagnostics/file-error.ts";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";

export const IGNORE_FILE = ".xpolfmtignore";

/** The ignored paths (normalized, relative to `cwd`); none when the file is absent. */
export function readIgnoreList(cwd: string): string[] {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, IGNORE_FILE), "utf8");
  } catch {
    return [];
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l !== "")
    .map((l) => l.replace(/\\/g, "/").replace(/^\.\//, "").replace(/\/+$/, ""));
}

export function isIgnored(path: string, cwd: string, ignore: readonly string[]): boolean {
  const rel = relative(cwd, resolve(cwd, path)).split(sep).join("/");
  return ignore.some((i) => rel === i || rel.startsWith(i + "/"));
}

/** `.xpol` files named or under the named directories, sorted; unreadable paths are returned apart. */
export function findXpolFiles(paths: readonly string[], cwd: string, ignore: readonly string[]): { files: string[]; unreadable: { path: string; why: string }[] } {
  const files = new Set<string>();
  const unreadable: { path: string; why: string }[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(resolve(cwd, dir), { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (isIgnored(p, cwd, ignore)) continue;
      if (e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules") walk(p);
      else if (e.isFile() && e.name.endsWith(".xpol")) files.add(p);
    }
  };
  for (const p of paths) {
    try {
      if (statSync(resolve(cwd, p)).isDirectory()) walk(p);
      else files.add(p);
    } catch (e: unknown) {
      unreadable.push({ path: p, why: fileErrorReason(e) });
    }
  }
  return { files: [...files].sort(), unreadable };
}
