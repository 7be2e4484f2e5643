// The service's routes as data: method, path, who may call, the schemas of what goes in and comes out. The app
// registers each with its handler and validates requests with these schemas; openapi.ts turns the same table into
// the OpenAPI 3.1 document. One table, so the document and the service cannot disagree.
import type { Role } from "./auth.ts";
import * as S from "./schemas.ts";

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: S.Schema;
  /** default application/json */
  readonly contentType?: string;
}

export interface RouteSpec {
  readonly operationId: string;
  readonly method: "GET" | "POST";
  /** Fastify syntax (`/v1/approvals/:id`); openapi.ts writes `{id}` */
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  /** who may call; empty: anyone (no token needed) */
  readonly roles: readonly Role[];
  readonly body?: S.Schema;
  readonly querystring?: S.Schema;
  readonly params?: S.Schema;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

const problems = (...codes: number[]): Record<number, ResponseSpec> =>
  Object.fromEntries(codes.map((c) => [c, { description: "problem details (RFC 9457)", schema: S.ProblemSchema, contentType: "application/problem+json" }]));

const BODY_PROBLEMS = [400, 401, 403, 413, 415, 429];

export const ROUTES: readonly RouteSpec[] = [
  {
    operationId: "decide",
    method: "POST",
    url: "/v1/decisions",
    summary: "Decide one proposed action (allow, deny, require approval) and record its receipt",
    tag: "decisions",
    roles: ["agent", "admin"],
    body: S.DecisionRequest,
    responses: { 200: { description: "the decision", schema: S.DecisionResponse }, ...problems(...BODY_PROBLEMS, 503) },
  },
  {
    operationId: "decideBatch",
    method: "POST",
    url: "/v1/decisions/batch",
    summary: "Decide several proposed actions, in order, in one request",
    tag: "decisions",
    roles: ["agent", "admin"],
    body: S.BatchRequest,
    responses: { 200: { description: "one decision per item, in order", schema: S.BatchResponse }, ...problems(...BODY_PROBLEMS, 503) },
  },
  {
    operationId: "listApprovals",
    method: "GET",
    url: "/v1/approvals",
    summary: "Open approval requests, each with its full canonical action (sensitive fields masked)",
    tag: "approvals",
    roles: ["approver", "admin"],
    responses: { 200: { description: "open requests, oldest first", schema: S.ApprovalList }, ...problems(401, 403) },
  },
  {
    operationId: "showApproval",
    method: "GET",
    url: "/v1/approvals/:id",
    summary: "One approval request with the exact bytes an approver signs; `wait` long-polls until its status changes",
    tag: "approvals",
    roles: ["agent", "approver", "admin"],
    params: S.IdParams,
    querystring: S.ApprovalQuery,
    responses: { 200: { description: "the request", schema: S.ApprovalDetail }, ...problems(400, 401, 403, 404, 429) },
  },
  {
    operationId: "submitSignature",
    method: "POST",
    url: "/v1/approvals/:id/signatures",
    summary: "Submit a signed approval or rejection (the signature authorizes, the token only admits)",
    tag: "approvals",
    roles: ["approver", "admin"],
    params: S.IdParams,
    body: S.SignedApprovalBody,
    responses: {
      200: { description: "the approval counted", schema: S.SubmissionResponse },
      ...problems(...BODY_PROBLEMS, 404, 409, 503),
    },
  },
  {
    operationId: "authzenEvaluation",
    method: "POST",
    url: "/access/v1/evaluation",
    summary: "AuthZEN 1.0 Access Evaluation: require approval is `decision: false` with the request in `context`",
    tag: "authzen",
    roles: ["agent", "admin"],
    body: S.AzEvaluationRequest,
    responses: { 200: { description: "the decision", schema: S.AzEvaluationResponse }, ...problems(...BODY_PROBLEMS, 503) },
  },
  {
    operationId: "authzenEvaluations",
    method: "POST",
    url: "/access/v1/evaluations",
    summary: "AuthZEN 1.0 Access Evaluations (execute_all, deny_on_first_deny, permit_on_first_permit)",
    tag: "authzen",
    roles: ["agent", "admin"],
    body: S.AzEvaluationsRequest,
    responses: { 200: { description: "the decisions, in request order", schema: S.AzEvaluationsResponse }, ...problems(...BODY_PROBLEMS, 503) },
  },
  {
    operationId: "authzenConfiguration",
    method: "GET",
    url: "/.well-known/authzen-configuration",
    summary: "AuthZEN 1.0 Policy Decision Point metadata",
    tag: "authzen",
    roles: [],
    responses: { 200: { description: "PDP metadata", schema: S.AzMetadata } },
  },
  {
    operationId: "listReceipts",
    method: "GET",
    url: "/v1/receipts",
    summary: "A range of receipts, one JSON line each, exactly as in the log (`from`..`to`, inclusive)",
    tag: "receipts",
    roles: ["auditor", "admin"],
    querystring: S.ReceiptRange,
    responses: { 200: { description: "receipt lines", contentType: "application/jsonl" }, ...problems(400, 401, 403, 404, 503) },
  },
  {
    operationId: "showReceipt",
    method: "GET",
    url: "/v1/receipts/:seq",
    summary: "One receipt with its inclusion proof to the latest checkpoint that covers it (or to its batch's seal)",
    tag: "receipts",
    roles: ["auditor", "admin"],
    params: S.SeqParams,
    querystring: S.ChainQuery,
    responses: { 200: { description: "receipt and proof", schema: S.ReceiptProof }, ...problems(400, 401, 403, 404, 503) },
  },
  {
    operationId: "latestCheckpoint",
    method: "GET",
    url: "/v1/checkpoint",
    summary: "The latest checkpoint: a C2SP signed note",
    tag: "receipts",
    roles: ["auditor", "admin"],
    querystring: S.ChainQuery,
    responses: { 200: { description: "signed note", contentType: "text/plain" }, ...problems(400, 401, 403, 404, 503) },
  },
  {
    operationId: "listCheckpoints",
    method: "GET",
    url: "/v1/checkpoints",
    summary: "Every checkpoint of the log, one JSON line each, exactly as in the log",
    tag: "receipts",
    roles: ["auditor", "admin"],
    querystring: S.ChainQuery,
    responses: { 200: { description: "checkpoint lines", contentType: "application/jsonl" }, ...problems(400, 401, 403, 404, 503) },
  },
  {
    operationId: "listChains",
    method: "GET",
    url: "/v1/chains",
    summary: "With --postgres: every replica's receipt chain in the database (id, replica, key, size, latest checkpoint)",
    tag: "receipts",
    roles: ["auditor", "admin"],
    responses: { 200: { description: "the chains, oldest first", schema: S.ChainList }, ...problems(401, 403, 404, 503) },
  },
  {
    operationId: "consistencyProof",
    method: "GET",
    url: "/v1/receipts/consistency",
    summary: "An RFC 9162 consistency proof between two tree sizes",
    tag: "receipts",
    roles: ["auditor", "admin"],
    querystring: S.ConsistencyQuery,
    responses: { 200: { description: "the proof", schema: S.ConsistencyProof }, ...problems(400, 401, 403, 404, 503) },
  },
  {
    operationId: "getPolicy",
    method: "GET",
    url: "/v1/policy",
    summary: "The policy serving now: name, version, digest",
    tag: "operations",
    roles: ["agent", "approver", "auditor", "admin"],
    responses: { 200: { description: "the policy", schema: S.PolicyInfo }, ...problems(401, 403) },
  },
  {
    operationId: "reloadPolicy",
    method: "POST",
    url: "/v1/policy/reload",
    summary: "Reload the policy files; one that fails to check is refused and the running policy keeps serving",
    tag: "operations",
    roles: ["admin"],
    responses: { 200: { description: "reloaded", schema: S.ReloadResponse }, ...problems(401, 403, 409) },
  },
  {
    operationId: "healthz",
    method: "GET",
    url: "/healthz",
    summary: "Liveness: the process answers",
    tag: "operations",
    roles: [],
    responses: { 200: { description: "alive", schema: S.Health } },
  },
  {
    operationId: "readyz",
    method: "GET",
    url: "/readyz",
    summary: "Readiness: a policy is loaded and the store takes writes",
    tag: "operations",
    roles: [],
    responses: { 200: { description: "ready", schema: S.Health }, 503: { description: "not ready", schema: S.Health } },
  },
  {
    operationId: "metrics",
    method: "GET",
    url: "/metrics",
    summary: "Prometheus metrics",
    tag: "operations",
    roles: ["auditor", "admin"],
    responses: { 200: { description: "Prometheus text format", contentType: "text/plain" }, ...problems(401, 403) },
  },
  {
    operationId: "openapi",
    method: "GET",
    url: "/openapi.json",
    summary: "This document",
    tag: "operations",
    roles: [],
    responses: { 200: { description: "OpenAPI 3.1" } },
  },
];
