// Which files of one directory form one policy. A directory usually holds one policy (its files, its tests); when
// it holds several independent ones (`payments.xpol` with `policy payments`, `support.xpol` with `policy support`),
// merging them gave cross-policy errors. Files group by their `policy` header; a test file (`x.test.xpol`) without
// a header joins the policy of `x.xpol`; other files without a header join the directory's policy when there is
// exactly one, else each is checked on its own (as a module).
import { basename, dirname, join, resolve } from "node:path";
import { readUtf8File } from "../diagnostics/file-error.ts";

const TEST_FILE = /\.test\.xpol$/;

/** The name in a file's `policy NAME` header, skipping comments and blank lines; null when there is none. */
export function policyHeaderName(text: string): string | null {
  const m = /^(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*policy\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(text.replace(/^\ufeff/, ""));
  return m === null ? null : m[1]!;
}

/**
 * Splits files (paths relative to `cwd`) into policies: by directory, then by `policy` header. A file that cannot
 * be read stays with its directory's first group (the pipeline reports it).
 */
export function groupPolicyFiles(paths: readonly string[], cwd: string): string[][] {
  const byDir = new Map<string, string[]>();
  for (const p of paths) {
    const dir = dirname(resolve(cwd, p));
    byDir.set(dir, [...(byDir.get(dir) ?? []), p]);
  }
  const out: string[][] = [];
  for (const files of byDir.values()) {
    const headers = new Map<string, string | null>();
    for (const f of files) {
      const text = readUtf8File(resolve(cwd, f));
      headers.set(f, typeof text === "string" ? policyHeaderName(text) : null);
    }
    const names = [...new Set([...headers.values()].filter((n): n is string => n !== null))];
    if (names.length <= 1) {
      out.push(files);
      continue;
    }
    const groups = new Map<string, string[]>(names.map((n) => [n, []]));
    const alone: string[] = [];
    for (const f of files) {
      const name = headers.get(f) ?? null;
      if (name !== null) {
        groups.get(name)!.push(f);
        continue;
      }
      // `x.test.xpol` belongs with `x.xpol`
      const owner = TEST_FILE.test(f) ? join(dirname(f), basename(f).replace(TEST_FILE, ".xpol")) : null;
      const ownerName = owner === null ? null : (headers.get(owner) ?? null);
      if (ownerName !== null) groups.get(ownerName)!.push(f);
      else alone.push(f);
    }
    out.push(...groups.values(), ...alone.map((f) => [f]));
  }
  return out;
}
