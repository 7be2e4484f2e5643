// Reading a text file, and how a failed file operation reads in a diagnostic or a CLI message: the errno code
// (`ENOENT`) when there is one, else the message. One place, so every stage reads and words files the same way.
import { readFileSync } from "node:fs";

export function fileErrorReason(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : e instanceof Error ? e.message : String(e);
}

const FILE_ERROR_WORDS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many symbolic links",
  EMFILE: "too many open files",
};

/** A `fileErrorReason` in words for a diagnostic: `no such file (ENOENT)`; other reasons as they are. */
export function explainFileError(reason: string): string {
  const words = FILE_ERROR_WORDS[reason];
  return words === undefined ? reason : `${words} (${reason})`;
}

/** Strict UTF-8 (a leading BOM is dropped), or null when the bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** A file's text, strictly UTF-8, or an Error saying why not (`fileErrorReason`, or `not valid UTF-8`). */
export function readUtf8File(path: string): string | Error {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e: unknown) {
    return new Error(fileErrorReason(e));
  }
  return decodeUtf8(bytes) ?? new Error("not valid UTF-8");
}
