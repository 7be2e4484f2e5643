// JSON Schemas (2020-12 compatible subset) of request and response bodies. Fastify validates requests with them
// (Ajv, no coercion, no removal: an unknown field is refused) and the OpenAPI 3.1 document (openapi.ts) is built
// from the same objects, so the document cannot drift from what the service checks.

export type Schema = Readonly<Record<string, unknown>>;

const anyJson: Schema = {};
const object: Schema = { type: "object" };
const nullableString: Schema = { type: ["string", "null"] };

export const DecisionRequest: Schema = {
  type: "object",
  description:
    "One proposed action: `proposal` (a tool call in any shape the library accepts: OpenAI, Anthropic, MCP, AI SDK, or an IR-shaped `{action}`), or `tool` and `args` (decided as `decideToolCall`: run the tool with the returned `args`). `actor` and `context` come from the caller, never from the proposal.",
  properties: {
    proposal: anyJson,
    tool: { type: "string", minLength: 1 },
    args: anyJson,
    actor: object,
    context: object,
  },
  additionalProperties: false,
};

export const BatchRequest: Schema = {
  type: "object",
  description: "Several proposals decided in order, each as `POST /v1/decisions` would; `actor` and `context` at the top are defaults an item may replace.",
  properties: {
    actor: object,
    context: object,
    decisions: { type: "array", minItems: 1, maxItems: 1000, items: DecisionRequest },
  },
  required: ["decisions"],
  additionalProperties: false,
};

const Rule: Schema = {
  type: "object",
  properties: {
    rule: { type: "string" },
    effect: { type: "string" },
    reason: { type: "string" },
    otherwise: { type: "boolean" },
    error: { type: "boolean" },
  },
  required: ["rule", "effect"],
};

const Requirement: Schema = {
  type: "object",
  properties: { group: { type: "string" }, quorum: { type: "integer" }, within_ms: { type: "integer" } },
  required: ["group", "quorum", "within_ms"],
};

export const ApprovalRequestJson: Schema = {
  type: "object",
  description: "An approval request: what is to be approved (digests), who may sign, progress and expiry.",
  properties: {
    id: { type: "string" },
    action_digest: { type: "string" },
    ir_digest: { type: "string" },
    policy_digest: { type: "string" },
    tier: nullableString,
    action_type: { type: "string" },
    target: nullableString,
    requirements: { type: "array", items: Requirement },
    created_at: { type: "string" },
    expires_at: { type: "string" },
    approvers: { type: "array", items: { type: "object", properties: { group: { type: "string" }, name: { type: "string" }, key: { type: "string" } } } },
    status: { enum: ["pending", "approved", "vetoed", "consumed", "expired"] },
    progress: { type: "array", items: { type: "object", properties: { group: { type: "string" }, quorum: { type: "integer" }, approvedBy: { type: "array", items: { type: "string" } } } } },
    approvals: { type: "array", items: object },
  },
  required: ["id", "action_digest", "policy_digest", "action_type", "requirements", "created_at", "expires_at", "approvers", "status", "progress", "approvals"],
};

export const DecisionResponse: Schema = {
  type: "object",
  properties: {
    effect: { enum: ["allow", "deny", "require_approval"] },
    tier: nullableString,
    action_type: nullableString,
    rules: { type: "array", items: Rule },
    reasons: { type: "array", items: { type: "string" } },
    code: { type: "string", description: "the XP code of a deny the runtime forced (bad input, store failure, ...)" },
    approval: { type: "object", properties: { requirements: { type: "array", items: Requirement } } },
    request: ApprovalRequestJson,
    action_digest: { type: "string" },
    ir_digest: { type: "string" },
    receipt: {
      type: ["object", "null"],
      description: "the decision's receipt in the log (null with a store that keeps none)",
      properties: { seq: { type: "integer" }, hash: { type: "string" } },
    },
    args: { description: "with `tool`: the arguments to run the tool with (exactly what was decided on); null when refused" },
  },
  required: ["effect", "tier", "action_type", "rules", "reasons", "receipt"],
};

export const BatchResponse: Schema = {
  type: "object",
  properties: { decisions: { type: "array", items: DecisionResponse } },
  required: ["decisions"],
};

/** What the console shows beside the request and its action (view.ts). */
const ViewFields = {
  tier_basis: {
    type: "object",
    description: "how the tier was reached: the tier the policy declares for the action type, and whether escalations raised it (named in the reasons)",
    properties: { tier: nullableString, declared: nullableString, raised: { type: "boolean" } },
  },
  sensitive: { type: "array", items: { type: "string" }, description: "paths (`action.params.note`) of the @sensitive fields, masked in `action`" },
  revealed: {
    type: "object",
    description: "only for a token with `reveal_sensitive`, while the request is open and only if this process decided it: the @sensitive values by path",
  },
  console_path: { type: "string", description: "the approval console's page of this request, relative to the service's URL" },
} as const;

