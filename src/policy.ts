// compilePolicy: the one-call way from `.xpol` files (or texts) to a CompiledPolicy, with every diagnostic.
//
//   const { policy, diagnostics } = compilePolicy({ files: ["policies/invoices.xpol"] });
//   if (policy === null) throw new Error(formatDiagnostics(diagnostics, sources));
//   const decision = decide(policy, proposal, { actor: { agent: "invoice-bot" } });
import { readFileSync } from "node:fs";
import { diagnostic, type Diagnostic } from "./diagnostics/diagnostic.ts";
import { Diagnostics } from "./diagnostics/catalogue.ts";
import { renderDiagnostics } from "./diagnostics/render.ts";
import { SourceFile } from "./diagnostics/source.ts";
import type { CheckOptions } from "./check/policy-checker.ts";
import { buildPolicy, type SourceInput } from "./compile/policy-build.ts";
import type { CompiledPolicy } from "./compile/policy-compiler.ts";

export type PolicyInput =
  /** paths of `.xpol` files that together form one policy (e.g. `invoices.xpol` and `invoices.test.xpol`) */
  | { readonly files: readonly string[] }
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
  if ("files" in input) {
    for (const path of input.files) {
      try {
        texts.push({ path, text: readFileSync(path, "utf8") });
      } catch (e: unknown) {
        const code = (e as { code?: unknown }).code;
        const why = typeof code === "string" ? code : e instanceof Error ? e.message : String(e);
        unreadable.push(diagnostic(Diagnostics.unreadableFile, { start: 0, end: 0 }, [path, why], { file: path }));
      }
    }
  } else {
    texts.push(...input.sources);
  }
  const sources = new Map(texts.map((t) => [t.path, new SourceFile(t.path, t.text)]));
  if (unreadable.length > 0) return { policy: null, diagnostics: unreadable, sources };
  const built = buildPolicy(texts, options);
  return { policy: built.policy, diagnostics: built.diagnostics, sources };
}

/** Diagnostics as text, with the underlined source lines. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceFile>): string {
  return renderDiagnostics(diagnostics, sources);
}
