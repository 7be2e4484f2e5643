// The one place diagnostics become text or JSON.
import type { Diagnostic } from "./diagnostic.ts";
import { SourceFile, type Position } from "./source.ts";

export interface RenderOptions {
  /** how many characters of a long source line to show around the caret */
  readonly maxLineWidth?: number;
  /** other files by path, so a related note that points into another file shows its line and column */
  readonly sources?: ReadonlyMap<string, SourceFile>;
}

/**
 * error[XP1001]: unexpected `}`, expected an expression
 *   --> policy.xpol:3:12
 *    |
 *  3 |   when x > }
 *    |            ^
 *    = help: ...
 */
export function renderDiagnostic(d: Diagnostic, source: SourceFile | undefined, options: RenderOptions = {}): string {
  const out: string[] = [`${d.severity}[${d.code}]: ${d.message}`];
  if (source === undefined) {
    // no text to place it in: a whole-file diagnostic (an unreadable file) names the file alone
    const whole = d.span.start === 0 && d.span.end === 0;
    out.push(`  --> ${d.file ?? "<input>"}${whole ? "" : `:@${d.span.start}`}`);
  } else {
    const start = source.position(d.span.start);
    const end = source.position(Math.max(d.span.start, d.span.end));
    out.push(`  --> ${source.path}:${start.line}:${start.column}`);
    out.push(...snippet(source, start, end, options.maxLineWidth ?? 160));
  }
  for (const r of d.related ?? []) {
    // a note without a file points into the diagnostic's own source
    const where = r.file === undefined || r.file === source?.path ? source : options.sources?.get(r.file);
    if (where !== undefined) {
      const p = where.position(r.span.start);
      out.push(`   = note: ${r.message} (${where.path}:${p.line}:${p.column})`);
    } else {
      out.push(`   = note: ${r.message} (${r.file ?? "<input>"}:@${r.span.start})`);
    }
  }
  if (d.help !== undefined) out.push(`   = help: ${d.help}`);
  return out.join("\n");
}

function snippet(source: SourceFile, start: Position, end: Position, maxWidth: number): string[] {
  const lineNo = String(start.line);
  const gutter = " ".repeat(lineNo.length);
  let text = source.lineText(start.line);
  let caretCol = start.column - 1;
  let width = end.line === start.line ? Math.max(1, end.column - start.column) : Math.max(1, text.length - caretCol);
  // Keep very long lines (minified input, a 10 MB single line) readable: a window around the caret.
  if (text.length > maxWidth) {
    const from = Math.max(0, caretCol - Math.floor(maxWidth / 2));
    text = (from > 0 ? "…" : "") + text.slice(from, from + maxWidth) + (from + maxWidth < text.length ? "…" : "");
    caretCol = caretCol - from + (from > 0 ? 1 : 0);
    width = Math.min(width, maxWidth);
  }
  // Control characters (binary input) would garble a terminal; show them as a replacement character.
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "\ufffd").replace(/\t/g, " ");
  width = Math.max(1, Math.min(width, Math.max(1, text.length - caretCol)));
  return [
    `${gutter} |`,
    `${lineNo} | ${text}`,
    `${gutter} | ${" ".repeat(Math.max(0, caretCol))}${"^".repeat(width)}`,
  ];
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceFile>): string {
  return diagnostics.map((d) => renderDiagnostic(d, d.file === undefined ? undefined : sources.get(d.file), { sources })).join("\n\n");
}

export interface DiagnosticJson {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly file: string | null;
  readonly start: { readonly offset: number; readonly line: number; readonly column: number };
  readonly end: { readonly offset: number; readonly line: number; readonly column: number };
  readonly help: string | null;
  readonly related: readonly { readonly message: string; readonly offset: number }[];
}

export function diagnosticToJson(d: Diagnostic, source: SourceFile | undefined): DiagnosticJson {
  const s = source?.position(d.span.start) ?? { line: 0, column: 0 };
  const e = source?.position(d.span.end) ?? { line: 0, column: 0 };
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file ?? source?.path ?? null,
    start: { offset: d.span.start, line: s.line, column: s.column },
    end: { offset: d.span.end, line: e.line, column: e.column },
    help: d.help ?? null,
    related: (d.related ?? []).map((r) => ({ message: r.message, offset: r.span.start })),
  };
}
