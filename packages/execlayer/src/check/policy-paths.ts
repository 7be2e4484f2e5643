// Paths inside a policy: keyring paths are relative to the file that names them.
import { posix } from "node:path";

/** `rel` resolved against the directory of `file` (POSIX separators, normalized); absolute paths stay as they are. */
export function relativeTo(file: string, rel: string): string {
  if (posix.isAbsolute(rel)) return posix.normalize(rel);
  return posix.normalize(posix.join(posix.dirname(toPosix(file)), rel));
}

export function toPosix(p: string): string {
  return p.replace(/\\/g, "/");
}

/** The deepest directory containing every one of the paths ("." for relative paths with nothing in common). */
export function commonDirectory(paths: readonly string[]): string {
  const dirs = paths.map((p) => posix.dirname(posix.normalize(toPosix(p))).split("/"));
  const [first, ...rest] = dirs;
  if (first === undefined) return ".";
  let n = first.length;
  for (const d of rest) {
    let i = 0;
    while (i < n && i < d.length && d[i] === first[i]) i++;
    n = i;
  }
  const joined = first.slice(0, n).join("/");
  return joined === "" ? (posix.isAbsolute(toPosix(paths[0]!)) ? "/" : ".") : joined;
}
