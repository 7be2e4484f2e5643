// The public embedding API. Each stage adds its own export lines.

// SovereignIR (src/ir): canonical actions, digests, strict JSON, tool-call adapters
export { toSovereignIR, canonicalize, tryCanonicalize, digest, actionDigest, irDigest, parseJson, extractToolCalls, CanonicalizationError } from "./ir/index.ts";
export type { SovereignIR, IrAction, IrActor, JsonValue, JsonObject, IrError, IrSchema, ActionTypeSchema, RecordSchema, FieldSchema, FieldType, ToolMapper, ToolCall, BuildOptions, BuildResult } from "./ir/index.ts";
