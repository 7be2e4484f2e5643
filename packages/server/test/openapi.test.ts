// The served OpenAPI document is the committed openapi.json (regenerate with `npm run openapi:update`), and it
// describes every route the service registers.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES } from "@execlayer/server";
import { get, startService, type Service } from "./fixture.ts";

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.stop();
});

describe("/openapi.json", () => {
  it("serves exactly the committed document (npm run openapi:update -w @execlayer/server rewrites it)", async () => {
    const committed = JSON.parse(readFileSync(new URL("../openapi.json", import.meta.url), "utf8")) as Record<string, unknown>;
    const served = await get(`${svc.url}/openapi.json`);
    expect(served.status).toBe(200);
    expect(served.json).toEqual(committed);
    expect(committed["openapi"]).toBe("3.1.0");
  });

  it("documents every route with its roles, and the request schemas the service validates with", async () => {
    const doc = (await get(`${svc.url}/openapi.json`)).json as { paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; "x-roles"?: string[] }>> };
    for (const r of ROUTES) {
      const op = doc.paths[r.url.replace(/:([a-z]+)/g, "{$1}")]?.[r.method.toLowerCase()];
      expect(op?.operationId, `${r.method} ${r.url}`).toBe(r.operationId);
      if (r.roles.length > 0) expect(op?.["x-roles"]).toEqual(r.roles);
      expect(op?.requestBody !== undefined).toBe(r.body !== undefined);
    }
  });
});

describe("health", () => {
  it("/healthz answers; /readyz says the policy is loaded and the store takes writes", async () => {
    expect((await get(`${svc.url}/healthz`)).json).toEqual({ status: "ok" });
    const ready = await get(`${svc.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: "ready", checks: { store: "ok", draining: false } });
    expect(String((ready.json["checks"] as { policy: string }).policy)).toMatch(/^sha256:/);
  });

  it("/readyz says not ready, with the store's code, once the store cannot take a transaction", async () => {
    const other = await startService();
    try {
      await other.server.state.store.close();
      const r = await get(`${other.url}/readyz`);
      expect(r.status).toBe(503);
      expect(r.json).toMatchObject({ status: "not ready", checks: { store: expect.stringMatching(/^XP5023: /), draining: false } });
    } finally {
      await other.stop();
    }
  });
});
