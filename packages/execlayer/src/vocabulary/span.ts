// A stretch of source text as UTF-16 offsets. Diagnostics, the AST and CEL errors all point with it; line and column
// are computed only when a diagnostic is rendered.
export interface Span {
  /** offset of the first character */
  readonly start: number;
  /** offset one past the last character */
  readonly end: number;
}
