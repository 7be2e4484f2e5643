import { fc, test as prop } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { ACTION_DIGEST_KIND, IR_DIGEST_KIND, actionDigest, canonicalize, digest, irDigest, toSovereignIR, type BuildOptions, type SovereignIR } from "../../src/ir/index.ts";
import { allowExtra, options, schema } from "./fixtures.ts";

const read = { action: { type: "invoice.read", target: "invoice/inv-1", params: { invoice_id: "inv-1", customer_id: "c-1" } } };

function errorOf(proposal: unknown, opts: Partial<BuildOptions> = {}): string {
  const r = toSovereignIR(proposal, schema, { ...options, ...opts });
  return r.ok ? "ok" : `${r.error.code} ${r.error.path}`;
}

describe("toSovereignIR", () => {
  test("builds the IR, its canonical text and both digests", () => {
    const caller = { actor: { ...options.actor, session: "s-1" }, context: { region: "eu" } };
    const r = toSovereignIR(read, schema, { ...options, ...caller });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const ir: SovereignIR = {
      version: "1",
      action: read.action,
      actor: { agent: "billing-bot", on_behalf_of: "alice", session: "s-1" },
      context: { region: "eu" },
      requested_at: "2026-01-31T12:00:00Z",
    };
    expect(r.ir).toEqual(ir);
    expect(r.canonical).toBe(canonicalize(ir as never));
    // the IR is built from copies: nothing in it is the caller's or the proposal's object, so later changes to
    // those cannot change what was decided
    expect(r.ir.actor).not.toBe(caller.actor);
    expect(r.ir.context).not.toBe(caller.context);
    expect(r.ir.action.params).not.toBe(read.action.params);
    // Golden: pins the canonical bytes and the digest construction.
    expect(r.canonical).toBe(
      '{"action":{"params":{"customer_id":"c-1","invoice_id":"inv-1"},"target":"invoice/inv-1","type":"invoice.read"},' +
        '"actor":{"agent":"billing-bot","on_behalf_of":"alice","session":"s-1"},"context":{"region":"eu"},"requested_at":"2026-01-31T12:00:00Z","version":"1"}',
    );
    expect(r.actionDigest).toBe(digest({ action: read.action, actor: { agent: "billing-bot", on_behalf_of: "alice" }, kind: ACTION_DIGEST_KIND }));
    expect(r.irDigest).toBe(digest({ ir: ir as never, kind: IR_DIGEST_KIND }));
    expect(r.actionDigest).toBe(actionDigest(r.ir));
    expect(r.irDigest).toBe(irDigest(r.ir));
    // Golden digests (the action one checked independently with `sha256sum` over the preimage text).
    expect(r.actionDigest).toBe("sha256:09b5338385174e7d9c40e4673e84f3ef59885ae21f39867f0f9ce59eee455a00");
    expect(r.irDigest).toBe("sha256:834de7d464b6606ec5ef68a585e9c29d8eb53ad255e39057be47b00454200504");
    expect(r.actionDigest).not.toBe(r.irDigest);
  });

  test("the action digest ignores time, session and context; the IR digest does not", () => {
    const a = toSovereignIR(read, schema, options);
    const b = toSovereignIR(read, schema, { ...options, requestedAt: new Date("2026-02-01T00:00:00.123Z"), actor: { ...options.actor, session: "other" }, context: { region: "us" } });
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(b.actionDigest).toBe(a.actionDigest);
    expect(b.irDigest).not.toBe(a.irDigest);
    expect(b.ir.requested_at).toBe("2026-02-01T00:00:00.123Z");
    // Each of the three alone: same action digest, another IR digest.
    for (const change of [
      { requestedAt: new Date("2026-02-01T00:00:00.123Z") },
      { actor: { ...options.actor, session: "other" } },
      { context: { region: "us" } },
    ]) {
      const d = toSovereignIR(read, schema, { ...options, ...change });
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.actionDigest).toBe(a.actionDigest);
      expect(d.irDigest).not.toBe(a.irDigest);
    }
    // ...but not who asks, nor on whose behalf.
    const c = toSovereignIR(read, schema, { ...options, actor: { agent: "billing-bot", on_behalf_of: "bob" } });
    expect(c.ok).toBe(true);
    expect(c.ok && c.actionDigest).not.toBe(a.actionDigest);
  });

  test("the caller's actor, context and time are authoritative", () => {
    expect(errorOf({ ...read, actor: { agent: "admin-bot" } })).toBe("XP4019 $.actor");
    expect(errorOf({ ...read, actor: { agent: "billing-bot", on_behalf_of: "alice" } })).toBe("ok");
    expect(errorOf({ ...read, context: { region: "us" } }, { context: { region: "eu" } })).toBe("XP4019 $.context");
    expect(errorOf({ ...read, requested_at: "2026-01-31T13:00:00+01:00" })).toBe("ok");
    expect(errorOf({ ...read, requested_at: "2026-01-31T12:00:01Z" })).toBe("XP4019 $.requested_at");
    expect(errorOf({ ...read, requested_at: "yesterday" })).toBe("XP4027 $.requested_at");
    // Without a caller's actor, a trusted IR-shaped proposal may carry its own (replays, tests).
    const own = toSovereignIR({ ...read, actor: { agent: "x" } }, schema, { requestedAt: options.requestedAt });
    expect(own.ok && own.ir.actor).toEqual({ agent: "x" });
  });

  test("request time omitted: the proposal's own, else the default, else an error", () => {
    const { requestedAt: _omit, ...rest } = options;
    const own = toSovereignIR({ ...read, requested_at: "2026-02-01T01:00:00+01:00" }, schema, { ...rest, defaultRequestedAt: "2030-01-01T00:00:00Z" });
    expect(own.ok && own.ir.requested_at).toBe("2026-02-01T00:00:00Z");
    const fallback = toSovereignIR(read, schema, { ...rest, defaultRequestedAt: "2030-01-01T00:00:00Z" });
    expect(fallback.ok && fallback.ir.requested_at).toBe("2030-01-01T00:00:00Z");
    // "ignore": the proposal's time is dropped, not compared, whatever its form
    const ignored = toSovereignIR(JSON.stringify({ ...read, requested_at: "1999-01-01T00:00:00Z" }), schema, { ...options, proposedTime: "ignore" });
    expect(ignored.ok && ignored.ir.requested_at).toBe("2026-01-31T12:00:00Z");
    const none = toSovereignIR(read, schema, rest);
    expect(none.ok ? null : none.error).toMatchObject({ code: "XP4031", path: "$.requested_at" });
  });

  test("request time: Date, epoch milliseconds or RFC 3339, to canonical UTC", () => {
    const fromOffset = toSovereignIR(read, schema, { ...options, requestedAt: "2026-01-31T13:00:00+01:00" });
    expect(fromOffset.ok && fromOffset.ir.requested_at).toBe("2026-01-31T12:00:00Z");
    const fromDate = toSovereignIR(read, schema, { ...options, requestedAt: new Date("2026-01-31T12:00:00.250Z") });
    expect(fromDate.ok && fromDate.ir.requested_at).toBe("2026-01-31T12:00:00.25Z"); // fraction trimmed
    expect(errorOf(read, { requestedAt: "2026-01-31" })).toBe("XP4031 $.requested_at");
    expect(errorOf(read, { requestedAt: new Date(NaN) })).toBe("XP4031 $.requested_at");
    const fromMs = toSovereignIR(read, schema, { ...options, requestedAt: Date.parse("2026-01-31T12:00:00.120Z") });
    expect(fromMs.ok && fromMs.ir.requested_at).toBe("2026-01-31T12:00:00.12Z");
    for (const bad of [Number.NaN, Infinity, 1e16, -1e16]) expect(errorOf(read, { requestedAt: bad })).toBe("XP4031 $.requested_at");
    expect(errorOf(read, { requestedAt: true as never })).toBe("XP4031 $.requested_at");
  });

  test("IR-shaped proposals: only known keys, version 1", () => {
    expect(errorOf({ ...read, version: "1" })).toBe("ok");
    expect(errorOf({ ...read, version: "2" })).toBe("XP4024 $.version");
    expect(errorOf({ ...read, approve: true })).toBe("XP4018 $.approve");
    expect(errorOf({ action: { ...read.action, tier: "T0" } })).toBe("XP4018 $.action.tier");
  });

  test("a replayed IR rebuilds to the same digests", () => {
    const a = toSovereignIR(read, schema, { ...options, context: { region: "eu" } });
    if (!a.ok) throw new Error(a.error.message);
    const again = toSovereignIR(a.canonical, schema, { requestedAt: a.ir.requested_at });
    expect(again.ok && [again.actionDigest, again.irDigest]).toEqual([a.actionDigest, a.irDigest]);
  });
});

