import type { Span } from "../vocabulary/span.ts";
// Diagnostics are data: detected by each stage, rendered in one place (render.ts).

export type Severity = "error" | "warning" | "info";

export interface RelatedInformation {
  readonly message: string;
  readonly span: Span;
  /** defaults to the diagnostic's own file */
  readonly file?: string;
}

export interface Diagnostic {
  /** stable code from the catalogue, e.g. XP1001 */
  readonly code: string;
  readonly severity: Severity;
  /** lowercase, no final period, user input in backticks */
  readonly message: string;
  readonly span: Span;
  /** path of the source file, when known */
  readonly file?: string;
  readonly help?: string;
  readonly related?: readonly RelatedInformation[];
}

/** One entry of the catalogue: a code, a severity and a message builder with typed arguments. */
export interface DiagnosticDef<A extends readonly unknown[]> {
  readonly code: string;
  readonly severity: Severity;
  readonly message: (...args: A) => string;
}

export function defineDiagnostic<A extends readonly unknown[]>(
  code: string,
  severity: Severity,
  message: (...args: A) => string,
): DiagnosticDef<A> {
  return { code, severity, message };
}

export interface DiagnosticExtras {
  readonly help?: string;
  readonly related?: readonly RelatedInformation[];
  readonly file?: string;
}

/** Builds a diagnostic from a catalogue entry. */
export function diagnostic<A extends readonly unknown[]>(
  def: DiagnosticDef<A>,
  span: Span,
  args: A,
  extras: DiagnosticExtras = {},
): Diagnostic {
  const d: { -readonly [K in keyof Diagnostic]: Diagnostic[K] } = {
    code: def.code,
    severity: def.severity,
    message: def.message(...args),
    span,
  };
  if (extras.file !== undefined) d.file = extras.file;
  if (extras.help !== undefined) d.help = extras.help;
  if (extras.related !== undefined && extras.related.length > 0) d.related = extras.related;
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
