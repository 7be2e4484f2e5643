// Webhooks against a real HTTP receiver on loopback that answers every event's first attempt with 500 and lets the
// second time out before it accepts the third: every event of a request's life arrives, signed, with the request,
// its action as the console shows it and a link; failed attempts are retried and logged; a receiver that never
// recovers is given up on and logged; decisions and approvals go on regardless.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signApproval } from "execlayer";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { tmpdir } from "node:os";
import path from "node:path";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, runServeCommand, signWebhook, startServer, verifyWebhookSignature } from "@execlayer/server";
import { ACTOR, CONTEXT, aliceSigner, bobSigner, invoicePolicy, post, startService, type Service } from "./fixture.ts";

const SECRET = "whsec_test_0123456789abcdef";
const QUICK = `
rule quick_delete on invoice.delete {
  when action.invoice_id == "inv-quick"
  require approval 1 of finance within 1s
}
`;

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  attempt: number;
}

/** The receiver: per delivery id, attempt 1 answers 500, attempt 2 never answers, later ones are accepted; `/down` always answers 500. */
class Receiver {
  readonly accepted: Received[] = [];
  readonly attempts = new Map<string, number>();
  readonly hanging = new Set<http.ServerResponse>();
  readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = `${req.url}:${String(req.headers[DELIVERY_HEADER])}`;
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, attempt);
      if (req.url === "/down" || attempt === 1) {
        res.writeHead(500).end("down");
      } else if (attempt === 2) {
        this.hanging.add(res);
      } else {
        this.accepted.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), attempt });
        res.writeHead(204).end();
      }
    });
  });
  url = "";
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
  /**
   * The events accepted at `path`, each once: delivery is at least once (an attempt the receiver accepted but whose
   * answer came after the sender's timeout is sent again), so a receiver deduplicates on the delivery id, as here.
   */
  events(path: string): { type: string; body: Record<string, unknown>; raw: Received }[] {
    const seen = new Set<string>();
    return this.accepted
      .filter((r) => r.path === path && !seen.has(String(r.headers[DELIVERY_HEADER])) && seen.add(String(r.headers[DELIVERY_HEADER])))
      .map((r) => ({ type: String(r.headers[EVENT_HEADER]), body: JSON.parse(r.body) as Record<string, unknown>, raw: r }));
  }
}

let receiver: Receiver;
let svc: Service;

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
  svc = await startService(
    {
      webhooks: {
        targets: [
          { url: `${receiver.url}/json`, secret: SECRET },
          { url: `${receiver.url}/slack`, secret: SECRET, format: "slack" },
          { url: `${receiver.url}/down`, secret: SECRET },
        ],
        // two attempts to spare beyond the third, so a slow loopback answer on a loaded machine is retried, not lost
        attempts: 5,
        backoffMs: 40,
        timeoutMs: 300,
      },
      publicUrl: "https://approvals.example.com/",
    },
    invoicePolicy("1.0.0", QUICK),
  );
});
afterAll(async () => {
  await svc?.stop();
  await receiver?.stop();
});

