// `@execlayer/server`: ExecLayer's HTTP decision service (`xpol serve`). Start it from the CLI, or in a process of
// your own with `startServer`; `buildOpenApiDocument` is the OpenAPI 3.1 document it serves at /openapi.json.
export { startServer, ServeError, parseListen, DEFAULT_LISTEN, DEFAULT_BODY_LIMIT } from "./service.ts";
export type { ServeOptions, RunningServer } from "./service.ts";
export { runServeCommand, SERVE_USAGE } from "./cli.ts";
export type { ServeIO } from "./cli.ts";
export { buildOpenApiDocument } from "./openapi.ts";
export { hashToken, ROLES, readTokensFile, authenticate, bearerOf, isLoopback } from "./auth.ts";
export type { Role, TokenEntry, Caller } from "./auth.ts";
export { ROUTES } from "./routes.ts";
export { consolePath } from "./view.ts";
export type { RouteSpec, ResponseSpec } from "./routes.ts";
export { PROBLEM_TYPE } from "./problem.ts";
export type { Problem } from "./problem.ts";
export { verifyWebhookSignature, signWebhook, slackMessage, WEBHOOK_EVENTS, SIGNATURE_HEADER, EVENT_HEADER, DELIVERY_HEADER } from "./webhooks.ts";
export type { WebhookEvent, WebhookOptions, WebhookTarget } from "./webhooks.ts";
