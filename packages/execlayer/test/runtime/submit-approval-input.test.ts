// Enforcer.submitApproval never throws, whatever it is given: a throwing getter, a Proxy whose traps throw or
// answer differently on each read, a cycle. Each is a refusal with a code; an approval is judged on one snapshot of
// it, read once.
import { describe, expect, it } from "vitest";
import { NobleSigner } from "../../src/index.ts";
import { signApproval } from "../../src/index.ts";
import { Enforcer } from "../../src/index.ts";
import { MemoryJournal } from "../../src/index.ts";
import { MemoryStore } from "../../src/index.ts";
import type { Receipt } from "../../src/index.ts";
import { fakePolicy, manualClock } from "./helpers/fake-policy.ts";

const seed = (n: number) => new Uint8Array(32).fill(n);
const alice = NobleSigner.fromSeed(seed(1));
const groups = { finance: [["alice", alice]] as const };
const T0 = Date.parse("2026-01-31T10:00:00Z");
const del = { action: { type: "invoice.delete", params: { invoice_id: "inv-1", customer_id: "c-1" } } };

async function setup() {
  const clock = manualClock(T0);
  const journal = new MemoryJournal(NobleSigner.fromSeed(seed(9)), { retain: true });
  const store = new MemoryStore<Receipt>({ journal });
  const enforcer = await Enforcer.create({ policy: fakePolicy({ groups, limit: 3 }), store, clock: clock.now });
  const d = await enforcer.decide(del);
  expect(d.effect).toBe("require_approval");
  const signed = signApproval(alice, d.request!.request, "approve", clock.now());
  return { enforcer, signed, journal };
}

const boom = (): never => {
  throw new Error("boom");
};

describe("Enforcer.submitApproval: hostile input is refused, never thrown", () => {
  const hostile: [string, (signed: { statement: object; signature: string }) => unknown][] = [
    ["a throwing getter at the top", (s) => ({ get statement() { return boom(); }, signature: s.signature })],
    ["a throwing getter in the statement", (s) => ({ statement: { ...s.statement, get request() { return boom(); } }, signature: s.signature })],
    ["a Proxy whose get trap throws", (s) => new Proxy(s, { get: boom })],
    ["a Proxy whose ownKeys trap throws", (s) => new Proxy(s, { ownKeys: boom })],
    ["a Proxy whose getPrototypeOf trap throws", (s) => new Proxy(s, { getPrototypeOf: boom })],
    ["a revoked Proxy", () => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; }],
    ["a getter throwing a value whose toString throws", (s) => ({ get statement() { throw { toString: boom }; }, signature: s.signature })],
    ["a cycle", (s) => { const o: Record<string, unknown> = { ...s }; o["self"] = o; return o; }],
  ];
  it.each(hostile)("%s", async (_name, make) => {
    const { enforcer, signed, journal } = await setup();
    const before = journal.lines.length;
    const r = await enforcer.submitApproval(make(signed as never));
    expect(r.accepted).toBe(false);
    if (!r.accepted) expect(r.error.code).toMatch(/^XP50(10|01)$/);
    // the refusal is journaled like any other, and nothing was approved
    expect(journal.lines.length).toBe(before + 1);
    expect((await enforcer.pendingApprovals())[0]?.status).toBe("pending");
  });

  it("a getter that answers differently on each read is judged on one snapshot", async () => {
    const { enforcer, signed } = await setup();
    let reads = 0;
    // first read of `request`: the real id; later reads: another one
    const { request, ...rest } = signed.statement as unknown as Record<string, string>;
    const statement = { ...rest, get request() { return reads++ === 0 ? request : "apr_000000000000000000000000"; } };
    const r = await enforcer.submitApproval({ statement, signature: signed.signature });
    expect(r.accepted).toBe(true);
    expect(reads).toBe(1);
    expect((await enforcer.pendingApprovals())[0]?.status).toBe("approved");
  });

  it("a Proxy, even a harmless one, is refused as not plain data", async () => {
    const { enforcer, signed } = await setup();
    const r = await enforcer.submitApproval({ statement: new Proxy(signed.statement, {}), signature: signed.signature });
    expect(r).toMatchObject({ accepted: false, error: { kind: "malformed", code: "XP5010" } });
  });

  it("a plain approval is still accepted", async () => {
    const { enforcer, signed } = await setup();
    expect((await enforcer.submitApproval(signed)).accepted).toBe(true);
  });
});
