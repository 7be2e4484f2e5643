// The core's own code the console runs in the browser, from the `execlayer` and `execlayer/receipts` entries: the
// approval statement and its bytes, the key file parser, the Ed25519 signer, and the receipt verifiers. So the page
// signs exactly the bytes `xpol sign` signs and checks receipts exactly as `xpol verify` does.
export { approvalStatementBytes, formatPublicKey, keyIdOf, NobleSigner, parsePrivateKeyFile, signApproval } from "execlayer";
export type { KeyPair, SignedApproval } from "execlayer";
export { GENESIS_PREV, parsePublicKey, parseReceiptLine, receiptHash, verifyCheckpoint, verifyConsistency, verifyReceiptProof, verifyReceiptSignature } from "execlayer/receipts";
export type { Checkpoint, Receipt } from "execlayer/receipts";
