// Properties of the Enforcer over random sequences of proposals, approvals (valid or forged) and clock moves:
// - no action that needs approval runs without its quorum of distinct valid approvals, and each request runs once;
// - status updates allowed without approval never exceed the monthly limit in any month;
// - replaying the journal rebuilds exactly the live state (what the durable store does on open).
import { expect } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { NobleSigner } from "../../src/index.ts";
import { parseReceiptLine, type Receipt } from "../../src/receipts/index.ts";
import { signApproval, type ApprovalRequest } from "../../src/index.ts";
import { Enforcer } from "../../src/index.ts";
import { calendarWindowStart } from "../../src/vocabulary/windows.ts";
import { MemoryJournal } from "../../src/index.ts";
import { MemoryStore } from "../../src/index.ts";
import { RuntimeState } from "../../src/runtime/state.ts";
import type { JsonValue } from "../../src/index.ts";
import { fakePolicy, manualClock } from "./helpers/fake-policy.ts";
import { changeFromJson } from "../../src/runtime/receipt-body.ts";

const seed = (n: number) => new Uint8Array(32).fill(n);
const signers = [NobleSigner.fromSeed(seed(1)), NobleSigner.fromSeed(seed(2)), NobleSigner.fromSeed(seed(3)), NobleSigner.fromSeed(seed(4))];
const groups = { finance: [["alice", signers[0]!], ["bob", signers[1]!], ["carol", signers[2]!]] as const }; // signers[3]: outsider
const runtimeKey = NobleSigner.fromSeed(seed(9));
const LIMIT = 3;
const H = 3_600_000;

type Op =
  | { kind: "decide"; type: "update" | "delete" | "delete_all"; id: number }
  | { kind: "approve"; who: number; verdict: "approve" | "reject"; pick: number; forge: "none" | "digest" | "late" }
  | { kind: "advance"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("decide" as const), type: fc.constantFrom("update" as const, "delete" as const, "delete_all" as const), id: fc.integer({ min: 0, max: 1 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("approve" as const),
      who: fc.integer({ min: 0, max: 3 }),
      verdict: fc.constantFrom("approve" as const, "approve" as const, "approve" as const, "reject" as const),
      pick: fc.nat(),
      forge: fc.constantFrom("none" as const, "none" as const, "none" as const, "digest" as const, "late" as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(60_000, 6 * H, 25 * H, 10 * 24 * H) }) },
);

function proposal(type: "update" | "delete" | "delete_all", id: number): unknown {
  const params = { invoice_id: `inv-${id}`, customer_id: `c-${id}` };
  switch (type) {
    case "update":
      return { action: { type: "invoice.update_status", params: { ...params, status: "paid" } } };
    case "delete":
      return { action: { type: "invoice.delete", params } };
    case "delete_all":
      return { action: { type: "invoice.delete_all", params: { customer_id: `c-${id}` } } };
  }
}

function dump(state: RuntimeState): string {
  return JSON.stringify({
    counters: [...state.counters].map(([id, g]) => [id, [...g].sort(([a], [b]) => (a < b ? -1 : 1))]).sort(),
    requests: [...state.requests].sort(([a], [b]) => (a < b ? -1 : 1)),
    byAction: [...state.byAction].map(([p, m]) => [p, [...m].sort()]),
  });
}

test.prop([fc.array(op, { minLength: 20, maxLength: 60, size: "max" }), fc.integer({ min: 0, max: 40 * 24 })], { numRuns: 40 })(
  "approvals gate every approval-requiring action, each request runs once, counters respect the limit, replay is exact",
  async (ops, startHour) => {
    const clock = manualClock(Date.parse("2026-01-01T00:00:00Z") + startHour * H);
    const journal = new MemoryJournal(runtimeKey, { retain: true });
    const store = new MemoryStore<Receipt>({ journal });
    const enforcer = await Enforcer.create({ policy: fakePolicy({ groups, limit: LIMIT }), store, clock: clock.now });
    const requests: ApprovalRequest[] = [];
    const accepted = new Map<string, Set<string>>(); // request id -> approvers (approve) that counted
    const vetoed = new Set<string>();
    const ran = new Map<string, number>(); // request id -> times it ran
    const plainAllowsPerMonth = new Map<number, number>();

    for (const o of ops) {
      if (o.kind === "advance") {
        clock.advance(o.ms);
      } else if (o.kind === "decide") {
        const d = await enforcer.decide(proposal(o.type, o.id));
        if (d.request !== undefined && !requests.some((r) => r.id === d.request!.request.id)) requests.push(d.request.request);
        if (d.effect === "allow") {
          if (d.request !== undefined) {
            const id = d.request.request.id;
            const quorum = o.type === "delete_all" ? 2 : 1;
            expect(accepted.get(id)?.size ?? 0).toBeGreaterThanOrEqual(quorum);
            expect(vetoed.has(id)).toBe(false);
            expect(clock.now()).toBeLessThanOrEqual(d.request.request.expiresAt);
            ran.set(id, (ran.get(id) ?? 0) + 1);
          } else {
            expect(o.type).toBe("update");
            const month = calendarWindowStart("month", clock.now());
            plainAllowsPerMonth.set(month, (plainAllowsPerMonth.get(month) ?? 0) + 1);
          }
        }
      } else if (requests.length > 0) {
        // mostly the newest requests, so quorums are reached often
        const req = requests[o.pick % 4 === 0 ? o.pick % requests.length : requests.length - 1 - (o.pick % Math.min(2, requests.length))]!;
        const signer = signers[o.who]!;
        const when = o.forge === "late" ? req.expiresAt + 1 : clock.now();
        let signed = signApproval(signer, req, o.verdict, when);
        if (o.forge === "digest") signed = { ...signed, statement: { ...signed.statement, action_digest: "sha256:" + "0".repeat(64) } };
        const before = dump(store.state);
        const r = await enforcer.submitApproval(signed);
        if (r.accepted) {
          expect(o.forge).toBe("none");
          expect(o.who).toBeLessThan(3);
          if (o.verdict === "reject") vetoed.add(req.id);
          else accepted.set(req.id, new Set([...(accepted.get(req.id) ?? []), signer.keyId]));
        } else {
          expect(dump(store.state)).toBe(before); // nothing rejected changes state
        }
      }
    }
    for (const n of ran.values()) expect(n).toBe(1);
    for (const n of plainAllowsPerMonth.values()) expect(n).toBeLessThanOrEqual(LIMIT);

    // Replay the journal into a fresh state: identical to the live one.
    const replayed = new RuntimeState();
    for (const line of journal.lines) {
      const parsed = parseReceiptLine(line);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      for (const c of parsed.value.body["state"] as JsonValue[]) {
        const change = changeFromJson(c);
        expect(change.ok).toBe(true);
        if (change.ok) expect(replayed.apply(change.value)).toBeNull();
      }
    }
    expect(dump(replayed)).toBe(dump(store.state));
  },
);
