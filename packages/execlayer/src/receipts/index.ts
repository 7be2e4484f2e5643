// `execlayer/receipts`: what an auditor's tool needs to check a receipt log without the runtime. Reading, verifying
// signatures, chains, checkpoints and inclusion or consistency proofs, and the proof of one receipt an operator hands
// an auditor (`proveReceipt`); nothing here decides or writes state.
export { formatPublicKey, parsePublicKey, keyIdOf, resolvePublicKey } from "./keys.ts";
export { verifySignature } from "./verify-signature.ts";
export { parseReceiptLine, verifyReceiptSignature, signingMessage, receiptHash, GENESIS_PREV, RECEIPT_PAYLOAD_TYPE } from "./receipt.ts";
export { RECEIPTS_FILE, CHECKPOINTS_FILE } from "./scan.ts";
export { readReceipts } from "./read.ts";
export { verifyLog } from "./verify-log.ts";
export { checkSensitiveValue, parseRedactionKeyFile, redactionKeyFromBytes, SENSITIVE_COMMITMENT_SCHEME } from "./redaction.ts";
export type { RedactionKey, SensitiveCheck } from "./redaction.ts";
export { proveReceipt, proveConsistency, verifyReceiptProof, PROOF_FORMAT } from "./proof.ts";
export { verifyCheckpoint, noteVerifierKey } from "./checkpoint.ts";
export { leafHash, verifyInclusion, verifyConsistency } from "./merkle.ts";
export type { Receipt, ReceiptKind, SkimmedFields } from "./receipt.ts";
export type { ReadItem } from "./read.ts";
export type { VerifyLogResult, VerifyLogOptions } from "./verify-log.ts";
export type { ReceiptProofBundle, ConsistencyProofBundle } from "./proof.ts";
export type { Checkpoint } from "./checkpoint.ts";
export type { ReceiptProblem } from "./scan.ts";