export const ApprovalList: Schema = {
  type: "object",
  properties: {
    approvals: {
      type: "array",
      items: {
        ...ApprovalRequestJson,
        properties: {
          ...(ApprovalRequestJson["properties"] as object),
          action: { type: ["object", "null"], description: "the canonical action as the receipt recorded it, sensitive fields masked" },
          reasons: { type: "array", items: { type: "string" }, description: "why the policy asked for approval" },
          rules: { type: "array", items: Rule, description: "the rules that asked for it" },
          ...ViewFields,
        },
      },
    },
  },
  required: ["approvals"],
};

/** The statement an approver signs (execlayer's ApprovalStatement). */
const Statement: Schema = {
  type: "object",
  properties: {
    request: { type: "string" },
    action_digest: { type: "string" },
    policy_digest: { type: "string" },
    verdict: { enum: ["approve", "reject"] },
    approver: { type: "string" },
    signed_at: { type: "string" },
  },
  required: ["request", "action_digest", "policy_digest", "verdict", "approver", "signed_at"],
  additionalProperties: false,
};

export const ApprovalDetail: Schema = {
  type: "object",
  properties: {
    request: ApprovalRequestJson,
    action: { type: ["object", "null"], description: "the canonical action as the receipt recorded it: type, target, every parameter, the actor and context; sensitive fields masked" },
    reasons: { type: "array", items: { type: "string" } },
    rules: { type: "array", items: Rule },
    ...ViewFields,
    statement: { ...Statement, type: ["object", "null"], description: "with `approver` (and optionally `verdict`, `signed_at`): the statement that approver signs" },
    statement_bytes: { type: ["string", "null"], description: "base64 of the exact bytes signed: UTF-8 of the domain line and the statement's JCS" },
    signing_domain: { type: "string" },
  },
  required: ["request", "action", "statement", "statement_bytes", "signing_domain"],
};

export const ApprovalQuery: Schema = {
  type: "object",
  properties: {
    approver: { type: "string", pattern: "^ed25519:[0-9a-f]{16}$" },
    verdict: { enum: ["approve", "reject"] },
    signed_at: { type: "string" },
    wait: { type: "string", pattern: "^[0-9]{1,3}$", description: "long-poll: seconds (at most 60) to wait while the request's status equals `while`" },
    while: { enum: ["pending", "approved", "vetoed", "consumed", "expired"], description: "the status the caller last saw (default pending)" },
  },
  additionalProperties: false,
};

export const SignedApprovalBody: Schema = {
  type: "object",
  description: "A signed approval or rejection (`xpol sign` writes one): the statement and the base64 Ed25519 signature over its bytes.",
  properties: {
    statement: Statement,
    signature: { type: "string" },
  },
  required: ["statement", "signature"],
  additionalProperties: false,
};

export const SubmissionResponse: Schema = {
  type: "object",
  properties: { accepted: { const: true }, request: ApprovalRequestJson, receipt: { type: ["object", "null"], properties: { seq: { type: "integer" }, hash: { type: "string" } } } },
  required: ["accepted", "request", "receipt"],
};

export const IdParams: Schema = { type: "object", properties: { id: { type: "string", pattern: "^apr_[0-9a-f]{24}$" } }, required: ["id"] };

// --- AuthZEN 1.0 ---------------------------------------------------------------------------------------------------

const Entity = (what: string, idRequired: boolean): Schema => ({
  type: "object",
  description: what,
  properties: { type: { type: "string" }, id: { type: "string" }, properties: object },
  required: idRequired ? ["type", "id"] : ["type"],
});

export const AzSubject = Entity("the subject: becomes the actor (`id` and `type`, then `properties` merged in)", true);
export const AzResource = Entity("the resource: its `type`/`id` become the action's target `TYPE/ID`; `properties` become the action's params", true);
export const AzAction: Schema = {
  type: "object",
  description: "the action: `name` is an action type of the policy, or a mapped tool's name; `properties` are merged into the params",
  properties: { name: { type: "string" }, properties: object },
  required: ["name"],
};

export const AzEvaluationRequest: Schema = {
  type: "object",
  properties: { subject: AzSubject, action: AzAction, resource: AzResource, context: object },
  required: ["subject", "action", "resource"],
};

export const AzEvaluationResponse: Schema = {
  type: "object",
  properties: { decision: { type: "boolean" }, context: object },
  required: ["decision"],
};

