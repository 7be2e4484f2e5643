// compilePolicy: the one-call way from `.xpol` files (or texts) to a CompiledPolicy, with every diagnostic.
//
//   const { policy, diagnostics } = compilePolicy({ files: ["policies/invoices.xpol"] });
//   if (policy === null) throw new Error(formatDiagnostics(diagnostics, sources));
//   const decision = decide(policy, proposal, { actor: { agent: "invoice-bot" } });
//
// It runs the same pipeline as `xpol check` and `xpol compile` (pipeline.ts), so it reports what they report.
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { renderDiagnostics } from "../diagnostics/render.ts";
import type { SourceFile } from "../diagnostics/source.ts";
import type { CheckOptions } from "../check/policy-checker.ts";
import { runPolicyPipeline, type PolicyInput } from "./pipeline.ts";
import type { CompiledPolicy } from "../engine/plan.ts";


export interface CompileResult {
  /** null when there is any error */
  readonly policy: CompiledPolicy | null;
  readonly diagnostics: readonly Diagnostic[];
  /** the texts read, by path, for rendering the diagnostics (`formatDiagnostics`) */
  readonly sources: ReadonlyMap<string, SourceFile>;
}

export function compilePolicy(input: PolicyInput, options: CheckOptions = {}): CompileResult {
  const r = runPolicyPipeline(input, options);
  return { policy: r.policy, diagnostics: r.diagnostics, sources: r.sources };
}

/** Diagnostics as text, with the underlined source lines. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceFile>): string {
  return renderDiagnostics(diagnostics, sources);
}
