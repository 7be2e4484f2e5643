// The public embedding API. Each stage adds its own export lines.

// Syntax (src/syntax): the .xpol and CEL parsers, the AST
export { parsePolicy, parseExpression, MAX_NESTING, MAX_EXPR_DEPTH, MAX_TOKENS } from "./syntax/parse.ts";
export type { ParsedPolicy, ParsedExpression, Comment } from "./syntax/parse.ts";
export type { PolicyFile, Declaration, Expr } from "./syntax/ast.ts";
export type { Span } from "./vocabulary/span.ts";

// SovereignIR (src/ir): canonical actions, digests, strict JSON, tool-call adapters
export { toSovereignIR, canonicalize, tryCanonicalize, digest, actionDigest, irDigest, parseJson, extractToolCalls, CanonicalizationError } from "./ir/index.ts";
export type { SovereignIR, IrAction, IrActor, JsonValue, JsonObject, IrError, IrSchema, ActionTypeSchema, RecordSchema, FieldSchema, FieldType, ToolMapper, ToolCall, BuildOptions, BuildResult } from "./ir/index.ts";

// Policies (src/check, src/compile, src/engine/engine.ts): compile .xpol, decide statelessly, bundles
export { compilePolicy, formatDiagnostics } from "./compile/load.ts";
export { decide } from "./engine/engine.ts";
export { toBundle, loadBundle, BUNDLE_FORMAT } from "./compile/bundle.ts";
export type { PolicyInput, CompileResult } from "./compile/load.ts";
export type { CompiledPolicy, CounterSpec, CounterValues, EvaluateOptions, CountersResult } from "./engine/plan.ts";
export type { DecideOptions } from "./engine/engine.ts";
export type { Bundle } from "./compile/bundle.ts";
export type { Decision, Effect, Tier, ApprovalRequirement, ContributingRule } from "./vocabulary/decision.ts";
export type { Diagnostic, Severity } from "./diagnostics/diagnostic.ts";

// CEL expressions (src/cel/checker.ts, src/cel/planner.ts, src/cel): types, checking, closures, values
export { checkExpression, TypeEnv } from "./cel/checker.ts";
export { compileExpression, DEFAULT_COST_LIMIT } from "./cel/planner.ts";
export { T as CelTypes, listType, mapType, recordType, formatType } from "./cel/types.ts";
export { CelError, CelDuration, CelMap, CelRecord, CelTimestamp, CelTypeValue, CelUint, fromJson, toJson } from "./cel/index.ts";
export type { CheckedExpr, CheckOptions, CheckResult } from "./cel/checker.ts";
export type { Activation, CompiledExpression, CompileOptions } from "./cel/planner.ts";
export type { CelType, RecordType } from "./cel/types.ts";
export type { CelValue, CelResult, CelErrorKind, FunctionDecl, Overload } from "./cel/index.ts";

// Runtime (src/runtime, src/store): the stateful Enforcer, counters, M-of-N signed approvals, state stores
export { Enforcer, decisionToJson } from "./runtime/enforcer.ts";
export { PolicyDenied, ApprovalRequired } from "./runtime/guard.ts";
export { enforceableFrom, redactSensitive } from "./engine/enforceable.ts";
export { signApproval, approvalStatementBytes, parseSignedApproval, verifyApproval, APPROVAL_DOMAIN } from "./runtime/approvals.ts";
export { submitApprovalTo } from "./runtime/submit-approval.ts";
export { MemoryStore } from "./store/memory.ts";
export { MemoryJournal } from "./store/memory-journal.ts";
export { DurableStore } from "./store/durable.ts";
export { StoreError } from "./runtime/store.ts";
export type { EnforcerOptions, Clock } from "./runtime/enforcer.ts";
export type { EnforcerDecision } from "./runtime/outcome.ts";
export type { ApprovalRequestInfo, ApprovalSubmission } from "./runtime/submit-approval.ts";
export type { GuardOptions } from "./runtime/guard.ts";
export type { DecideContext, EnforceablePolicy } from "./engine/enforceable.ts";
export type { ApprovalRequest, ApprovalStatement, SignedApproval, ApprovalError, ApprovalErrorKind, RequestStatus, Verdict } from "./runtime/approvals.ts";
export type { CounterUse } from "./engine/counters.ts";
export type { WindowSpec, CalendarUnit } from "./vocabulary/windows.ts";
export type { StateStore, StateChange, TxScope, TxStep, TxOutcome, StateView, Journal } from "./runtime/store.ts";
export type { DurableStoreOptions } from "./store/durable.ts";

// Receipts (src/receipts): Ed25519 keys and signing, the one verification rule, receipts, the receipt log, RFC 9162 proofs, C2SP checkpoints, offline verification
export { generateKeyPair, keyPairFromSeed, keyIdOf, formatPublicKey, parsePublicKey, readPrivateKeyFile, writeKeyFiles, resolvePublicKey } from "./receipts/keys.ts";
export { NobleSigner, NativeSigner, createSigner } from "./receipts/signer.ts";
export { SigningPool } from "./receipts/signing-pool.ts";
export { verifySignature } from "./receipts/verify-signature.ts";
export { signReceipt, parseReceiptLine, verifyReceiptSignature, signingMessage, GENESIS_PREV, RECEIPT_PAYLOAD_TYPE } from "./receipts/receipt.ts";
export { ReceiptLog, ReceiptLogError } from "./receipts/log.ts";
export { readReceipts } from "./receipts/read.ts";
export { verifyLog } from "./receipts/verify-log.ts";
export { proveReceipt, verifyReceiptProof, PROOF_FORMAT } from "./receipts/proof.ts";
export { signCheckpoint, verifyCheckpoint, noteVerifierKey } from "./receipts/checkpoint.ts";
export { CompactTree, leafHash, inclusionProof, consistencyProof, verifyInclusion, verifyConsistency } from "./receipts/merkle.ts";
export type { KeyPair } from "./receipts/keys.ts";
export type { Signer, SignerKind } from "./receipts/signer.ts";
export type { Receipt, ReceiptKind } from "./receipts/receipt.ts";
export type { ReceiptLogOptions, LogHead, AppendResult, AppendedReceipt, OpenReport } from "./receipts/log.ts";
export type { SigningPoolOptions } from "./receipts/signing-pool.ts";
export type { ReadItem } from "./receipts/read.ts";
export type { VerifyLogResult, VerifyLogOptions } from "./receipts/verify-log.ts";
export type { ReceiptProofBundle } from "./receipts/proof.ts";
export type { Checkpoint } from "./receipts/checkpoint.ts";
export type { ReceiptProblem } from "./receipts/scan.ts";

// Policy tests (src/testing): test and property blocks, schema-derived fast-check arbitraries, coverage; the formatter (src/format)
export { runPolicyTests, findPolicySets, testPolicySet, arbitraryAction, arbitraryActor, arbitraryContext, arbitraryProposal, DEFAULT_TEST_TIME, DEFAULT_AGENT } from "./testing/index.ts";
export { formatPolicy } from "./format/index.ts";
export type { RunOptions, PolicyTestRun, PolicySet, GeneratedAction, CaseResult, CaseStatus, PolicyTestReport, CoverageReport, CoverageItem, FileCoverage } from "./testing/index.ts";
export type { FormatResult } from "./format/index.ts";
