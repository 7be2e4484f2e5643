// RFC 9457 problem details: every refused request is `application/problem+json` with the XP code of the one
// catalogue, never a stack trace and never a decision. The framework's own errors (content type, body size, JSON,
// schema validation, timeouts) are mapped here, in one place.
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ServiceDiagnostics as D } from "execlayer";

export const PROBLEM_TYPE = "application/problem+json";

export interface Problem {
  /** a URI naming the problem kind: `urn:execlayer:problem:XPnnnn` */
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** the XP code */
  readonly code: string;
  /** the request id (also the `x-request-id` response header) */
  readonly instance?: string;
  /** where in the body, for validation problems */
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  431: "Request Header Fields Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors?: readonly { readonly path: string; readonly message: string }[],
  ) {
    super(detail);
  }
}

export function problem(status: number, code: string, detail: string, errors?: Problem["errors"]): ProblemError {
  return new ProblemError(status, code, detail, errors);
}

export function sendProblem(reply: FastifyReply, p: ProblemError, requestId: string): FastifyReply {
  const body: Problem = {
    type: `urn:execlayer:problem:${p.code}`,
    title: TITLES[p.status] ?? "Error",
    status: p.status,
    detail: p.message,
    code: p.code,
    instance: `urn:execlayer:request:${requestId}`,
    ...(p.errors !== undefined ? { errors: p.errors } : {}),
  };
  if (p.status === 401) void reply.header("www-authenticate", 'Bearer realm="xpol"');
  return reply.code(p.status).type(PROBLEM_TYPE).send(JSON.stringify(body));
}

/** The framework's errors as problems; anything unexpected is a 500 that names no internals. */
export function toProblem(err: FastifyError | ProblemError | Error, bodyLimit: number, contentLength?: string): ProblemError {
  if (err instanceof ProblemError) return err;
  const e = err as FastifyError & { validation?: readonly { instancePath?: string; message?: string; params?: Record<string, unknown> }[]; xpCode?: string };
  if (e.validation !== undefined) {
    const errors = e.validation.map((v) => {
      const extra = v.params?.["additionalProperty"];
      const path = (v.instancePath ?? "") + (typeof extra === "string" ? `/${extra}` : "");
      const message = typeof extra === "string" ? `unknown field \`${extra}\`` : (v.message ?? "is invalid");
      return { path: path === "" ? "/" : path, message };
    });
    const where = (e as { validationContext?: string }).validationContext ?? "body";
    const first = errors[0];
    return problem(400, D.invalidRequest.code, D.invalidRequest.message(first === undefined ? `${where} is invalid` : `${where}${first.path === "/" ? "" : first.path}: ${first.message}`), errors);
  }
  if (typeof e.xpCode === "string") return problem(e.statusCode ?? 400, e.xpCode, e.message);
  switch (e.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return problem(415, D.unsupportedMediaType.code, D.unsupportedMediaType.message(mediaOf(e.message), "`application/json`"));
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problem(413, D.payloadTooLarge.code, D.payloadTooLarge.message(/^\d+$/.test(contentLength ?? "") ? contentLength! : "more than", bodyLimit));
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return problem(400, D.malformedJson.code, D.malformedJson.message("the body is empty"));
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return problem(400, D.malformedJson.code, D.malformedJson.message(e.message));
    case "FST_ERR_REQUEST_TIMEOUT":
      return problem(408, D.timeout.code, D.timeout.message());
    default:
      break;
  }
  if (e instanceof SyntaxError || e.statusCode === 400) return problem(400, D.malformedJson.code, D.malformedJson.message(e.message));
  if (e.statusCode === 503) return problem(503, D.unavailable.code, D.unavailable.message("the service is shutting down"));
  return problem(500, D.unavailable.code, D.unavailable.message("internal error"));
}

function mediaOf(message: string): string {
  const m = /: (.*)$/.exec(message);
  return m?.[1] ?? "unknown";
}

/**
 * Fastify's clientErrorHandler: errors Node raises before a request reaches Fastify (a client too slow to send its
 * request, headers too large, malformed HTTP), answered on the raw socket as problem details too.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: import("node:net").Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed || !socket.writable) return;
  const p =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? problem(408, D.timeout.code, D.timeout.message())
      : err.code === "HPE_HEADER_OVERFLOW"
        ? problem(431, D.invalidRequest.code, D.invalidRequest.message("the request headers are too large"))
        : problem(400, D.invalidRequest.code, D.invalidRequest.message("malformed HTTP request"));
  const body = JSON.stringify({ type: `urn:execlayer:problem:${p.code}`, title: TITLES[p.status] ?? "Error", status: p.status, detail: p.message, code: p.code });
  const reason = p.status === 408 ? "Request Timeout" : p.status === 431 ? "Request Header Fields Too Large" : "Bad Request";
  socket.end(`HTTP/1.1 ${p.status} ${reason}\r\nConnection: close\r\nContent-Type: ${PROBLEM_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** The error handler of an app: logs the unexpected, answers problem+json. */
export function errorHandler(bodyLimit: number): (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (err, request, reply) => {
    const length = request.headers["content-length"];
    const p = toProblem(err, bodyLimit, typeof length === "string" ? length : undefined);
    if (p.status >= 500) request.log.error({ err: { message: err.message, code: err.code } }, "request failed");
    return sendProblem(reply, p, request.id);
  };
}
