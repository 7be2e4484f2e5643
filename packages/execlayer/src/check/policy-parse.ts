// Source text -> ParsedFile, the checker's input (the parser keeps going after errors; so does the checker).
import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import { parsePolicy } from "../syntax/parse.ts";
import type { ParsedFile } from "./policy-symbols.ts";

export function parsePolicySource(path: string, text: string): { file: ParsedFile; diagnostics: Diagnostic[] } {
  const parsed = parsePolicy(text, path);
  return { file: { path, text, ast: parsed.ast }, diagnostics: parsed.diagnostics };
}
