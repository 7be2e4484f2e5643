// Access: bearer tokens with roles from a file of hashed tokens, refusal to listen beyond loopback without them,
// and TLS from a certificate and key (a self-signed test certificate in test/fixtures, for 127.0.0.1).
import { readFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken, ServeError } from "@execlayer/server";
import { ACTOR, CONTEXT, get, post, startService, startServiceWithTokens, type Service } from "./fixture.ts";

const TOKENS = { agent: "tok-agent-0123456789", approver: "tok-approver-0123456789", auditor: "tok-auditor-0123456789", admin: "tok-admin-0123456789" };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const decision = { tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" }, actor: ACTOR, context: CONTEXT };

let svc: Service;
beforeAll(async () => {
  svc = await startServiceWithTokens(Object.entries(TOKENS).map(([role, token]) => ({ name: `${role}-1`, token, roles: [role] })));
});
afterAll(async () => {
  await svc.stop();
});

describe("bearer tokens with roles", () => {
  it("the tokens file holds only hashes: the token itself appears nowhere in it", () => {
    expect(hashToken("x")).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(TOKENS.agent)).not.toContain(TOKENS.agent);
  });

  it("no token or an unknown token: 401 XP8203 with a Bearer challenge, and nothing decided", async () => {
    const none = await post(`${svc.url}/v1/decisions`, decision);
    expect(none.status).toBe(401);
    expect(none.json["code"]).toBe("XP8203");
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    const wrong = await post(`${svc.url}/v1/decisions`, decision, bearer("tok-agent-0123456788"));
    expect(wrong.status).toBe(401);
    // even a malformed body from an unauthenticated caller learns only that it is unauthenticated
    const junk = await post(`${svc.url}/v1/decisions`, "{", {});
    expect(junk.status).toBe(401);
  });

  it("each role reaches its routes and only those: 403 XP8204 otherwise", async () => {
    expect((await post(`${svc.url}/v1/decisions`, decision, bearer(TOKENS.agent))).json["effect"]).toBe("allow");
    expect((await post(`${svc.url}/v1/decisions`, decision, bearer(TOKENS.auditor))).status).toBe(403);
    expect((await get(`${svc.url}/v1/approvals`, bearer(TOKENS.agent))).status).toBe(403);
    expect((await get(`${svc.url}/v1/approvals`, bearer(TOKENS.approver))).status).toBe(200);
    expect((await get(`${svc.url}/v1/receipts`, bearer(TOKENS.approver))).status).toBe(403);
    expect((await get(`${svc.url}/v1/receipts`, bearer(TOKENS.auditor))).status).toBe(200);
    expect((await get(`${svc.url}/metrics`, bearer(TOKENS.agent))).status).toBe(403);
    expect((await get(`${svc.url}/metrics`, bearer(TOKENS.auditor))).status).toBe(200);
    const reload = await post(`${svc.url}/v1/policy/reload`, "", { ...bearer(TOKENS.approver), "content-type": "application/json" });
    expect(reload.status).toBe(403);
    expect(reload.json["code"]).toBe("XP8204");
    expect((await get(`${svc.url}/v1/policy`, bearer(TOKENS.admin))).status).toBe(200);
    // health and discovery need no token
    expect((await get(`${svc.url}/healthz`)).status).toBe(200);
    expect((await get(`${svc.url}/.well-known/authzen-configuration`)).status).toBe(200);
  });
});

describe("listening", () => {
  it("refuses a non-loopback address without tokens (XP8211), and a bad tokens file", async () => {
    await expect(startService({ listen: "0.0.0.0:0" })).rejects.toMatchObject({ code: "XP8211" });
    await expect(startService({ listen: "0.0.0.0:0" })).rejects.toBeInstanceOf(ServeError);
    await expect(startService({ tokensFile: "/nonexistent/tokens.json" })).rejects.toMatchObject({ code: "XP8211", exit: 3 });
  });

  it("serves HTTPS from a certificate and key", async () => {
    const fixtures = path.join(import.meta.dirname, "fixtures");
    const tls = await startService({ tls: { cert: path.join(fixtures, "localhost.crt"), key: path.join(fixtures, "localhost.key") } });
    try {
      expect(tls.url.startsWith("https://127.0.0.1:")).toBe(true);
      const body = await new Promise<string>((resolve, reject) => {
        const req = https.request(`${tls.url}/v1/decisions`, { method: "POST", ca: readFileSync(path.join(fixtures, "localhost.crt")), headers: { "content-type": "application/json" } }, (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end(JSON.stringify(decision));
      });
      expect(JSON.parse(body)).toMatchObject({ effect: "allow" });
    } finally {
      await tls.stop();
    }
  });
});

describe("xpol serve's arguments", () => {
  it("refuses bad values with the usage, exit 2, before starting anything", async () => {
    const { runServeCommand } = await import("@execlayer/server");
    const err: string[] = [];
    const io = { cwd: process.cwd(), stdout: () => undefined, stderr: (t: string) => void err.push(t) };
    expect(await runServeCommand(["--policy", "p.xpol", "--body-limit", "10"], io)).toBe(2);
    expect(err.join("\n")).toContain("--body-limit must be an integer of at least 1024");
    expect(await runServeCommand(["--policy", "p.xpol", "--tls-cert", "c.pem"], io)).toBe(2);
    expect(err.join("\n")).toContain("give both --tls-cert and --tls-key");
    expect(await runServeCommand(["--policy", "p.xpol", "--memory", "--state", "d"], io)).toBe(2);
    expect(await runServeCommand(["--policy", "p.xpol", "--state", "d", "--postgres", "postgresql://x@127.0.0.1:1/db"], io)).toBe(2);
    expect(err.join("\n")).toContain("give one of --state, --memory, --postgres");
    expect(await runServeCommand(["--policy", "/nonexistent/p.xpol", "--listen", "127.0.0.1:0"], io)).toBe(1);
    expect(err.join("\n")).toContain("XP8211: refusing to start: the policy does not check");
    expect(err.join("\n")).toContain("XP8001");
  });
});
