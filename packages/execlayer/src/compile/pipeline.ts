// The one way from `.xpol` files (or their texts) to a checked and compiled policy. Every caller goes through
// `runPolicyPipeline`: the public `compilePolicy` (load.ts), bundles (policy-build.ts), `xpol check`, `xpol compile`,
// `xpol eval`, `xpol test`. So the same input gives the same diagnostics whoever asks.
//
//   read   each file as UTF-8 (XP8001 when it cannot be read, XP1021 when its bytes are not UTF-8)
//   parse  every text that was read (the parser keeps going after errors)
//   check  only when nothing before reported an error: a missing file or a syntax error leaves declarations out,
//          and checking what remains would report consequences of it (unknown actions, missing header...) as if they
//          were new problems
//   compile only a checked policy without errors
import { resolve as pathResolve } from "node:path";
import { readFileSync } from "node:fs";
import { diagnostic, hasErrors, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { decodeUtf8, fileErrorReason, readUtf8File } from "../diagnostics/file-error.ts";
import { SourceFile } from "../diagnostics/source.ts";
import { checkPolicy, type CheckOptions } from "../check/policy-checker.ts";
import { parsePolicySource } from "../check/policy-parse.ts";
import type { CheckedPolicy, ParsedFile, PolicySource } from "../check/policy-symbols.ts";
import { compileCheckedPolicy } from "./policy-compiler.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

export interface SourceInput {
  readonly path: string;
  readonly text: string;
}

export type PolicyInput =
  /**
   * paths of `.xpol` files that together form one policy (e.g. `invoices.xpol` and `invoices.test.xpol`),
   * relative to `cwd` (default: the process's); diagnostics name them as given
   */
  | { readonly files: readonly string[]; readonly cwd?: string }
  /** the texts themselves; `path` names each in diagnostics and resolves keyring paths */
  | { readonly sources: readonly SourceInput[] };

export interface PipelineOptions extends CheckOptions {
  /**
   * When no file has a `policy` header, check them as a stdlib-style module (`CheckOptions.module`) instead of
   * reporting the missing header; no policy is compiled then. `xpol check` sets it; `compilePolicy` does not, since
   * it must produce a policy.
   */
  readonly headerlessAsModule?: boolean;
}

export interface PipelineResult {
  /** null when there is any error (or the files were checked as a module) */
  readonly checked: CheckedPolicy | null;
  /** null when there is any error (or the files were checked as a module) */
  readonly policy: CompiledPolicy | null;
  /** read errors and syntax errors first (in the order of the files), then type errors and warnings */
  readonly diagnostics: Diagnostic[];
  /** every text a diagnostic may point into, by path: the files (a non-UTF-8 one decoded lossily), modules, keyrings */
  readonly sources: ReadonlyMap<string, SourceFile>;
  /** every text read, with its kind: the files, then (when checked) the stdlib modules and keyrings */
  readonly read: readonly PolicySource[];
  /** some file could not be read at all (XP8001): `xpol` exits 3 rather than 1 */
  readonly unreadable: boolean;
}

/** Why a file could not be used, with what to show of it. */
export interface ReadFailure {
  readonly error: Diagnostic;
  /** the file could not be read at all (XP8001), rather than read but not UTF-8 (XP1021) */
  readonly unreadable: boolean;
  /** a non-UTF-8 file decoded with U+FFFD replacements, so the diagnostic can show where */
  readonly lossy?: string;
}

/**
 * A file's text, strictly UTF-8, or the diagnostic saying why not (XP8001 naming the errno code, or XP1021 pointing at
 * the first undecodable byte). `path` names the file in diagnostics and is resolved against `cwd`.
 */
export function readPolicyText(path: string, cwd?: string): { readonly text: string } | ReadFailure {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(cwd === undefined ? path : pathResolve(cwd, path));
  } catch (e: unknown) {
    return { error: diagnostic(Diagnostics.unreadableFile, { start: 0, end: 0 }, [path, fileErrorReason(e)], { file: path }), unreadable: true };
  }
  const text = decodeUtf8(bytes);
  if (text !== null) return { text };
  // Point at the first undecodable sequence (the lossy decoding shows it as U+FFFD).
  const lossy = new TextDecoder("utf-8").decode(bytes);
  const at = Math.max(0, lossy.indexOf("\ufffd"));
  return {
    error: diagnostic(Diagnostics.invalidTextEncoding, { start: at, end: at + 1 }, [], { file: path, help: "policy files are UTF-8 text" }),
    unreadable: false,
    lossy,
  };
}

/** The default `CheckOptions.readFile` (keyrings): strict UTF-8 like the policy files, relative to `cwd`. */
export function readTextFile(cwd?: string): (path: string) => string | Error {
  return (path) => readUtf8File(cwd === undefined ? path : pathResolve(cwd, path));
}

/** Files or texts -> read -> parsed -> checked -> compiled, with every diagnostic of every stage that ran. */
export function runPolicyPipeline(input: PolicyInput, options: PipelineOptions = {}): PipelineResult {
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, SourceFile>();
  const texts: SourceInput[] = [];
  let unreadable = false;
  const cwd = "files" in input ? input.cwd : undefined;
  if ("files" in input) {
    for (const path of input.files) {
      const r = readPolicyText(path, cwd);
      if ("error" in r) {
        diagnostics.push(r.error);
        if (r.lossy !== undefined) sources.set(path, new SourceFile(path, r.lossy));
        unreadable ||= r.unreadable;
      } else {
        texts.push({ path, text: r.text });
      }
    }
  } else {
    texts.push(...input.sources);
  }
  for (const t of texts) sources.set(t.path, new SourceFile(t.path, t.text));
  const parsed: ParsedFile[] = [];
  for (const t of texts) {
    const p = parsePolicySource(t.path, t.text);
    diagnostics.push(...p.diagnostics);
    parsed.push(p.file);
  }
  const read: PolicySource[] = texts.map((t) => ({ path: t.path, text: t.text, kind: "policy" }));
  const stop = { checked: null, policy: null, diagnostics, sources, read, unreadable };
  if (hasErrors(diagnostics)) return stop;

  const { headerlessAsModule, ...checkOptions } = options;
  const module = checkOptions.module ?? (headerlessAsModule === true && parsed.length > 0 && parsed.every((p) => p.ast.header === null));
  const checked = checkPolicy(parsed, { ...checkOptions, readFile: checkOptions.readFile ?? readTextFile(cwd), module });
  diagnostics.push(...checked.diagnostics);
  for (const s of checked.sources) if (!sources.has(s.path)) sources.set(s.path, new SourceFile(s.path, s.text));
  const done = { ...stop, read: checked.sources };
  if (hasErrors(diagnostics) || checked.checked === null || module) return done;
  return { ...done, checked: checked.checked, policy: compileCheckedPolicy(checked.checked) };
}
