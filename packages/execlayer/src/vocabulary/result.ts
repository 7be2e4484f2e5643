// The one Result: what a fallible step returns on the hot path instead of throwing. Each layer names its error type
// (`IrResult<T> = Result<T, IrError>`); the shape is the same everywhere, so callers narrow with `r.ok` alike.
export type Result<T, E = string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
