// The Fastify app: the route table (routes.ts) bound to its handlers, bearer-token roles checked before any handler,
// the core's strict JSON parser for bodies (duplicate keys, unsafe integers and excessive nesting are refused, as for
// any action input), every refusal as RFC 9457 problem details, one JSON log line per request with its id.
import { randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteHandlerMethod } from "fastify";
import type { Logger } from "pino";
import {
  APPROVAL_DOMAIN,
  approvalStatementBytes,
  parseJson,
  requestInfoToJson,
  ServiceDiagnostics as D,
  type ApprovalRequestInfo,
  type ApprovalStatement,
  type Enforcer,
  type JsonObject,
  type JsonValue,
} from "execlayer";
import { receiptHash } from "execlayer/receipts";
import { authenticate, bearerOf, LOCAL_CALLER, type Caller, type Role, type TokenEntry } from "./auth.ts";
import { authzenItem, authzenItemError, authzenResponse, checkItem, decideItem, decisionResponse, type AzEvaluation, type Decided, type DecisionItem } from "./decisions.ts";
import { sensitiveValues } from "./reveal.ts";
import { clientErrorHandler, errorHandler, problem, sendProblem } from "./problem.ts";
import { ROUTES, type RouteSpec } from "./routes.ts";
import { approvalView, sensitivePaths } from "./view.ts";
import { registerConsole } from "./console.ts";
import type { ServiceState } from "./state.ts";

export interface AppOptions {
  readonly logger: Logger;
  readonly bodyLimit: number;
  /** ms to receive a whole request (a slow client gets 408) */
  readonly requestTimeout: number;
  readonly tokens: readonly TokenEntry[] | null;
  readonly https?: { readonly cert: Buffer; readonly key: Buffer };
  /** long-poll waiters at once (more: 429) */
  readonly maxWaiters: number;
  /** the OpenAPI document served at /openapi.json */
  readonly openapi: Record<string, unknown>;
  /** with the bench: a no-op route answering a fixed JSON body through the same hooks */
  readonly noop?: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    /** null until admitted (and on routes anyone may call) */
    caller: Caller | null;
    /** a summary logged with the request's line */
    decisionLog?: JsonObject;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_WAIT_S = 60;

export function buildApp(state: ServiceState, options: AppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    // one line per request, written by our onResponse hook (with the decision), instead of Fastify's two
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    // Node checks request deadlines every connectionsCheckingInterval (default 30 s): our own server, so a slow
    // client is answered 408 about when its time is up
    serverFactory: (handler: http.RequestListener) => {
      const timeouts = { requestTimeout: options.requestTimeout, headersTimeout: options.requestTimeout, connectionsCheckingInterval: Math.max(100, Math.min(1000, options.requestTimeout / 4)) };
      return options.https !== undefined ? https.createServer({ ...timeouts, cert: options.https.cert, key: options.https.key }, handler) : http.createServer(timeouts, handler);
    },
    clientErrorHandler,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  }) as unknown as FastifyInstance;

  app.decorateRequest("caller", null);
  app.setErrorHandler(errorHandler(options.bodyLimit));
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, D.notFound.code, D.notFound.message(`route \`${request.method} ${request.url.split("?")[0]}\``)), request.id));

  // the core's strict parser: what is decided is exactly what the caller sent, or nothing
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    // an empty body is no body (a route that needs one says so through its schema)
    if (body === "") return done(null, undefined);
    const r = parseJson(body as string, { maxBytes: options.bodyLimit });
    if (r.ok) return done(null, r.value);
    const where = r.error.path !== undefined && r.error.path !== "$" ? ` at ${r.error.path}` : "";
    return done(problem(r.error.code === D.payloadTooLarge.code ? 413 : 400, r.error.code, `${r.error.message}${where}`), undefined);
  });
  app.removeContentTypeParser("text/plain");

  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
  });
  // while draining, every answer closes its connection: a keep-alive connection busy when the drain began would
  // otherwise stay open and hold the close (Node closes only the connections idle at that moment)
  app.addHook("onSend", async (_request, reply) => {
    if (state.draining) void reply.header("connection", "close");
  });
  app.addHook("onResponse", async (request, reply) => {
    const line: Record<string, unknown> = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 1000) / 1000 };
    if (request.caller !== null && request.caller !== LOCAL_CALLER) line["caller"] = request.caller.name;
    if (request.decisionLog !== undefined) line["decision"] = request.decisionLog;
    request.log.info(line, "request");
  });

  const admit = (roles: readonly Role[]) => async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (roles.length === 0) return undefined;
    if (options.tokens === null) {
      request.caller = LOCAL_CALLER;
      return undefined;
    }
    const token = bearerOf(request.headers.authorization);
    if (token === null) return sendProblem(reply, problem(401, D.unauthenticated.code, D.unauthenticated.message("send `Authorization: Bearer <token>`")), request.id);
    const caller = authenticate(options.tokens, token);
    if (caller === null) return sendProblem(reply, problem(401, D.unauthenticated.code, D.unauthenticated.message("the token is not known")), request.id);
    if (!caller.roles.some((r) => roles.includes(r))) {
      return sendProblem(reply, problem(403, D.forbidden.code, D.forbidden.message(caller.roles.join(", "), roles.map((r) => `\`${r}\``).join(" or "))), request.id);
    }
    request.caller = caller;
    return undefined;
  };

  const handlers = makeHandlers(state, options);
  for (const spec of ROUTES) {
    const handler = handlers[spec.operationId];
    if (handler === undefined) throw new Error(`no handler for ${spec.operationId}`);
    register(app, spec, handler, admit(spec.roles));
  }
  registerConsole(app);
  if (options.noop === true) {
    app.post("/bench/noop", { preHandler: admit(["agent", "admin"]) }, async () => ({ effect: "allow" }));
  }
  app.addHook("preClose", async () => {
    state.draining = true;
    state.book.wakeAll();
  });
  return app;
}

