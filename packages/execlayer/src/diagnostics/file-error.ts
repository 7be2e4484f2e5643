// How a failed file operation reads in a diagnostic or a CLI message: the errno code (`ENOENT`) when there is one,
// else the message. One place, so every stage words the same failure the same way.
export function fileErrorReason(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : e instanceof Error ? e.message : String(e);
}
