// Source texts -> parsed -> checked -> compiled (for bundles, whose sources are already in memory): the shared
// pipeline (pipeline.ts) on texts, so a bundle's sources are judged exactly as the files they came from.
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import type { CheckOptions } from "../check/policy-checker.ts";
import type { PolicySource } from "../check/policy-symbols.ts";
import { runPolicyPipeline, type SourceInput } from "./pipeline.ts";
import type { CompiledPolicy } from "../engine/plan.ts";


export interface BuildResult {
  /** null when any stage reported an error */
  readonly policy: CompiledPolicy | null;
  /** syntax errors first, then type errors and warnings */
  readonly diagnostics: Diagnostic[];
  /** every text read (files, stdlib modules, keyrings), for rendering the diagnostics */
  readonly sources: readonly PolicySource[];
}

export function buildPolicy(sources: readonly SourceInput[], options: CheckOptions = {}): BuildResult {
  const r = runPolicyPipeline({ sources }, options);
  return { policy: r.policy, diagnostics: r.diagnostics, sources: r.read };
}
