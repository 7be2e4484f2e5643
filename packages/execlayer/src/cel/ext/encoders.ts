// CEL's encoders extension (cel-go ext/encoders.go): base64.encode(bytes) -> string with padding, and
// base64.decode(string) -> bytes, which accepts the text with or without its padding and rejects anything else.
import { T } from "../types.ts";
import { celErrors } from "../errors.ts";
import type { CelResult, CelValue } from "../values.ts";
import { globalFn } from "./decl.ts";
import type { FunctionDecl } from "../functions.ts";

const STD = /^[A-Za-z0-9+/]*$/;

/** Standard base64 (RFC 4648 §4), padded or not; Buffer's own decoder would skip invalid characters silently. */
export function decodeBase64(text: string): CelResult {
  let body = text;
  if (body.length % 4 === 0 && body.endsWith("=")) body = body.endsWith("==") ? body.slice(0, -2) : body.slice(0, -1);
  if (!STD.test(body) || body.length % 4 === 1) return celErrors.invalidArgument(`illegal base64 data in \`${text.length > 40 ? text.slice(0, 40) + "..." : text}\``);
  return new Uint8Array(Buffer.from(body, "base64"));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const scan = (args: readonly CelValue[]) => 1 + (((args[0] as string | Uint8Array).length * 2) >>> 3);

export const ENCODER_FUNCTIONS: readonly FunctionDecl[] = [
  globalFn("base64.encode", [{ id: "base64_encode_bytes", params: [T.bytes], result: T.string, impl: (b) => encodeBase64(b as Uint8Array), cost: scan }]),
  globalFn("base64.decode", [{ id: "base64_decode_string", params: [T.string], result: T.bytes, impl: (s) => decodeBase64(s as string), cost: scan }]),
];