interface RequestJson {
  id: string;
  action_digest: string;
  policy_digest: string;
  status: string;
}
const sign = (signer: typeof aliceSigner, r: RequestJson, verdict: "approve" | "reject" = "approve") => signApproval(signer, { id: r.id, actionDigest: r.action_digest, policyDigest: r.policy_digest }, verdict, Date.now());
const deleteAll = { proposal: { action: { type: "invoice.delete_all", target: "customer/c-1", params: { customer_id: "c-1", reason: "closing" } } }, actor: ACTOR, context: CONTEXT };
const deleteOne = (invoice: string) => ({ proposal: { action: { type: "invoice.delete", target: `invoice/${invoice}`, params: { invoice_id: invoice, customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT });
const update = (n: number, note: string) => ({ tool: "set_invoice_status", args: { invoice_id: `inv-${n}`, customer_id: "c-1", status: "paid", note }, actor: ACTOR, context: CONTEXT });

const eventsOf = (id: string) => receiver.events("/json").filter((e) => (e.body["request"] as { id: string }).id === id);

describe("webhooks", () => {
  it("every event of a request's life arrives signed, with the request, its action and a link, after retries; decisions go on", async () => {
    // the whole life of a request, answered at once while the receiver fails, hangs, then recovers
    const opened = await post(`${svc.url}/v1/decisions`, deleteAll);
    expect(opened.json["effect"]).toBe("require_approval");
    const r = opened.json["request"] as RequestJson;
    expect((await post(`${svc.url}/v1/approvals/${r.id}/signatures`, sign(aliceSigner, r))).status).toBe(200);
    expect((await post(`${svc.url}/v1/approvals/${r.id}/signatures`, sign(bobSigner, r))).status).toBe(200);
    expect((await post(`${svc.url}/v1/decisions`, deleteAll)).json["effect"]).toBe("allow");
    const v = (await post(`${svc.url}/v1/decisions`, deleteOne("inv-veto"))).json["request"] as RequestJson;
    expect((await post(`${svc.url}/v1/approvals/${v.id}/signatures`, sign(bobSigner, v, "reject"))).status).toBe(200);
    const q = (await post(`${svc.url}/v1/decisions`, deleteOne("inv-quick"))).json["request"] as RequestJson;

    await expect.poll(() => eventsOf(r.id).length, { timeout: 15_000 }).toBe(5);
    expect(eventsOf(r.id).map((e) => e.type)).toEqual(expect.arrayContaining(["request.opened", "signature.added", "signature.added", "request.approved", "request.consumed"]));
    await expect.poll(() => eventsOf(v.id).map((e) => e.type).sort(), { timeout: 15_000 }).toEqual(["request.opened", "request.vetoed"]);
    await expect.poll(() => eventsOf(q.id).map((e) => e.type).sort(), { timeout: 15_000 }).toEqual(["request.expired", "request.opened"]);

    // each accepted on its third attempt or later: after a 500, then a timeout
    for (const e of receiver.events("/json")) expect(e.raw.attempt).toBeGreaterThanOrEqual(3);
    const logs = svc.logs.join("\n");
    expect(logs).toContain("webhook attempt failed; retrying");
    expect(logs).toContain("answered 500");
    expect(logs).toContain("no answer within 300 ms");
    // the receiver that never recovers: given up on after the last attempt, and logged
    expect(logs).toContain("webhook failed: giving up after the last attempt");

    // signed: the recipe in the README (HMAC-SHA256 over "t.body"), checked with the exported helper
    for (const e of receiver.accepted) {
      const checked = verifyWebhookSignature(SECRET, String(e.headers[SIGNATURE_HEADER]), e.body);
      expect(checked.ok).toBe(true);
    }
    const one = eventsOf(r.id).find((e) => e.type === "request.opened")!;
    expect(verifyWebhookSignature(SECRET, String(one.raw.headers[SIGNATURE_HEADER]), one.raw.body.replace("closing", "closin9")).ok).toBe(false);
    expect(verifyWebhookSignature("another-secret-0123", String(one.raw.headers[SIGNATURE_HEADER]), one.raw.body).ok).toBe(false);
    const stale = signWebhook(SECRET, one.raw.body, Math.floor(Date.now() / 1000) - 3600);
    expect(verifyWebhookSignature(SECRET, stale, one.raw.body)).toEqual({ ok: false, error: expect.stringContaining("too far from now") });

    // the request, the action as the console shows it, and the link to its page
    const body = one.body;
    expect(body["id"]).toMatch(/^evt_/);
    expect(body["link"]).toBe(`https://approvals.example.com/console#/approvals/${r.id}`);
    expect(body["request"]).toMatchObject({ id: r.id, action_digest: r.action_digest, tier: "T3", status: "pending" });
    expect(body["action"]).toMatchObject({ action: { type: "invoice.delete_all", target: "customer/c-1", params: { customer_id: "c-1", reason: "closing" } }, actor: ACTOR });
    expect(body["rules"]).toEqual([{ rule: "delete_all_needs_two_approvers", effect: "require_approval" }]);
    expect(body["tier_basis"]).toEqual({ tier: "T3", declared: "T3", raised: false });
    const added = eventsOf(r.id).filter((e) => e.type === "signature.added").map((e) => (e.body["signature"] as { member: string }).member);
    expect(added.sort()).toEqual(["alice", "bob"]);

    // the Slack format: a message with the summary and the console link
    const slack = receiver.events("/slack").find((e) => e.type === "request.opened" && String(e.body["text"]).includes("invoice.delete_all"))!;
    expect(slack.body["text"]).toBe("Approval needed: `invoice.delete_all` on `customer/c-1` (T3) asked by invoice-bot on behalf of acme-finance");
    const block = (slack.body["blocks"] as { text: { text: string } }[])[0]!.text.text;
    expect(block).toContain("• *reason*: closing");
    expect(block).toContain(`<https://approvals.example.com/console#/approvals/${r.id}|Review in the approval console>`);
  });

  it("a @sensitive value never leaves in a webhook: the field is named as masked", async () => {
    await post(`${svc.url}/v1/decisions`, update(1, "a"));
    await post(`${svc.url}/v1/decisions`, update(2, "b"));
    const third = await post(`${svc.url}/v1/decisions`, update(3, "card 4111-1111-1111-1111"));
    const r = third.json["request"] as RequestJson;
    await expect.poll(() => eventsOf(r.id).length, { timeout: 15_000 }).toBe(1);
    const e = eventsOf(r.id)[0]!;
    expect(e.body["sensitive"]).toEqual(["action.params.note"]);
    expect(e.raw.body).not.toContain("4111");
    await expect.poll(() => receiver.events("/slack").some((s) => String(s.body["text"]).includes("invoice.update_status")), { timeout: 15_000 }).toBe(true);
    const slack = receiver.events("/slack").find((s) => String(s.body["text"]).includes("invoice.update_status"))!;
    expect(JSON.stringify(slack.body)).toContain("*note*: _masked (@sensitive)_");
    expect(JSON.stringify(slack.body)).not.toContain("4111");
  });

  it("an event not yet delivered outlives a restart: kept in STATE/webhooks.jsonl, sent again with the same delivery id", async () => {
    // a port with nothing listening: every attempt fails until the service stops
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/hook`;
    const webhooks = { targets: [{ url, secret: SECRET }], attempts: 20, backoffMs: 200, maxBackoffMs: 500, timeoutMs: 300 };
    const first = await startService({ webhooks }, invoicePolicy("1.0.0", QUICK));
    const outbox = path.join(first.dir, "state", "webhooks.jsonl");
    const r = (await post(`${first.url}/v1/decisions`, deleteOne("inv-outbox"))).json["request"] as RequestJson;
    const queued = (): { id: string; type: string }[] => {
      try {
        return readFileSync(outbox, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { op: string; id: string; type: string }).filter((l) => l.op === "queued");
      } catch {
        return [];
      }
    };
    await expect.poll(() => queued().map((l) => l.type)).toContain("request.opened");
    const id = queued().find((l) => l.type === "request.opened")!.id;
    await first.server.close(); // a stop, its retries pending (the directory stays)

    // the receiver comes up on that port; the service starts again on the same state directory
    const got: { delivery: string; event: string; body: Record<string, unknown>; verified: boolean }[] = [];
    const up = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        got.push({ delivery: String(req.headers[DELIVERY_HEADER]), event: String(req.headers[EVENT_HEADER]), body: JSON.parse(raw) as Record<string, unknown>, verified: verifyWebhookSignature(SECRET, String(req.headers[SIGNATURE_HEADER]), raw).ok });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => up.listen(port, "127.0.0.1", resolve));
    const second = await startServer({ policies: [first.policyFile], state: path.join(first.dir, "state"), listen: "127.0.0.1:0", watch: false, durability: "none", webhooks, logDestination: new Writable({ write: (_c, _e, cb) => cb() }) });
    try {
      await expect.poll(() => got.filter((g) => g.delivery === id).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
      const again = got.find((g) => g.delivery === id)!;
      expect(again).toMatchObject({ event: "request.opened", verified: true });
      expect((again.body["request"] as { id: string }).id).toBe(r.id);
      // delivered: the outbox marks it done, so a third start sends nothing again
      await expect.poll(() => readFileSync(outbox, "utf8")).toContain(`"op":"done"`);
    } finally {
      await second.close();
      up.closeAllConnections();
      await new Promise<void>((resolve) => up.close(() => resolve()));
      rmSync(first.dir, { recursive: true, force: true });
    }
  });

  it("a long-running service's outbox is rewritten to the events still open: it stays small, and they survive", async () => {
    // a receiver that fails the first 5 events (retried only after a minute: open for the whole test), accepts the rest
    const refused = new Set<string>();
    const hook = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const id = String(req.headers[DELIVERY_HEADER]);
        if (refused.has(id) || refused.size < 5) {
          refused.add(id);
          res.writeHead(500).end();
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const webhooks = { targets: [{ url, secret: SECRET }], attempts: 1000, backoffMs: 60_000, outboxCompactLines: 8 };
    const svc = await startService({ webhooks }, invoicePolicy("1.0.0", QUICK));
    const outbox = path.join(svc.dir, "state", "webhooks.jsonl");
    const lines = (): { op: string; key: string; id?: string }[] =>
      readFileSync(outbox, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { op: string; key: string; id?: string });
    // what a restart would send again: queued and not done, folded over the file as the service reads it
    const open = (): string[] => {
      const o = new Map<string, string>();
      for (const l of lines()) if (l.op === "queued") o.set(l.key, l.id ?? "");
      else o.delete(l.key);
      return [...o.values()].sort();
    };
    try {
      let longest = 0;
      for (let i = 0; i < 40; i++) {
        expect((await post(`${svc.url}/v1/decisions`, deleteOne(`inv-long-${i}`))).json["effect"]).toBe("require_approval");
        longest = Math.max(longest, lines().length);
      }
      await expect.poll(() => open().length).toBe(5);
      expect(open()).toEqual([...refused].sort());
      // 40 events: 80 lines without rewrites; with them, at most the lines since the last one (>= 8 and >= 4 x open)
      // plus the open events and what is in flight
      expect(longest).toBeLessThan(40);
      expect(lines().length).toBeLessThan(40);
    } finally {
      await svc.server.close();
      hook.closeAllConnections();
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });

  it("xpol serve: --webhook needs a secret file of at least 16 characters, and http(s) URLs", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "xpol-webhook-cli-"));
    try {
      writeFileSync(path.join(dir, "short.secret"), "too-short\n");
      const run = async (...argv: string[]) => {
        const err: string[] = [];
        const code = await runServeCommand(["--policy", "p.xpol", ...argv], { stdout: () => undefined, stderr: (t) => err.push(t), cwd: dir });
        return { code, err: err.join("\n") };
      };
      expect(await run("--webhook", "http://127.0.0.1:9/hook")).toMatchObject({ code: 2, err: expect.stringContaining("give --webhook-secret-file FILE with --webhook") });
      expect(await run("--webhook", "ftp://x/hook", "--webhook-secret-file", "short.secret")).toMatchObject({ code: 2, err: expect.stringContaining("--webhook must be an http(s) URL") });
      expect(await run("--webhook", "http://127.0.0.1:9/hook", "--webhook-secret-file", "short.secret")).toMatchObject({ code: 3, err: expect.stringContaining("must be at least 16 characters") });
      expect(await run("--webhook", "http://127.0.0.1:9/hook", "--webhook-secret-file", "missing.secret")).toMatchObject({ code: 3, err: expect.stringContaining("cannot read the webhook secret file") });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
