// Errors of the IR stage are values: a stable XP4xxx code, a message from the catalogue and the JSON path of the
// offending value, so a caller can point at it without re-parsing anything.
import type { DiagnosticDef } from "../diagnostics/diagnostic.ts";
import type { Result } from "../vocabulary/result.ts";

export interface IrError {
  /** stable code from the diagnostics catalogue (XP4xxx) */
  readonly code: `XP4${string}`;
  /** lowercase, no final period, user input in backticks */
  readonly message: string;
  /** JSON path of the offending value in the input: `$`, `$.action.params.amount`, `$.items[3]`, `$["a b"]` */
  readonly path: string;
  /** UTF-16 offset into the JSON text, for errors found while parsing text */
  readonly offset?: number;
  readonly help?: string;
}

export type IrResult<T> = Result<T, IrError>;

export function irError<A extends readonly unknown[]>(
  def: DiagnosticDef<A>,
  path: string,
  args: A,
  extras: { readonly offset?: number; readonly help?: string | undefined } = {},
): IrError {
  const e: { -readonly [K in keyof IrError]: IrError[K] } = {
    code: def.code as IrError["code"],
    message: def.message(...args),
    path,
  };
  if (extras.offset !== undefined) e.offset = extras.offset;
  if (extras.help !== undefined) e.help = extras.help;
  return e;
}

export function fail<A extends readonly unknown[]>(
  def: DiagnosticDef<A>,
  path: string,
  args: A,
  extras?: { readonly offset?: number; readonly help?: string | undefined },
): { readonly ok: false; readonly error: IrError } {
  return { ok: false, error: irError(def, path, args, extras) };
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `$.a`, `$["a b"]`: the JSONPath member step for `key`. */
export function pathKey(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(show(key, 80))}]`;
}

export function pathIndex(path: string, index: number): string {
  return `${path}[${index}]`;
}

/**
 * A JSON path built lazily: one small object per step, rendered to `$.a.b[0]` only when an error needs it.
 */
export type Path = string | { readonly parent: Path; readonly key: string | number };

export const at = (parent: Path, key: string | number): Path => ({ parent, key });

export function render(path: Path): string {
  if (typeof path === "string") return path;
  const base = render(path.parent);
  return typeof path.key === "number" ? pathIndex(base, path.key) : pathKey(base, path.key);
}

/** `inner` is a path inside a value found at `outer` (e.g. a JSON string that was parsed): one path from the root. */
export function pathJoin(outer: string, inner: string): string {
  return outer + inner.slice(1);
}

/** User input shown in a message: at most `max` characters, so a 1 MiB key makes a short error. */
export function show(text: string, max = 64): string {
  if (text.length <= max) return text;
  // never cut a surrogate pair in two: a lone surrogate in a reason made its receipt unwritable (strict JSON)
  const cut = max > 0 && /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, cut)}…`;
}

/** `a`, `b` and `c` / `(none)`: a list of names in backticks for messages. */
export function listNames(names: readonly string[], max = 12): string {
  if (names.length === 0) return "(none)";
  const shown = names.slice(0, max).map((n) => `\`${show(n)}\``);
  return names.length > max ? `${shown.join(", ")} and ${names.length - max} more` : shown.join(", ");
}

/** How a value looks in "expected X, found Y". */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return `string \`${show(value, 40)}\``;
    case "number":
      return `number ${String(value)}`;
    case "boolean":
      return `bool ${String(value)}`;
    case "bigint":
      return `integer ${show(value.toString(), 40)}`;
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}