export const AzEvaluationsRequest: Schema = {
  type: "object",
  properties: {
    subject: AzSubject,
    action: AzAction,
    resource: AzResource,
    context: object,
    evaluations: {
      type: "array",
      maxItems: 1000,
      items: { type: "object", properties: { subject: AzSubject, action: AzAction, resource: AzResource, context: object } },
    },
    options: {
      type: "object",
      properties: { evaluations_semantic: { enum: ["execute_all", "deny_on_first_deny", "permit_on_first_permit"] } },
    },
  },
};

export const AzEvaluationsResponse: Schema = {
  type: "object",
  properties: { decision: { type: "boolean" }, context: object, evaluations: { type: "array", items: AzEvaluationResponse } },
};

export const AzMetadata: Schema = {
  type: "object",
  properties: {
    policy_decision_point: { type: "string" },
    access_evaluation_endpoint: { type: "string" },
    access_evaluations_endpoint: { type: "string" },
  },
  required: ["policy_decision_point", "access_evaluation_endpoint"],
};

// --- operations and receipts -----------------------------------------------------------------------------------------

export const PolicyInfo: Schema = {
  type: "object",
  properties: {
    name: { type: "string" },
    version: nullableString,
    digest: { type: "string" },
    files: { type: "array", items: { type: "string" } },
    loaded_at: { type: "string" },
  },
  required: ["name", "version", "digest", "files", "loaded_at"],
};

export const ReloadResponse: Schema = {
  type: "object",
  properties: { reloaded: { type: "boolean" }, policy: PolicyInfo, diagnostics: { type: "string" } },
  required: ["reloaded", "policy"],
};

export const Health: Schema = {
  type: "object",
  properties: { status: { type: "string" }, checks: object },
  required: ["status"],
};

/** With --postgres, which replica's chain (GET /v1/chains lists them); default this replica's own. */
const CHAIN: Schema = { type: "string", pattern: "^[A-Za-z0-9._-]{1,200}$", description: "with --postgres: the chain (GET /v1/chains); default this replica's current one" };

export const ReceiptRange: Schema = {
  type: "object",
  properties: {
    from: { type: "string", pattern: "^[0-9]{1,15}$", description: "first seq (default 0)" },
    to: { type: "string", pattern: "^[0-9]{1,15}$", description: "last seq, inclusive (default: the end)" },
    chain: CHAIN,
  },
  additionalProperties: false,
};

export const ChainQuery: Schema = { type: "object", properties: { chain: CHAIN }, additionalProperties: false };

export const ChainList: Schema = {
  type: "object",
  properties: {
    current: { type: ["string", "null"], description: "this replica's chain (null before its first receipt)" },
    chains: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "string" },
          replica: { type: "string" },
          origin: { type: "string", description: "the checkpoints' origin line" },
          key_id: { type: "string" },
          public_key: { type: "string", description: "ed25519:<64 hex>, as registered for the chain" },
          receipts: { type: "integer" },
          checkpointed: { type: "integer", description: "the size of its latest checkpoint (0: none yet)" },
          closed: { type: "boolean", description: "the store closed the chain: its last checkpoint covers every receipt" },
        },
        required: ["id", "replica", "origin", "key_id", "public_key", "receipts", "checkpointed", "closed"],
        additionalProperties: false,
      },
    },
  },
  required: ["current", "chains"],
  additionalProperties: false,
};

export const SeqParams: Schema = { type: "object", properties: { seq: { type: "string", pattern: "^[0-9]{1,15}$" } }, required: ["seq"] };

export const ConsistencyQuery: Schema = {
  type: "object",
  properties: { first: { type: "string", pattern: "^[0-9]{1,15}$" }, second: { type: "string", pattern: "^[0-9]{1,15}$" }, chain: CHAIN },
  required: ["first", "second"],
  additionalProperties: false,
};

export const ReceiptProof: Schema = {
  type: "object",
  description:
    "a receipt with its RFC 9162 inclusion proof to a signed checkpoint, or (per-batch signatures, before a checkpoint covers it) to the signed seal of its batch (`xpol verify-proof` checks it offline)",
  properties: {
    format: { type: "string" },
    receipt: object,
    leafIndex: { type: "integer" },
    treeSize: { type: "integer" },
    inclusion: { type: "array", items: { type: "string" } },
    checkpoint: { type: "string" },
    seal: object,
  },
  required: ["format", "receipt", "leafIndex", "treeSize", "inclusion"],
};

export const ConsistencyProof: Schema = {
  type: "object",
  properties: { first: { type: "integer" }, second: { type: "integer" }, first_root: { type: "string" }, second_root: { type: "string" }, proof: { type: "array", items: { type: "string" } } },
  required: ["first", "second", "proof"],
};

export const ProblemSchema: Schema = {
  type: "object",
  description: "RFC 9457 problem details; `code` is the XP code",
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string" },
    instance: { type: "string" },
    errors: { type: "array", items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } } },
  },
  required: ["type", "title", "status", "detail", "code"],
};
