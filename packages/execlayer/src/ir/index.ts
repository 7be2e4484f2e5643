// SovereignIR: the public surface of the IR stage (see README.md beside this file).
export * from "./types.ts";
export { type IrError, type IrResult } from "./errors.ts";
export { canonicalize, tryCanonicalize, digest, sha256Text, CanonicalizationError, MAX_CANONICAL_DEPTH } from "./canonicalize.ts";
export { actionDigest, irDigest, digestsOf, actionDigestPreimage, ACTION_DIGEST_KIND, IR_DIGEST_KIND, type IrDigests } from "./digest.ts";
export { parseJson, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, type ParseJsonOptions } from "./json.ts";
export * from "./schema.ts";
export { foldName, NameIndex, ToolNameIndex, type ToolResolution } from "./names.ts";
export { resolveTypeName } from "./normalize.ts";
export { canonicalTimestamp, canonicalDuration, canonicalBase64, exactInteger, timestampFromEpochMs } from "./values.ts";
export {
  extractToolCalls,
  mapToolCall,
  resolveTool,
  type ToolCall,
  type ToolCallFormat,
  type ToolMapper,
  type MappedAction,
  type AdapterLimits,
} from "./adapters.ts";
export { toSovereignIR, type BuildOptions, type BuildResult } from "./build.ts";
