// The webhook signature's recipe as properties: for all secrets, bodies and times, what the service signs verifies;
// a changed body, another secret, or a timestamp outside the tolerance does not; a header in any other shape is
// refused with a reason, never an exception.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "@execlayer/server";

const secret = fc.string({ minLength: 16, maxLength: 64 });
const body = fc.uint8Array({ maxLength: 512 });
const time = fc.integer({ min: 1_600_000_000, max: 2_000_000_000 });

describe("webhook signatures", () => {
  it("for all secrets, bodies and times: a signed body verifies within the tolerance", () => {
    fc.assert(
      fc.property(secret, body, time, fc.integer({ min: -300, max: 300 }), (s, b, t, skew) => {
        const r = verifyWebhookSignature(s, signWebhook(s, b, t), b, { now: (t + skew) * 1000 });
        expect(r).toEqual({ ok: true, value: { timestamp: t } });
      }),
    );
  });

  it("for all secrets and bodies: one changed byte, another secret or a stale timestamp is refused", () => {
    fc.assert(
      fc.property(secret, secret, body.filter((b) => b.length > 0), time, fc.nat(), (s, other, b, t, at) => {
        const header = signWebhook(s, b, t);
        const changed = b.slice();
        changed[at % b.length] = (changed[at % b.length]! + 1) % 256;
        expect(verifyWebhookSignature(s, header, changed, { now: t * 1000 }).ok).toBe(false);
        if (other !== s) expect(verifyWebhookSignature(other, header, b, { now: t * 1000 }).ok).toBe(false);
        expect(verifyWebhookSignature(s, header, b, { now: (t + 301) * 1000 }).ok).toBe(false);
      }),
    );
  });

  it("for all header texts: an answer with a reason, never an exception", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constant("t=1,v1=zz"), fc.constant("v1=" + "0".repeat(64))), (h) => {
        const r = verifyWebhookSignature("s".repeat(16), h, "{}", { now: 1000 });
        expect(r.ok).toBe(false);
      }),
    );
  });
});
