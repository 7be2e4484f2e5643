// The one catalogue of diagnostics. Codes are stable: never renumber, never reuse a retired code.
// Ranges: XP1xxx syntax, XP2xxx expression types (CEL), XP3xxx policy checks, XP4xxx action input / SovereignIR,
// XP5xxx runtime (counters, approvals, stores), XP6xxx receipts and logs, XP7xxx policy tests and formatting,
// XP8xxx CLI and bundles. Each stage appends only inside its own section.
import { defineDiagnostic as def } from "./diagnostic.ts";

export const Diagnostics = {
  // --- XP1xxx syntax -------------------------------------------------------------------------------------------

  // --- XP2xxx expression types ---------------------------------------------------------------------------------

  // --- XP3xxx policy checks ------------------------------------------------------------------------------------
  unknownActionType: def("XP3001", "error", (name: string) => `unknown action type \`${name}\``),
  duplicateDeclaration: def("XP3002", "error", (kind: string, name: string) => `duplicate ${kind} \`${name}\``),
  reservedParamName: def("XP3003", "error", (name: string) => `a parameter cannot be named \`${name}\``),
  unknownTypeName: def("XP3004", "error", (name: string) => `unknown type \`${name}\``),
  invalidTierName: def("XP3005", "error", (name: string) => `\`${name}\` is not a tier`),
  actionWithoutTier: def("XP3006", "error", (action: string) => `action type \`${action}\` has no tier`),
  conflictingTiers: def("XP3007", "error", (action: string, a: string, b: string) => `action type \`${action}\` is given two tiers, ${a} and ${b}`),
  escalationLowersTier: def("XP3008", "error", (from: string, to: string) => `escalation from ${from} to ${to} lowers the tier`),
  escalationToSameTier: def("XP3009", "warning", (tier: string) => `escalation to ${tier} has no effect: the tier is already ${tier}`),
  tierTargetInTierDeclaration: def("XP3010", "error", () => `a tier declaration cannot target a tier`),
  targetMatchesNothing: def("XP3011", "error", (target: string) => `\`${target}\` matches no action type`),
  unknownGroup: def("XP3012", "error", (name: string) => `unknown approver group \`${name}\``),
  invalidApproverKey: def("XP3013", "error", (key: string, why: string) => `\`${key}\` is not a valid ed25519 public key: ${why}`),
  quorumTooLarge: def("XP3014", "error", (quorum: number, group: string, size: number) => `quorum ${quorum} is larger than group \`${group}\` (${size} member${size === 1 ? "" : "s"})`),
  quorumTooSmall: def("XP3015", "error", (quorum: number) => `quorum ${quorum} must be at least 1`),
  nonPositiveDuration: def("XP3016", "error", (text: string) => `\`${text}\` is not a positive duration`),
  unreadableKeyring: def("XP3017", "error", (path: string, why: string) => `cannot read keyring \`${path}\`: ${why}`),
  malformedKeyringLine: def("XP3018", "error", (path: string, line: number) => `malformed line ${line} in keyring \`${path}\``),
  emptyGroup: def("XP3019", "error", (name: string) => `approver group \`${name}\` has no members`),
  unknownModule: def("XP3020", "error", (name: string) => `unknown module \`${name}\``),
  unknownOption: def("XP3021", "error", (name: string) => `unknown option \`${name}\``),
  invalidOptionValue: def("XP3022", "error", (name: string, value: string) => `invalid value ${value} for option \`${name}\``),
  unknownParam: def("XP3023", "error", (action: string, param: string) => `action type \`${action}\` has no parameter \`${param}\``),
  missingParam: def("XP3024", "error", (action: string, param: string) => `required parameter \`${param}\` of \`${action}\` is not mapped`),
  incompatibleValue: def("XP3025", "error", (what: string, expected: string, actual: string) => `${what} expects ${expected}, found ${actual}`),
  enumMismatch: def("XP3026", "error", (value: string, field: string) => `${JSON.stringify(value)} is not a value of \`${field}\``),
  expectedBool: def("XP3027", "error", (what: string, actual: string) => `${what} must be a bool, found ${actual}`),
  invalidCounterExpression: def("XP3028", "error", (what: string, expected: string, actual: string) => `counter ${what} must be ${expected}, found ${actual}`),
  unknownCounter: def("XP3029", "error", (name: string) => `unknown counter \`${name}\``),
  unknownRecordField: def("XP3030", "error", (record: string, field: string) => `\`${record}\` has no field \`${field}\``),
  missingHeader: def("XP3031", "error", () => `the policy has no header`),
  multipleHeaders: def("XP3032", "error", (name: string) => `a second policy header \`${name}\``),
  invalidCalendarUnit: def("XP3033", "error", (unit: string) => `\`${unit}\` is not a calendar window`),
  missingTestParam: def("XP3034", "warning", (action: string, param: string) => `required parameter \`${param}\` of \`${action}\` is missing; the action will be denied as invalid input`),
  duplicateAlias: def("XP3035", "error", (alias: string, other: string) => `alias \`${alias}\` is already used by \`${other}\``),
  importCycle: def("XP3036", "error", (name: string) => `module \`${name}\` imports itself`),
  unknownTool: def("XP3037", "error", (name: string) => `unknown tool \`${name}\``),
  unknownAnnotation: def("XP3038", "warning", (name: string) => `unknown annotation \`@${name}\``),
  duplicateEnumValue: def("XP3039", "error", (value: string) => `duplicate enum value ${JSON.stringify(value)}`),
  invalidMapKeyType: def("XP3040", "error", (type: string) => `\`${type}\` cannot be a map key`),
  invalidTypeArity: def("XP3041", "error", (name: string) => `\`${name}\` needs type arguments`),
  invalidTestValue: def("XP3042", "error", (what: string) => `invalid test value: ${what}`),
  ruleNeverApplies: def("XP3050", "warning", (rule: string, why: string) => `rule \`${rule}\` never takes effect: ${why}`),
  conditionAlwaysFalse: def("XP3051", "warning", (rule: string) => `the condition of rule \`${rule}\` is always false`),
  unusedCounter: def("XP3052", "warning", (name: string) => `counter \`${name}\` is never read`),
  unusedGroup: def("XP3053", "warning", (name: string) => `approver group \`${name}\` is never used`),

  // --- XP4xxx action input / SovereignIR -----------------------------------------------------------------------
  // JSON text and values (src/ir/json.ts, src/ir/canonicalize.ts)
  irMalformedJson: def("XP4001", "error", (what: string) => `malformed JSON: ${what}`),
  irDuplicateKey: def("XP4002", "error", (key: string) => `duplicate key \`${key}\``),
  irPayloadTooLarge: def("XP4003", "error", (size: string, limit: number) => `payload of ${size} bytes is over the limit of ${limit} bytes`),
  irNestingTooDeep: def("XP4004", "error", (limit: number) => `nesting deeper than ${limit} levels`),
  irUnsafeInteger: def("XP4005", "error", (text: string) => `integer \`${text}\` is beyond ±2^53 and cannot be carried exactly`),
  irNotJson: def("XP4006", "error", (what: string) => `${what} is not a JSON value`),
  irLoneSurrogate: def("XP4007", "error", () => `string holds a lone surrogate, which is not valid Unicode`),
  // proposal shapes and tool calls (src/ir/adapters.ts, src/ir/build.ts)
  irUnrecognizedProposal: def("XP4010", "error", (found: string) => `unrecognized proposal: ${found}`),
  irMalformedToolCall: def("XP4011", "error", (format: string, what: string) => `malformed ${format} tool call: ${what}`),
  irUnmappedTool: def("XP4012", "error", (tool: string, mapped: string) => `no tool mapping for \`${tool}\`; mapped tools: ${mapped}`),
  irAmbiguousTool: def("XP4013", "error", (tool: string, candidates: string) => `tool name \`${tool}\` is ambiguous: it matches ${candidates}`),
  irToolMappingFailed: def("XP4014", "error", (tool: string, why: string) => `tool mapping for \`${tool}\` failed: ${why}`),
  irMultipleToolCalls: def("XP4015", "error", (count: number) => `proposal holds ${count} tool calls; submit each one separately`),
  irNoToolMapper: def("XP4016", "error", (tool: string) => `tool call \`${tool}\` cannot become an action: no tool mapper was given`),
  irNoToolCall: def("XP4017", "error", (where: string) => `${where} holds no tool call`),
  irUnexpectedKey: def("XP4018", "error", (key: string, where: string) => `unexpected key \`${key}\` in ${where}`),
  irConflictingProposal: def("XP4019", "error", (field: string) => `the proposal's \`${field}\` differs from the one the caller supplied`),
  // action types and fields (src/ir/normalize.ts)
  irUnknownActionType: def("XP4020", "error", (name: string) => `unknown action type \`${name}\``),
  irAmbiguousActionType: def("XP4021", "error", (name: string, candidates: string) => `action type \`${name}\` is ambiguous: it matches ${candidates}`),
  irMissingField: def("XP4022", "error", (field: string, where: string) => `missing required field \`${field}\` of ${where}`),
  irUndeclaredField: def("XP4023", "error", (field: string, where: string) => `\`${field}\` is not a declared field of ${where}`),
  irWrongType: def("XP4024", "error", (expected: string, found: string) => `expected ${expected}, found ${found}`),
  irInexactNumber: def("XP4025", "error", (text: string, type: string) => `\`${text}\` is not an exact ${type}`),
  irOutOfRange: def("XP4026", "error", (text: string, type: string) => `\`${text}\` is out of range for ${type}`),
  irInvalidTimestamp: def("XP4027", "error", (text: string, why: string) => `invalid timestamp \`${text}\`: ${why}`),
  irInvalidDuration: def("XP4028", "error", (text: string, why: string) => `invalid duration \`${text}\`: ${why}`),
  irInvalidBytes: def("XP4029", "error", (why: string) => `invalid base64 bytes: ${why}`),
  irNotEnumValue: def("XP4030", "error", (value: string, allowed: string) => `\`${value}\` is not one of ${allowed}`),
  irInvalidRequestTime: def("XP4031", "error", (why: string) => `invalid request time: ${why}`),
  irInvalidSchema: def("XP4032", "error", (what: string) => `invalid IR schema: ${what}`),

  // --- XP5xxx runtime ------------------------------------------------------------------------------------------
  // decisions forced by the runtime (fail closed)
  runtimeInternalError: def("XP5001", "error", (why: string) => `internal error while deciding, denied: ${why}`),
  counterAmountInvalid: def("XP5002", "error", (counter: string, why: string) => `counter \`${counter}\`: ${why}`),
  counterOverflow: def("XP5003", "error", (counter: string) => `counter \`${counter}\` would exceed the safe integer range`),
  storeUnavailable: def("XP5004", "error", (why: string) => `state store unavailable, denied: ${why}`),
  approvalReplayed: def("XP5005", "error", (id: string, at: string) => `approval request \`${id}\` was already used at ${at}: an approved action runs once`),
  approvalVetoed: def("XP5006", "error", (id: string, by: string) => `approval request \`${id}\` was rejected by ${by}`),
  approvalExpired: def("XP5007", "error", (id: string, at: string) => `approval request \`${id}\` expired at ${at} before it was approved and used`),
  // submitted approvals that do not count (nothing changes)
  approvalMalformed: def("XP5010", "error", (why: string) => `malformed approval: ${why}`),
  approvalUnknownRequest: def("XP5011", "error", (id: string) => `no approval request \`${id}\``),
  approvalActionMismatch: def("XP5012", "error", (id: string, signed: string, actual: string) => `approval names action digest \`${signed}\`, but request \`${id}\` is for \`${actual}\``),
  approvalPolicyMismatch: def("XP5013", "error", (id: string, signed: string, actual: string) => `approval names policy digest \`${signed}\`, but request \`${id}\` is under \`${actual}\``),
  approvalNotInGroup: def("XP5014", "error", (key: string, groups: string, detail: string) => `key \`${key}\` is not in the required group ${groups}${detail}`),
  approvalBadSignature: def("XP5015", "error", (key: string, member: string) => `the signature by \`${key}\` (\`${member}\`) does not verify over the approval statement`),
  approvalOutsideWindow: def("XP5016", "error", (what: string) => what),
  approvalDuplicate: def("XP5017", "error", (key: string, member: string, id: string, at: string) => `key \`${key}\` (\`${member}\`) was already counted for request \`${id}\` (signed at ${at})`),
  approvalRequestClosed: def("XP5018", "error", (id: string, state: string) => `approval request \`${id}\` is ${state}: no further approvals are accepted`),
  // stores
  storeLocked: def("XP5020", "error", (dir: string, holder: string) => `state directory \`${dir}\` is in use by ${holder}`),
  storeCorrupt: def("XP5021", "error", (dir: string, why: string) => `state directory \`${dir}\` cannot be replayed: ${why}`),
  storeOpenFailed: def("XP5022", "error", (dir: string, why: string) => `cannot open state directory \`${dir}\`: ${why}`),
  storeClosed: def("XP5023", "error", () => `the state store is closed`),

  // --- XP6xxx receipts and logs --------------------------------------------------------------------------------

  // --- XP7xxx policy tests and formatting ----------------------------------------------------------------------

  // --- XP8xxx CLI and bundles ----------------------------------------------------------------------------------
  unreadableFile: def("XP8001", "error", (path: string, why: string) => `cannot read \`${path}\`: ${why}`),
} as const;