function register(app: FastifyInstance, spec: RouteSpec, handler: RouteHandlerMethod, preHandler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>): void {
  const schema: Record<string, unknown> = {};
  if (spec.body !== undefined) schema["body"] = spec.body;
  if (spec.querystring !== undefined) schema["querystring"] = spec.querystring;
  if (spec.params !== undefined) schema["params"] = spec.params;
  // the token is checked before the body is validated: an unauthenticated caller learns nothing about the schemas
  app.route({ method: spec.method, url: spec.url, schema, onRequest: preHandler, handler });
}

type Handlers = Record<string, RouteHandlerMethod>;

function makeHandlers(state: ServiceState, options: AppOptions): Handlers {
  const book = state.book;

  const refuseWhileDraining = (): void => {
    if (state.draining) throw problem(503, D.unavailable.code, D.unavailable.message("the service is shutting down"));
  };

  /** Keeps the @sensitive values of a request a decision opened, for approvers whose token may see them. */
  const keepSensitive = (enforcer: Enforcer, item: DecisionItem, decided: Decided, defaults: { actor?: JsonObject | undefined; context?: JsonObject | undefined }): void => {
    const d = decided.decision;
    if (d.effect !== "require_approval" || d.request === undefined) return;
    const id = d.request.request.id;
    if (book.revealed(id) !== null) return;
    const paths = sensitivePaths(book.action(id), d.request.request.actionType, state.holder.policy);
    const ctx = { actor: item.actor ?? defaults.actor, context: item.context ?? defaults.context };
    const values = sensitiveValues(enforcer, item, decided.args, ctx, d, book.action(id), paths);
    if (values !== null) book.keepRevealed(id, values);
  };

  const noteAndAnswer = (request: FastifyRequest, decided: Decided, enforcer: Enforcer, item: DecisionItem): void => {
    book.noteDecision(decided.decision);
    keepSensitive(enforcer, item, decided, {});
    state.metrics.count(decided.decision);
    const d = decided.decision;
    request.decisionLog = {
      effect: d.effect,
      tier: d.tier,
      action_type: d.actionType,
      ...(d.code !== undefined ? { code: d.code } : {}),
      ...(d.receipt !== undefined ? { receipt: d.receipt.seq } : {}),
      ...(d.request !== undefined ? { request: d.request.request.id } : {}),
    };
  };

  const timed = async <T>(endpoint: string, f: () => Promise<T>): Promise<T> => {
    const end = state.metrics.latency.startTimer({ endpoint });
    try {
      return await f();
    } finally {
      end();
    }
  };

  /** The request's state now: the store's open list first (fresh), else what the service saw last. */
  const findRequest = async (id: string): Promise<ApprovalRequestInfo | undefined> => {
    const open = await state.holder.enforcer.pendingApprovals();
    return open.find((r) => r.request.id === id) ?? book.lastSeen(id, Date.now());
  };

  const isActionType = (name: string): boolean => state.holder.policy.irSchema.actionTypes.has(name);

  const azEvaluate = async (request: FastifyRequest, e: AzEvaluation): Promise<JsonObject> => {
    if (e.subject === undefined || e.action === undefined || e.resource === undefined) {
      const missing = (["subject", "action", "resource"] as const).filter((k) => e[k] === undefined).join(", ");
      return authzenItemError(400, `missing ${missing}`, D.invalidRequest.code);
    }
    const enforcer = state.holder.enforcer;
    const item = authzenItem({ ...e, subject: e.subject, action: e.action, resource: e.resource }, isActionType);
    const decided = await decideItem(enforcer, item, {});
    noteAndAnswer(request, decided, enforcer, item);
    return authzenResponse(decided);
  };

  return {
    decide: async (request) => {
      refuseWhileDraining();
      const item = request.body as DecisionItem;
      checkItem(item, "body");
      return timed("decisions", async () => {
        const enforcer = state.holder.enforcer;
        const decided = await decideItem(enforcer, item, {});
        noteAndAnswer(request, decided, enforcer, item);
        return decisionResponse(decided);
      });
    },

    decideBatch: async (request) => {
      refuseWhileDraining();
      const body = request.body as { actor?: JsonObject; context?: JsonObject; decisions: DecisionItem[] };
      body.decisions.forEach((item, i) => checkItem(item, `decisions[${i}]`));
      return timed("decisions_batch", async () => {
        const enforcer = state.holder.enforcer;
        const out: JsonObject[] = [];
        const summary: string[] = [];
        for (const item of body.decisions) {
          const decided = await decideItem(enforcer, item, { actor: body.actor, context: body.context });
          book.noteDecision(decided.decision);
          keepSensitive(enforcer, item, decided, { actor: body.actor, context: body.context });
          state.metrics.count(decided.decision);
          summary.push(decided.decision.effect);
          out.push(decisionResponse(decided));
        }
        request.decisionLog = { batch: summary };
        return { decisions: out };
      });
    },

    listApprovals: async (request) => {
      const open = await state.holder.enforcer.pendingApprovals();
      return {
        approvals: open.map((r) => approvalView(r, book, state.holder.policy, request.caller?.revealSensitive === true)),
      };
    },

    showApproval: async (request, reply) => {
      const { id } = request.params as { id: string };
      const q = request.query as { approver?: string; verdict?: "approve" | "reject"; signed_at?: string; wait?: string; while?: string };
      let info = await findRequest(id);
      if (info === undefined) return sendProblem(reply, problem(404, D.unknownApprovalRequest.code, D.unknownApprovalRequest.message(id)), request.id);
      if (q.wait !== undefined) {
        const deadline = Date.now() + Math.min(Number(q.wait), MAX_WAIT_S) * 1000;
        const seen = q.while ?? "pending";
        while (info.status === seen && Date.now() < deadline && !state.draining) {
          // wake at the deadline, on any change of the request, or when it expires
          const waited = book.wait(id, Math.min(deadline, info.request.expiresAt + 1), options.maxWaiters);
          if (waited === false) return sendProblem(reply, problem(429, D.tooManyRequests.code, D.tooManyRequests.message(`${options.maxWaiters} callers are waiting already`)), request.id);
          await waited;
          info = (await findRequest(id)) ?? info;
        }
      }
      let statement: ApprovalStatement | null = null;
      if (q.approver !== undefined) {
        const signedAt = q.signed_at ?? new Date().toISOString();
        if (Number.isNaN(Date.parse(signedAt))) throw problem(400, D.invalidRequest.code, D.invalidRequest.message("`signed_at` must be an RFC 3339 time"));
        statement = { request: id, action_digest: info.request.actionDigest, policy_digest: info.request.policyDigest, verdict: q.verdict ?? "approve", approver: q.approver, signed_at: signedAt };
      }
      const { action, reasons, rules, tier_basis, sensitive, revealed, console_path, ...requestJson } = approvalView(info, book, state.holder.policy, request.caller?.revealSensitive === true);
      return {
        request: requestJson,
        action,
        reasons,
        rules,
        tier_basis,
        sensitive,
        ...(revealed !== undefined ? { revealed } : {}),
        console_path,
        statement,
        statement_bytes: statement === null ? null : Buffer.from(approvalStatementBytes(statement)).toString("base64"),
        signing_domain: APPROVAL_DOMAIN,
      };
    },

    submitSignature: async (request, reply) => {
      refuseWhileDraining();
      const { id } = request.params as { id: string };
      const body = request.body as { statement: ApprovalStatement; signature: string };
      if (body.statement.request !== id) {
        throw problem(400, D.invalidRequest.code, D.invalidRequest.message(`the statement names request \`${body.statement.request}\`, not \`${id}\``));
      }
      const outcome = await state.holder.enforcer.submitApproval(body);
      if (outcome.accepted) {
        book.noteRequest(outcome.request);
        request.decisionLog = { approval: id, status: outcome.request.status };
        return { accepted: true, request: requestInfoToJson(outcome.request), receipt: outcome.receipt === undefined ? null : { seq: outcome.receipt.seq, hash: receiptHash(outcome.receipt) } };
      }
      const e = outcome.error;
      const status =
        e.kind === "malformed" ? 400
        : e.kind === "unknown_request" ? 404
        : e.kind === "not_in_group" || e.kind === "bad_signature" ? 403
        : e.kind === "unavailable" ? 503
        : 409;
      request.decisionLog = { approval: id, refused: e.code };
      return sendProblem(reply, problem(status, e.code, e.message), request.id);
    },

    authzenEvaluation: async (request) => {
      refuseWhileDraining();
      return timed("authzen_evaluation", () => azEvaluate(request, request.body as AzEvaluation));
    },

    authzenEvaluations: async (request) => {
      refuseWhileDraining();
      const body = request.body as AzEvaluation & { evaluations?: AzEvaluation[]; options?: { evaluations_semantic?: string } };
      return timed("authzen_evaluations", async () => {
        // no `evaluations` array: the single Access Evaluation, as §7.1 says
        if (body.evaluations === undefined || body.evaluations.length === 0) return azEvaluate(request, body);
        const semantic = body.options?.evaluations_semantic ?? "execute_all";
        const out: JsonObject[] = [];
        for (const item of body.evaluations) {
          const merged: AzEvaluation = {
            ...(item.subject ?? body.subject ? { subject: (item.subject ?? body.subject)! } : {}),
            ...(item.action ?? body.action ? { action: (item.action ?? body.action)! } : {}),
            ...(item.resource ?? body.resource ? { resource: (item.resource ?? body.resource)! } : {}),
            ...(item.context ?? body.context ? { context: (item.context ?? body.context)! } : {}),
          };
          const answer = await azEvaluate(request, merged);
          out.push(answer);
          if (semantic === "deny_on_first_deny" && answer["decision"] === false) break;
          if (semantic === "permit_on_first_permit" && answer["decision"] === true) break;
        }
        return { evaluations: out };
      });
    },

    authzenConfiguration: async (request) => {
      const base = `${request.protocol}://${request.host}`;
      return { policy_decision_point: base, access_evaluation_endpoint: `${base}/access/v1/evaluation`, access_evaluations_endpoint: `${base}/access/v1/evaluations` };
    },

    listReceipts: async (request, reply) => {
      const q = request.query as { from?: string; to?: string; chain?: string };
      const from = q.from === undefined ? 0 : Number(q.from);
      const to = q.to === undefined ? undefined : Number(q.to);
      if (to !== undefined && from > to) throw problem(400, D.invalidRequest.code, D.invalidRequest.message("`from` is after `to`"));
      const lines = await state.receipts.range(q.chain, from, to);
      if (lines === null) throw problem(404, D.notFound.code, D.notFound.message(`receipt ${from} (the log holds fewer)`));
      return reply.type("application/jsonl").send(lines);
    },

    showReceipt: async (request, reply) => {
      const seq = Number((request.params as { seq: string }).seq);
      const proof = await state.receipts.proof((request.query as { chain?: string }).chain, seq);
      if (!proof.ok) return sendProblem(reply, problem(404, D.notFound.code, D.notFound.message(`a proof of receipt ${seq}: ${proof.error}`)), request.id);
      return proof.value;
    },

    latestCheckpoint: async (request, reply) => {
      const note = await state.receipts.latestNote((request.query as { chain?: string }).chain);
      if (note === undefined) return sendProblem(reply, problem(404, D.notFound.code, D.notFound.message("a checkpoint (none written yet)")), request.id);
      return reply.type("text/plain; charset=utf-8").send(note);
    },

    listCheckpoints: async (request, reply) => {
      const lines = await state.receipts.checkpointLines((request.query as { chain?: string }).chain);
      return reply.type("application/jsonl").send(lines.join(""));
    },

    consistencyProof: async (request, reply) => {
      const q = request.query as { first: string; second: string; chain?: string };
      const r = await state.receipts.consistency(q.chain, Number(q.first), Number(q.second));
      if (!r.ok) return sendProblem(reply, problem(404, D.notFound.code, D.notFound.message(`a consistency proof: ${r.error}`)), request.id);
      const v = r.value;
      return { first: v.first, second: v.second, first_root: v.firstRoot, second_root: v.secondRoot, proof: v.proof };
    },

    listChains: async () => {
      const { chains, current } = await state.receipts.chains();
      return {
        current,
        chains: chains.map((c) => ({ id: c.id, replica: c.replica, origin: c.origin, key_id: c.keyId, public_key: c.publicKey, receipts: c.receipts, checkpointed: c.checkpointed, closed: c.closed })),
      };
    },

    getPolicy: async () => policyJson(state),

    reloadPolicy: async (_request, reply) => {
      const r = await state.reload("admin request");
      if (!r.ok) return sendProblem(reply, problem(409, D.reloadRefused.code, D.reloadRefused.message(r.diagnostics)), _request.id);
      return { reloaded: true, policy: policyJson(state) };
    },

    healthz: async () => ({ status: "ok" }),

    readyz: async (_request, reply) => {
      const checks = { policy: state.holder.identity.digest, store: (await state.storeProblem()) ?? "ok", draining: state.draining };
      const ready = checks.store === "ok" && !state.draining;
      return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks });
    },

    metrics: async (_request, reply) => {
      const text = await state.metrics.registry.metrics();
      return reply.type(state.metrics.registry.contentType).send(text);
    },

    openapi: async () => options.openapi,
  };
}

function policyJson(state: ServiceState): Record<string, JsonValue> {
  const p = state.holder.identity;
  return { name: p.name, version: p.version, digest: p.digest, files: [...p.files], loaded_at: p.loadedAt };
}

