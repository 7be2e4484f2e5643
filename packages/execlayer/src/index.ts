// `execlayer`: the embedding API. Compile a policy, decide, enforce with state and signed approvals, keep receipts.
// Auditors' tools import `execlayer/receipts`; policy tests and arbitraries are `execlayer/testing`. What is not
// exported here is internal and may change in any release (etc/*.api.md is the reviewed surface).

// Policies: .xpol files -> a compiled policy with every diagnostic; stateless decisions; bundles
export { compilePolicy, formatDiagnostics } from "./compile/load.ts";
export { decide } from "./engine/engine.ts";
export { toBundle, loadBundle, BUNDLE_FORMAT } from "./compile/bundle.ts";
export { POLICY_DIGEST_KIND, policyDigestDocument } from "./compile/policy-digest.ts";
export { formatPolicy } from "./format/index.ts";
export type { CompileResult } from "./compile/load.ts";
export type { PolicyInput, SourceInput } from "./compile/pipeline.ts";
export type { CompiledPolicy, CounterSpec, CounterValues, EvaluateOptions, CountersResult } from "./engine/plan.ts";
export type { DecideOptions } from "./engine/engine.ts";
export type { DecideContext, EnforceablePolicy, IrBuild } from "./engine/enforceable.ts";
export type { Bundle } from "./compile/bundle.ts";
export type { FormatResult } from "./format/index.ts";
export type { Decision, Effect, Tier, ApprovalRequirement, ContributingRule } from "./vocabulary/decision.ts";
export { windowLabel } from "./vocabulary/windows.ts";
export type { WindowSpec, CalendarUnit } from "./vocabulary/windows.ts";
export type { CounterUse } from "./engine/counters.ts";
export type { Result } from "./vocabulary/result.ts";
export type { Span } from "./vocabulary/span.ts";
export type { Diagnostic, Severity, RelatedInformation, DiagnosticDef } from "./diagnostics/diagnostic.ts";
export { ServiceDiagnostics } from "./diagnostics/service.ts";
export type { ServiceDiagnosticCatalogue } from "./diagnostics/service.ts";
export type { SourceFile } from "./diagnostics/source.ts";

// SovereignIR: canonical actions, digests, strict JSON, tool-call shapes
export { toSovereignIR, canonicalize, tryCanonicalize, digest, actionDigest, irDigest, parseJson, extractToolCalls, CanonicalizationError } from "./ir/index.ts";
export type { SovereignIR, IrAction, IrActor, JsonValue, JsonObject, IrError, IrResult, IrSchema, ActionTypeSchema, RecordSchema, FieldSchema, FieldType, ToolMapper, ToolCall, BuildOptions, BuildResult } from "./ir/index.ts";

// Runtime: the stateful Enforcer, guarded tools, M-of-N signed approvals, stores
export { Enforcer, BundleRefused } from "./runtime/enforcer.ts";
export { signBundle, verifyBundle, parseBundleSigners, bundleStatementBytes, BUNDLE_APPROVAL_DOMAIN } from "./runtime/bundle-approvals.ts";
export type { BundleStatement, SignedBundleApproval, BundleSigner, BundleApproval, VerifiedBundle } from "./runtime/bundle-approvals.ts";
export { decisionToJson } from "./runtime/receipt-body.ts";
export { PolicyDenied, ApprovalRequired } from "./runtime/guard.ts";
export { CallDecisions, toolRefusal } from "./runtime/call-decisions.ts";
export { enforceableFrom, redactSensitive } from "./engine/enforceable.ts";
export { generateRedactionKey, redactionKeyFromBytes, readRedactionKeyFile, writeRedactionKeyFile, commitSensitive, checkSensitiveValue, SENSITIVE_COMMITMENT_SCHEME } from "./receipts/redaction.ts";
export type { RedactionKey, SensitiveCommitter, SensitiveCheck } from "./receipts/redaction.ts";
export { principalKeyring, parsePrincipalKeyring, filePrincipalKeyring, PRINCIPAL_KEYRING_FILE } from "./runtime/principal-keyring.ts";
export type { PrincipalKeyring } from "./runtime/principal-keyring.ts";
export { signApproval, approvalStatementBytes, parseSignedApproval, APPROVAL_DOMAIN } from "./runtime/approvals.ts";
export { submitApprovalTo, requestInfoToJson } from "./runtime/submit-approval.ts";
export { MemoryStore } from "./store/memory.ts";
export { MemoryJournal } from "./store/memory-journal.ts";
export { DurableStore } from "./store/durable.ts";
export { StoreError } from "./runtime/store.ts";
export type { EnforcerOptions, Clock, ShadowCount } from "./runtime/enforcer.ts";
export type { EnforcerDecision } from "./runtime/outcome.ts";
export type { ApprovalRequestInfo, ApprovalSubmission } from "./runtime/submit-approval.ts";
export type { GuardOptions } from "./runtime/guard.ts";
export type { ToolCallDecision } from "./runtime/tool-call.ts";
export type { ToolRefusal } from "./runtime/call-decisions.ts";
export type { ApprovalRequest, ApprovalStatement, SignedApproval, ApprovalError, ApprovalErrorKind, RequestStatus, Verdict } from "./runtime/approvals.ts";
export type { StateStore, StateChange, TxScope, TxStep, TxOutcome, StateView, Journal } from "./runtime/store.ts";
export type { DurableStoreOptions } from "./store/durable.ts";

// Stores kept outside the process (a SQL database: @execlayer/postgres): the runtime's state as rows, stepped with the
// runtime's one transaction sequence, and the signed receipt chain they store beside it
export { StateBatch, storeRefusal, databaseStoreError } from "./runtime/state-batch.ts";
export { ReceiptChain } from "./receipts/chain.ts";
export type { CounterRow, RequestRow, BatchStep } from "./runtime/state-batch.ts";
export type { StoreFailure, RequestSnapshot } from "./runtime/store.ts";
export type { ReceiptChainOptions, SealedReceipt, ChainCheckpoint } from "./receipts/chain.ts";

// Keys and signers: approvers' and the runtime's Ed25519 keys; receipts are signed by a Signer
export { generateKeyPair, keyPairFromSeed, keyIdOf, formatPublicKey, parsePublicKey, parsePrivateKeyFile, readPrivateKeyFile, writeKeyFiles } from "./receipts/keys.ts";
export { NobleSigner, NativeSigner, createSigner } from "./receipts/signer.ts";
export { SigningPool } from "./receipts/signing-pool.ts";
export type { KeyPair } from "./receipts/keys.ts";
export type { Signer, SignerKind } from "./receipts/signer.ts";
export type { SigningPoolOptions } from "./receipts/signing-pool.ts";
export type { Receipt, ReceiptKind } from "./receipts/receipt.ts";
