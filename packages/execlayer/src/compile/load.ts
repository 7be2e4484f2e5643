// compilePolicy: the one-call way from `.xpol` files (or texts) to a CompiledPolicy, with every diagnostic.
//
//   const { policy, diagnostics } = compilePolicy({ files: ["policies/invoices.xpol"] });
//   if (policy === null) throw new Error(formatDiagnostics(diagnostics, sources));
//   const decision = decide(policy, proposal, { actor: { agent: "invoice-bot" } });
import { resolve as pathResolve } from "node:path";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { renderDiagnostics } from "../diagnostics/render.ts";
import { SourceFile } from "../diagnostics/source.ts";
import { defaultReadFile, type CheckOptions } from "../check/policy-checker.ts";
import { buildPolicy, type SourceInput } from "./policy-build.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

export type PolicyInput =
  /**
   * paths of `.xpol` files that together form one policy (e.g. `invoices.xpol` and `invoices.test.xpol`),
   * relative to `cwd` (default: the process's); diagnostics name them as given
   */
  | { readonly files: readonly string[]; readonly cwd?: string }
  /** the texts themselves; `path` names each in diagnostics and resolves keyring paths */
  | { readonly sources: readonly SourceInput[] };

export interface CompileResult {
  /** null when there is any error */
  readonly policy: CompiledPolicy | null;
  readonly diagnostics: readonly Diagnostic[];
  /** the texts read, by path, for rendering the diagnostics (`formatDiagnostics`) */
  readonly sources: ReadonlyMap<string, SourceFile>;
}

export function compilePolicy(input: PolicyInput, options: CheckOptions = {}): CompileResult {
  const texts: SourceInput[] = [];
  const unreadable: Diagnostic[] = [];
  let checkOptions = options;
  if ("files" in input) {
    const cwd = input.cwd;
    const resolve = (p: string): string => (cwd === undefined ? p : pathResolve(cwd, p));
    if (cwd !== undefined && options.readFile === undefined) {
      checkOptions = { ...options, readFile: (p) => defaultReadFile(resolve(p)) };
    }
    for (const path of input.files) {
      const text = defaultReadFile(resolve(path));
      if (text instanceof Error) unreadable.push(diagnostic(Diagnostics.unreadableFile, { start: 0, end: 0 }, [path, text.message], { file: path }));
      else texts.push({ path, text });
    }
  } else {
    texts.push(...input.sources);
  }
  const sources = new Map(texts.map((t) => [t.path, new SourceFile(t.path, t.text)]));
  if (unreadable.length > 0) return { policy: null, diagnostics: unreadable, sources };
  const built = buildPolicy(texts, checkOptions);
  for (const s of built.sources) if (!sources.has(s.path)) sources.set(s.path, new SourceFile(s.path, s.text));
  return { policy: built.policy, diagnostics: built.diagnostics, sources };
}

/** Diagnostics as text, with the underlined source lines. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceFile>): string {
  return renderDiagnostics(diagnostics, sources);
}
