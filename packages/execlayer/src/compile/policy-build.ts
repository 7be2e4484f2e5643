// Sources -> parsed -> checked -> compiled, in one call, with every diagnostic of every stage.
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { hasErrors } from "../diagnostics/diagnostic.ts";
import { checkPolicy, type CheckOptions } from "../check/policy-checker.ts";
import { parsePolicySource } from "../check/policy-parse.ts";
import type { PolicySource } from "../check/policy-symbols.ts";
import { compileCheckedPolicy } from "./policy-compiler.ts";
import type { CompiledPolicy } from "../engine/plan.ts";

export interface SourceInput {
  readonly path: string;
  readonly text: string;
}

export interface BuildResult {
  /** null when any stage reported an error */
  readonly policy: CompiledPolicy | null;
  /** syntax errors first, then type errors and warnings */
  readonly diagnostics: Diagnostic[];
  /** every text read (files, stdlib modules, keyrings), for rendering the diagnostics */
  readonly sources: readonly PolicySource[];
}

export function buildPolicy(sources: readonly SourceInput[], options: CheckOptions = {}): BuildResult {
  const parsed = sources.map((s) => parsePolicySource(s.path, s.text));
  const diagnostics = parsed.flatMap((p) => p.diagnostics);
  const checked = checkPolicy(
    parsed.map((p) => p.file),
    options,
  );
  diagnostics.push(...checked.diagnostics);
  const read = checked.sources;
  if (hasErrors(diagnostics) || checked.checked === null) return { policy: null, diagnostics, sources: read };
  return { policy: compileCheckedPolicy(checked.checked), diagnostics, sources: read };
}