describe("bad input: typed errors with paths, never a crash", () => {
  test("malformed JSON text", () => {
    expect(errorOf('{"action": {"type": "invoice.read", "params": {"invoice_id": "inv-1",}}}')).toBe("XP4001 $.action.params");
  });
  test("duplicate keys", () => {
    expect(errorOf('{"action":{"type":"invoice.read","params":{"invoice_id":"a","customer_id":"c","invoice_id":"b"}}}')).toBe("XP4002 $.action.params.invoice_id");
  });
  test("deep nesting, as text and as objects", () => {
    const deepText = `{"action":{"type":"payment.transfer","params":{"amount":1,"meta":${"[".repeat(100)}${"]".repeat(100)}}}}`;
    expect(errorOf(deepText)).toMatch(/^XP4004 \$\.action\.params\.meta(\[0\])+$/);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(errorOf({ action: { type: "payment.transfer", params: { amount: 1, meta: deep } } })).toMatch(/^XP4004 \$\.action\.params\.meta(\.d)+$/);
    const cyclic: Record<string, unknown> = { amount: 1 };
    cyclic["meta"] = cyclic;
    expect(errorOf({ action: { type: "payment.transfer", params: cyclic } })).toMatch(/^XP4004 /);
    expect(errorOf(deepText, { maxDepth: 200 })).toBe("ok");
  });
  test("a 2 MiB payload, as text and as an object", () => {
    const big = { action: { type: "invoice.read", params: { invoice_id: "x".repeat(2 * 1024 * 1024), customer_id: "c" } } };
    expect(errorOf(JSON.stringify(big))).toBe("XP4003 $");
    expect(errorOf(big)).toBe("XP4003 $");
    expect(errorOf(big, { maxBytes: 3 * 1024 * 1024 })).toBe("ok");
  });
  test("NaN, Infinity, huge integers, non-JSON values", () => {
    const transfer = (amount: unknown) => ({ action: { type: "payment.transfer", params: { amount } } });
    expect(errorOf(transfer(NaN))).toBe("XP4006 $.action.params.amount");
    expect(errorOf(transfer(-Infinity))).toBe("XP4006 $.action.params.amount");
    expect(errorOf(transfer(1e300))).toBe("XP4005 $.action.params.amount");
    expect(errorOf('{"action":{"type":"payment.transfer","params":{"amount":99999999999999999999}}}')).toBe("XP4005 $.action.params.amount");
    expect(errorOf('{"action":{"type":"payment.transfer","params":{"amount":1e999}}}')).toBe("XP4006 $.action.params.amount");
    expect(errorOf(transfer(10n))).toBe("ok");
    expect(errorOf(transfer(() => 1))).toBe("XP4006 $.action.params.amount");
    expect(errorOf(transfer(new Map()))).toBe("XP4006 $.action.params.amount");
    expect(errorOf(transfer(Symbol("x")))).toBe("XP4006 $.action.params.amount");
    expect(errorOf({ action: { type: "payment.transfer", params: { amount: 1, tags: [undefined] } } })).toBe("XP4006 $.action.params.tags[0]");
  });
  test("`__proto__` stays data, never a prototype", () => {
    const text = '{"action":{"type":"invoice.read","params":{"invoice_id":"i","customer_id":"c","__proto__":{"admin":true}}}}';
    expect(errorOf(text)).toBe("XP4023 $.action.params.__proto__");
    const r = toSovereignIR(text, allowExtra, options);
    expect(r.ok && r.canonical).toContain('"__proto__":{"admin":true}');
    expect(r.ok && Object.getPrototypeOf(r.ir.action.params)).toBe(Object.prototype);
  });
  test("unrecognized proposals", () => {
    expect(errorOf(null)).toBe("XP4010 $");
    expect(errorOf(undefined)).toBe("XP4006 $");
    expect(errorOf({ hello: "world" })).toBe("XP4010 $");
    expect(errorOf({ action: "invoice.read" })).toBe("XP4010 $");
  });

  prop.prop([fc.oneof(fc.string(), fc.json(), fc.anything())], { numRuns: 200 })("never throws, and fails or succeeds whole", (proposal) => {
    const r = toSovereignIR(proposal, schema, options);
    if (r.ok) expect(r.canonical).toBe(canonicalize(r.ir as never));
    else expect(r.error.code).toMatch(/^XP4\d{3}$/);
  });
});
