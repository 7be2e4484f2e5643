// The public embedding API. Each stage adds its own export lines.

// SovereignIR (src/ir): canonical actions, digests, strict JSON, tool-call adapters
export { toSovereignIR, canonicalize, tryCanonicalize, digest, actionDigest, irDigest, parseJson, extractToolCalls, CanonicalizationError } from "./ir/index.ts";
export type { SovereignIR, IrAction, IrActor, JsonValue, JsonObject, IrError, IrSchema, ActionTypeSchema, RecordSchema, FieldSchema, FieldType, ToolMapper, ToolCall, BuildOptions, BuildResult } from "./ir/index.ts";

// Policies (src/check, src/compile, src/runtime/engine.ts): compile .xpol, decide statelessly, bundles
export { compilePolicy, formatDiagnostics } from "./policy.ts";
export { decide } from "./runtime/engine.ts";
export { toBundle, loadBundle, BUNDLE_FORMAT } from "./compile/bundle.ts";
export type { PolicyInput, CompileResult } from "./policy.ts";
export type { CompiledPolicy, CounterSpec } from "./compile/policy-compiler.ts";
export type { DecideOptions, CounterValues, EvaluateOptions, CountersResult } from "./runtime/engine.ts";
export type { Bundle } from "./compile/bundle.ts";
export type { Decision, Effect, Tier, ApprovalRequirement, ContributingRule } from "./runtime/decision.ts";
export type { Diagnostic, Severity } from "./diagnostics/diagnostic.ts";
