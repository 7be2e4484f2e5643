// POST /v1/decisions and the batch over real HTTP on loopback: every proposal shape, the caller's actor and context,
// receipts in the durable store, and every kind of bad input refused as problem+json before any decision.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { ACTOR, CONTEXT, post, startService, type Service } from "./fixture.ts";

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc.stop();
});

const receiptLines = (): string[] => readFileSync(path.join(svc.dir, "state", "receipts.jsonl"), "utf8").split("\n").filter((l) => l !== "");

describe("POST /v1/decisions", () => {
  it("allows an IR-shaped read with the caller's actor and context, and answers with its receipt", async () => {
    const r = await post(`${svc.url}/v1/decisions`, {
      proposal: { action: { type: "invoice.read", target: "invoice/inv-1", params: { invoice_id: "inv-1", customer_id: "c-1" } } },
      actor: ACTOR,
      context: CONTEXT,
    });
    expect(r.status).toBe(200);
    expect(r.json["effect"]).toBe("allow");
    expect(r.json["tier"]).toBe("T0");
    expect(r.json["action_type"]).toBe("invoice.read");
    expect(r.json["rules"]).toEqual([{ rule: "read_invoices", effect: "allow" }]);
    expect(String(r.json["action_digest"])).toMatch(/^sha256:[0-9a-f]{64}$/);
    const receipt = r.json["receipt"] as { seq: number; hash: string };
    expect(receipt.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    // the receipt is in the log at that seq, and the next receipt chains to the hash we were given
    const line = JSON.parse(receiptLines()[receipt.seq]!) as { seq: number; body: { decision: { effect: string } } };
    expect(line.seq).toBe(receipt.seq);
    expect(line.body.decision.effect).toBe("allow");
    const next = await post(`${svc.url}/v1/decisions`, { proposal: { action: { type: "invoice.read", target: "invoice/inv-2", params: { invoice_id: "inv-2", customer_id: "c-9" } } }, actor: ACTOR, context: CONTEXT });
    expect(next.json["effect"]).toBe("deny");
    const nextLine = JSON.parse(receiptLines()[(next.json["receipt"] as { seq: number }).seq]!) as { prev: string };
    expect(nextLine.prev).toBe(receipt.hash);
  });

  it("decides raw tool calls (Anthropic, OpenAI, MCP) and the tool form, which hands back the args to run with", async () => {
    const anthropic = await post(`${svc.url}/v1/decisions`, { proposal: { type: "tool_use", id: "toolu_1", name: "get_invoice", input: { invoice_id: "inv-1", customer_id: "c-1" } }, actor: ACTOR, context: CONTEXT });
    expect(anthropic.json["effect"]).toBe("allow");
    const openai = await post(`${svc.url}/v1/decisions`, { proposal: { id: "call_1", type: "function", function: { name: "delete_invoice", arguments: '{"invoice_id":"inv-1","customer_id":"c-1"}' } }, actor: ACTOR, context: CONTEXT });
    expect(openai.json["effect"]).toBe("require_approval");
    const mcp = await post(`${svc.url}/v1/decisions`, { proposal: { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "wire_money", arguments: { to: "x" } } }, actor: ACTOR, context: CONTEXT });
    expect(mcp.json["effect"]).toBe("deny");
    expect(mcp.json["code"]).toBe("XP4012");
    const tool = await post(`${svc.url}/v1/decisions`, { tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" }, actor: ACTOR, context: CONTEXT });
    expect(tool.json["effect"]).toBe("allow");
    expect(tool.json["args"]).toEqual({ invoice_id: "inv-1", customer_id: "c-1" });
  });

  it("answers require_approval with the request: id, requirements, progress, expiry", async () => {
    const r = await post(`${svc.url}/v1/decisions`, { proposal: { action: { type: "invoice.delete_all", target: "customer/c-1", params: { customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT });
    expect(r.json["effect"]).toBe("require_approval");
    expect(r.json["tier"]).toBe("T3");
    const req = r.json["request"] as Record<string, unknown>;
    expect(String(req["id"])).toMatch(/^apr_[0-9a-f]{24}$/);
    expect(req["status"]).toBe("pending");
    expect(req["requirements"]).toEqual([{ group: "finance", quorum: 2, within_ms: 86_400_000 }]);
    expect(req["progress"]).toEqual([{ group: "finance", quorum: 2, approvedBy: [] }]);
    expect(Date.parse(String(req["expires_at"])) - Date.parse(String(req["created_at"]))).toBe(86_400_000);
  });

  it("fails closed on a caller that gives no actor: a deny with its code and a receipt, not an error", async () => {
    const r = await post(`${svc.url}/v1/decisions`, { proposal: { action: { type: "invoice.read", target: "invoice/inv-1", params: { invoice_id: "inv-1", customer_id: "c-1" } } } });
    expect(r.status).toBe(200);
    expect(r.json["effect"]).toBe("deny");
    expect(r.json["code"]).toBe("XP4033");
    expect(r.json["receipt"]).not.toBeNull();
  });

  it("decides a batch in order, with top-level actor and context as defaults", async () => {
    const r = await post(`${svc.url}/v1/decisions/batch`, {
      actor: ACTOR,
      context: CONTEXT,
      decisions: [
        { tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" } },
        { tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" }, context: { assigned_customers: [] } },
        { proposal: { action: { type: "invoice.delete", target: "invoice/inv-3", params: { invoice_id: "inv-3", customer_id: "c-1" } } } },
      ],
    });
    expect(r.status).toBe(200);
    expect((r.json["decisions"] as { effect: string }[]).map((d) => d.effect)).toEqual(["allow", "deny", "require_approval"]);
  });
});

describe("bad input: problem+json with an XP code, never a decision", () => {
  const decisionsBefore = (): number => receiptLines().length;

  const expectProblem = async (res: Promise<{ status: number; type: string; json: Record<string, unknown> }>, status: number, code: string): Promise<Record<string, unknown>> => {
    const before = decisionsBefore();
    const r = await res;
    expect(r.status).toBe(status);
    expect(r.type).toContain("application/problem+json");
    expect(r.json["code"]).toBe(code);
    expect(r.json["status"]).toBe(status);
    expect(r.json["type"]).toBe(`urn:execlayer:problem:${code}`);
    expect(typeof r.json["detail"]).toBe("string");
    expect(JSON.stringify(r.json)).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(r.json["effect"]).toBeUndefined();
    expect(decisionsBefore()).toBe(before);
    return r.json;
  };

  it("malformed JSON: 400 XP4001", async () => {
    await expectProblem(post(`${svc.url}/v1/decisions`, '{"proposal": {'), 400, "XP4001");
  });

  it("duplicate keys and integers beyond 2^53 are refused, not silently resolved: XP4002, XP4005", async () => {
    await expectProblem(post(`${svc.url}/v1/decisions`, '{"proposal": {}, "proposal": {}}'), 400, "XP4002");
    await expectProblem(post(`${svc.url}/v1/decisions`, '{"tool": "get_invoice", "args": {"n": 12345678901234567890}}'), 400, "XP4005");
  });

  it("a wrong content type: 415 XP8201", async () => {
    await expectProblem(post(`${svc.url}/v1/decisions`, "proposal=x", { "content-type": "application/x-www-form-urlencoded" }), 415, "XP8201");
    await expectProblem(post(`${svc.url}/v1/decisions`, "{}", { "content-type": "text/plain" }), 415, "XP8201");
  });

  it("an unknown field: 400 XP8202 naming it", async () => {
    const p = await expectProblem(post(`${svc.url}/v1/decisions`, { proposal: {}, actr: ACTOR }), 400, "XP8202");
    expect(p["detail"]).toContain("actr");
    expect(p["errors"]).toEqual([{ path: "/actr", message: "unknown field `actr`" }]);
  });

  it("neither or both of proposal and tool: 400 XP8202; a bad batch item refuses the whole batch", async () => {
    await expectProblem(post(`${svc.url}/v1/decisions`, { actor: ACTOR }), 400, "XP8202");
    await expectProblem(post(`${svc.url}/v1/decisions`, { proposal: {}, tool: "get_invoice" }), 400, "XP8202");
    await expectProblem(
      post(`${svc.url}/v1/decisions/batch`, { actor: ACTOR, context: CONTEXT, decisions: [{ tool: "get_invoice", args: { invoice_id: "i", customer_id: "c-1" } }, {}] }),
      400,
      "XP8202",
    );
  });

  it("a body over 1 MiB: 413 XP4003", async () => {
    const big = JSON.stringify({ proposal: { pad: "x".repeat((1 << 20) + 10) } });
    await expectProblem(post(`${svc.url}/v1/decisions`, big), 413, "XP4003");
  });

  it("an unknown route: 404 XP8205", async () => {
    await expectProblem(post(`${svc.url}/v1/decide`, {}), 404, "XP8205");
  });

  it("echoes a caller's request id, and logs one JSON line per request with it", async () => {
    const r = await post(`${svc.url}/v1/decisions`, { tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" }, actor: ACTOR, context: CONTEXT }, { "x-request-id": "trace-42" });
    expect(r.headers.get("x-request-id")).toBe("trace-42");
    const line = svc.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l["reqId"] === "trace-42");
    expect(line).toMatchObject({ msg: "request", status: 200, url: "/v1/decisions", decision: { effect: "allow", tier: "T0" } });
  });
});

describe("a slow client", () => {
  it("that does not finish its request in time gets 408 XP8206 as problem details, and nothing is decided", async () => {
    const slow = await startService({ requestTimeoutMs: 500 });
    try {
      const { port } = new URL(slow.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), "127.0.0.1", () => {
          // the headers promise a body that never comes
          socket.write("POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tool\":");
        });
        let text = "";
        socket.on("data", (c: Buffer) => (text += c.toString()));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
        setTimeout(() => reject(new Error(`no answer: ${text}`)), 10_000);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain("Content-Type: application/problem+json");
      expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({ status: 408, code: "XP8206" });
      expect(existsSync(path.join(slow.dir, "state", "receipts.jsonl")) ? readFileSync(path.join(slow.dir, "state", "receipts.jsonl"), "utf8") : "").toBe("");
    } finally {
      await slow.stop();
    }
  });
});

describe("a store that cannot record", () => {
  it("denies with the store's code, as the library does, and counts it as a store error", async () => {
    const broken = await startService();
    try {
      await broken.server.state.store.close();
      const r = await post(`${broken.url}/v1/decisions`, { tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" }, actor: ACTOR, context: CONTEXT });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ effect: "deny", code: "XP5023", receipt: null });
      const metrics = await (await fetch(`${broken.url}/metrics`)).text();
      expect(metrics).toContain('xpol_store_errors_total{code="XP5023"} 1');
    } finally {
      await broken.stop();
    }
  });
});
