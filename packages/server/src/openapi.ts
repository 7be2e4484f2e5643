// The OpenAPI 3.1 document, built from the route table (routes.ts) and its schemas: what the service validates is
// what the document says. `npm run openapi:update -w @execlayer/server` writes it to openapi.json (committed; a
// test checks the served document equals the committed file).
import { ROUTES } from "./routes.ts";
import { ProblemSchema } from "./schemas.ts";

const ROLE_NOTE = "Bearer token roles allowed";

export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, "{$1}");
    const parameters: Record<string, unknown>[] = [];
    for (const [where, schema] of [["path", r.params], ["query", r.querystring]] as const) {
      const props = (schema?.["properties"] ?? {}) as Record<string, Record<string, unknown>>;
      const required = (schema?.["required"] ?? []) as string[];
      for (const [name, s] of Object.entries(props)) {
        const { description, ...rest } = s;
        parameters.push({ name, in: where, required: where === "path" || required.includes(name), schema: rest, ...(description !== undefined ? { description } : {}) });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      const type = spec.contentType ?? "application/json";
      responses[status] = { description: spec.description, content: { [type]: spec.schema !== undefined ? { schema: spec.schema } : {} } };
    }
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body !== undefined ? { requestBody: { required: true, content: { "application/json": { schema: r.body } } } } : {}),
      responses,
      security: r.roles.length === 0 ? [] : [{ bearer: [] }],
      ...(r.roles.length > 0 ? { "x-roles": r.roles, description: `${ROLE_NOTE}: ${r.roles.join(", ")}.` } : {}),
    };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "ExecLayer decision service (xpol serve)",
      version,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
      description:
        "Runtime policy decisions for AI agents over HTTP: decisions with signed receipts, M-of-N approvals signed by named humans, the OpenID AuthZEN Authorization API 1.0, and receipts for auditors. Every refused request is RFC 9457 problem details with an XP code.",
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A token from the service's tokens file; its roles decide which routes it may call." } },
      schemas: { Problem: ProblemSchema },
    },
  };
}
