// The remote decider fails closed for all answers: whatever a service at `--server` answers to `POST /v1/decisions`
// (any status, any JSON, or not JSON), the proxy gets arguments to forward only for a well-formed allow (or request
// to approve) of exactly the arguments it sent, and those are its own frozen snapshot, never the caller's object.
// The service is a stand-in here (a real `xpol serve` never answers garbage: remote.test.ts runs against one).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteDecider } from "@execlayer/mcp";

let answer: { status: number; body: string } = { status: 200, body: "{}" };
let server: http.Server;
let decider: RemoteDecider;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => void res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  decider = new RemoteDecider({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: null, timeoutMs: 2000 });
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const args = fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
/** An answer shaped like a decision (so the interesting branches are reached), with any part of it wrong or right. */
const decisionLike = (sent: Record<string, unknown>) =>
  fc.record(
    {
      effect: fc.constantFrom("allow", "deny", "require_approval", "maybe"),
      tier: fc.constantFrom("T0", null, 3),
      action_type: fc.constantFrom("fs.read", null),
      rules: fc.constant([]),
      reasons: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), fc.constant("no")),
      receipt: fc.oneof(fc.constant(null), fc.record({ seq: fc.nat(), hash: fc.constant("sha256:00") })),
      args: fc.oneof(fc.constant(sent), fc.jsonValue({ maxDepth: 2 })),
    },
    { requiredKeys: ["effect"] },
  );

/** A well-formed allow or approval request of exactly the sent arguments: the only answers that forward. */
const wellFormed = (sent: Record<string, unknown>) =>
  fc.record({
    effect: fc.constantFrom("allow", "require_approval"),
    tier: fc.constant("T0"),
    action_type: fc.constant("fs.read"),
    rules: fc.constant([]),
    reasons: fc.array(fc.string(), { maxLength: 2 }),
    receipt: fc.constant(null),
    args: fc.constant(sent),
  });

describe("RemoteDecider", () => {
  it("for all answers: arguments to forward only for an allow or approval request of exactly the sent arguments, as a frozen copy", async () => {
    let forwarded = 0;
    await fc.assert(
      fc.asyncProperty(
        args.chain((sent) => fc.tuple(fc.constant(sent), fc.constantFrom(200, 200, 200, 400, 500, 503), fc.oneof(wellFormed(sent).map((v) => JSON.stringify(v)), decisionLike(sent).map((v) => JSON.stringify(v)), fc.jsonValue().map((v) => JSON.stringify(v)), fc.string()))),
        async ([sent, status, body]) => {
          answer = { status, body };
          const r = await decider.decide("read_text_file", sent, { actor: { agent: "coder" }, context: undefined });
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            parsed = undefined;
          }
          const p = typeof parsed === "object" && parsed !== null ? (parsed as { effect?: unknown; reasons?: unknown; args?: unknown }) : undefined;
          // what a real proxy must not forward: anything but a 200 decision of allow/approval for the very arguments sent
          const forwardable =
            status === 200 &&
            p !== undefined &&
            (p.effect === "allow" || p.effect === "require_approval") &&
            Array.isArray(p.reasons) &&
            isDeepStrictEqual(p.args, JSON.parse(JSON.stringify(sent)));
          if (r.args !== null) {
            forwarded++;
            expect(forwardable).toBe(true);
            expect(r.args).not.toBe(sent);
            expect(r.args).toEqual(JSON.parse(JSON.stringify(sent)));
            expect(Object.isFrozen(r.args)).toBe(true);
            expect(["allow", "require_approval"]).toContain(r.decision.effect);
          } else if (r.decision.effect !== "deny") {
            // only a well-formed require_approval or allow may come without arguments... never here: both carry them
            expect.unreachable(`a ${r.decision.effect} without arguments`);
          }
          if (status !== 200) {
            expect(r.decision.effect).toBe("deny");
            expect(r.decision.code).toEqual(expect.any(String));
          }
        },
      ),
      { numRuns: 150 },
    );
    // the property reached the forwarding branch (it could be vacuous otherwise)
    expect(forwarded).toBeGreaterThan(0);
  });
});
