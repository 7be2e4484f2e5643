// Which files form which policy, for `xpol test PATH...`:
//   - a directory: each directory under it (itself included) that holds `.xpol` files is one policy made of all of
//     them, the policy files and their `*.test.xpol` files together; a directory below the named one is taken only
//     if it has tests (a `*.test.xpol` file, or a `test` / `property` block), so stdlib modules and fixtures beside
//     real policies are not compiled as policies of their own; `node_modules` and hidden directories are skipped;
//   - files: grouped by directory; `NAME.xpol` brings `NAME.test.xpol` beside it, and a test file brings the
//     directory's policy files (every `.xpol` there that is not a test file).
import { readdirSync, statSync, type Dirent } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { Diagnostics as D } from "../diagnostics/catalogue.ts";
import { fileErrorReason } from "../diagnostics/file-error.ts";
import { groupPolicyFiles } from "../compile/policy-groups.ts";
import { compilePolicy } from "../compile/load.ts";
import { readPolicyText } from "../compile/pipeline.ts";
import type { PolicyTestReport } from "./results.ts";
import { runPolicyTests, type RunOptions } from "./run.ts";

export interface PolicySet {
  /** the directory, as the user would write it */
  readonly label: string;
  /** the files, sorted, as paths relative to the working directory (or as given) */
  readonly files: readonly string[];
}

const TEST_FILE = /\.test\.xpol$/;
const HAS_TESTS = /(^|\n)\s*(test|property)\s+["']/;

/** The `.xpol` files among a directory's entries, as paths under `dir`, sorted. */
function xpolFiles(dir: string, entries: readonly Dirent[]): string[] {
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".xpol"))
    .map((e) => join(dir, e.name))
    .sort();
}

function hasTests(files: readonly string[], cwd: string): boolean {
  return files.some((f) => {
    if (TEST_FILE.test(f)) return true;
    const read = readPolicyText(f, cwd);
    // unreadable or not UTF-8: include it, so the pipeline reports the error
    return "error" in read || HAS_TESTS.test(read.text);
  });
}

/** The policy sets named by `paths`; a path that cannot be read is a diagnostic (XP8001). */
export function findPolicySets(paths: readonly string[], cwd: string): { sets: PolicySet[]; diagnostics: Diagnostic[] } {
  const sets = new Map<string, Set<string>>();
  const diagnostics: Diagnostic[] = [];
  const add = (dir: string, files: readonly string[]): void => {
    let s = sets.get(dir);
    if (s === undefined) sets.set(dir, (s = new Set()));
    for (const f of files) s.add(f);
  };
  const walk = (dir: string, top: boolean): void => {
    // one read of the directory gives both its policy files and the directories to walk
    let entries: Dirent[];
    try {
      entries = readdirSync(resolve(cwd, dir), { withFileTypes: true });
    } catch (e: unknown) {
      diagnostics.push(diagnostic(D.unreadableFile, { start: 0, end: 0 }, [dir, fileErrorReason(e)], { file: dir }));
      return;
    }
    const files = xpolFiles(dir, entries);
    if (files.length > 0 && (top || hasTests(files, cwd))) add(dir, files);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules") walk(join(dir, e.name), false);
    }
  };
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(resolve(cwd, p)).isDirectory();
    } catch (e: unknown) {
      diagnostics.push(diagnostic(D.unreadableFile, { start: 0, end: 0 }, [p, fileErrorReason(e)], { file: p }));
      continue;
    }
    if (isDir) {
      const before = sets.size;
      walk(p, true);
      if (sets.size === before) diagnostics.push(diagnostic(D.noTestsFound, { start: 0, end: 0 }, [p], { file: p }));
      continue;
    }
    const dir = dirname(p);
    let siblings: string[] = [];
    try {
      siblings = xpolFiles(dir, readdirSync(resolve(cwd, dir), { withFileTypes: true }));
    } catch {
      siblings = [];
    }
    if (TEST_FILE.test(p)) add(dir, [p, ...siblings.filter((f) => !TEST_FILE.test(f))]);
    else {
      const test = join(dir, basename(p).replace(/\.xpol$/, ".test.xpol"));
      add(dir, [p, ...siblings.filter((f) => f === test)]);
    }
  }
  // a directory with several independent policies gives one set per `policy` header
  const out: PolicySet[] = [];
  for (const [label, files] of sets) {
    const groups = groupPolicyFiles([...files].sort(), cwd);
    for (const g of groups) out.push({ label: groups.length === 1 ? label : `${label} (${basename(g.find((f) => !TEST_FILE.test(f)) ?? g[0]!)})`, files: g });
  }
  return { sets: out, diagnostics };
}

/** Compiles one set (through `compilePolicy`, the pipeline `xpol check` runs too) and runs its blocks. */
export async function testPolicySet(set: PolicySet, cwd: string, options: RunOptions = {}): Promise<PolicyTestReport> {
  const compiled = compilePolicy({ files: set.files, cwd });
  const base = { label: set.label, files: set.files, sources: compiled.sources };
  if (compiled.policy === null) return { ...base, policy: null, results: [], diagnostics: compiled.diagnostics };
  const run = await runPolicyTests(compiled.policy, options);
  return {
    ...base,
    policy: compiled.policy.name,
    results: run.results,
    // warnings of the policy itself belong to `xpol check`; here only what stops or concerns the tests
    diagnostics: run.diagnostics,
    ...(run.coverage !== undefined ? { coverage: run.coverage } : {}),
  };
}
