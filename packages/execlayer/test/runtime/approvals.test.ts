import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { NobleSigner } from "../../src/index.ts";
import { toBase64, fromBase64 } from "../../src/receipts/bytes.ts";
import { approversFor, approvalStatementBytes, expiryOf, isSatisfied, parseSignedApproval, requestIdFor, requestStatus, signApproval, verifyApproval, type ApprovalRequest, type RequestState, type SignedApproval } from "../../src/runtime/approvals.ts";
import { canonicalize } from "../../src/index.ts";
import type { ApproverGroups } from "../../src/vocabulary/approvers.ts";

const seed = (n: number) => new Uint8Array(32).fill(n);
const alice = NobleSigner.fromSeed(seed(1));
const bob = NobleSigner.fromSeed(seed(2));
const carol = NobleSigner.fromSeed(seed(3));
const mallory = NobleSigner.fromSeed(seed(4));
const oscar = NobleSigner.fromSeed(seed(5));

const member = (name: string, s: NobleSigner) => ({ name, publicKey: s.publicKey, keyId: s.keyId });
const groups: ApproverGroups = new Map([
  ["finance", [member("alice", alice), member("bob", bob), member("carol", carol)]],
  ["ops", [member("oscar", oscar)]],
]);

const T = Date.parse("2026-03-01T10:00:00Z");
const H = 3_600_000;
const POLICY = "sha256:" + "ab".repeat(32);
const ACTION = "sha256:" + "cd".repeat(32);
const requirements = [{ group: "finance", quorum: 2, withinMs: 24 * H }];
const request: ApprovalRequest = {
  id: requestIdFor(POLICY, ACTION, T),
  actionDigest: ACTION,
  irDigest: "sha256:" + "ef".repeat(32),
  policyDigest: POLICY,
  tier: "T3",
  actionType: "invoice.delete_all",
  target: "customer/c-1",
  requirements,
  createdAt: T,
  expiresAt: expiryOf(T, requirements),
  approvers: approversFor(groups, requirements),
};
const fresh: RequestState = { request, approvals: [], consumedAt: null };
const ctx = (now = T + H) => ({ groups, now });

function verified(state: RequestState, signed: SignedApproval, now = T + H) {
  const parsed = parseSignedApproval(signed);
  if (!parsed.ok) return parsed;
  return verifyApproval(state, parsed.value, ctx(now));
}

describe("approval statements", () => {
  it("are domain separated JCS of the six fields", () => {
    const a = signApproval(alice, request, "approve", T + 1000);
    const text = new TextDecoder().decode(approvalStatementBytes(a.statement));
    expect(text.startsWith("execlayer/approval/v1\n{")).toBe(true);
    expect(text.slice("execlayer/approval/v1\n".length)).toBe(canonicalize({ ...a.statement }));
    expect(Object.keys(JSON.parse(text.slice(22))).sort()).toEqual(["action_digest", "approver", "policy_digest", "request", "signed_at", "verdict"]);
  });
  it("a request is judged by the approvers it recorded, without the policy", () => {
    expect(request.approvers.map((a) => `${a.group}/${a.name}`)).toEqual(["finance/alice", "finance/bob", "finance/carol"]);
    const r = verifyApproval(fresh, signApproval(bob, request, "approve", T + 1000), { now: T + H });
    expect(r.ok).toBe(true);
    const o = verifyApproval(fresh, signApproval(oscar, request, "approve", T + 1000), { now: T + H });
    expect(o.ok).toBe(false);
    if (!o.ok) expect(o.error.message).toBe(`key \`${oscar.keyId}\` is not in the required group \`finance\``);
  });

  it("request ids are stable and differ per creation time", () => {
    expect(requestIdFor(POLICY, ACTION, T)).toBe(request.id);
    expect(requestIdFor(POLICY, ACTION, T + 1)).not.toBe(request.id);
    expect(request.id).toMatch(/^apr_[0-9a-f]{24}$/);
    expect(request.expiresAt).toBe(T + 24 * H);
  });
});

describe("a valid approval counts", () => {
  it("from a member of the group, inside the window", () => {
    const r = verified(fresh, signApproval(alice, request, "approve", T + 1000));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.record).toMatchObject({ approver: alice.keyId, member: "alice", groups: ["finance"], verdict: "approve" });
  });
  it("two distinct members satisfy 2 of finance", () => {
    const a = verified(fresh, signApproval(alice, request, "approve", T + 1000));
    const b = verified(fresh, signApproval(bob, request, "approve", T + 2000));
    if (!a.ok || !b.ok) throw new Error("expected ok");
    const state: RequestState = { ...fresh, approvals: [a.record, b.record] };
    expect(isSatisfied(state)).toBe(true);
    expect(requestStatus(state, T + 2 * H)).toBe("approved");
    expect(requestStatus({ ...fresh, approvals: [a.record] }, T + 2 * H)).toBe("pending");
    expect(requestStatus(state, T + 25 * H)).toBe("expired");
  });
});

describe("every forgery is rejected with a message that says what is wrong", () => {
  const cases: [string, () => ReturnType<typeof verified>, string, RegExp][] = [
    ["a key outside every group", () => verified(fresh, signApproval(mallory, request, "approve", T + 1000)), "not_in_group", /not a member of any group/],
    ["a key of another group", () => verified(fresh, signApproval(oscar, request, "approve", T + 1000)), "not_in_group", /`oscar` of group `ops`/],
    [
      "a signature over another request",
      () => {
        const other = signApproval(alice, { ...request, id: requestIdFor(POLICY, ACTION, T - 5) }, "approve", T + 1000);
        return verified(fresh, { statement: { ...other.statement, request: request.id }, signature: other.signature });
      },
      "bad_signature",
      /does not verify/,
    ],
    [
      "a tampered action digest",
      () => {
        const a = signApproval(alice, request, "approve", T + 1000);
        return verified(fresh, { ...a, statement: { ...a.statement, action_digest: "sha256:" + "00".repeat(32) } });
      },
      "action_mismatch",
      /names action digest `sha256:0000/,
    ],
    [
      "another policy's digest",
      () => verified(fresh, signApproval(alice, { ...request, policyDigest: "sha256:" + "11".repeat(32) }, "approve", T + 1000)),
      "policy_mismatch",
      /policy digest/,
    ],
    ["a late signature", () => verified(fresh, signApproval(alice, request, "approve", T + 25 * H), T + 23 * H), "outside_window", /signed at .* 1h after request .* expired/],
    ["a late arrival", () => verified(fresh, signApproval(alice, request, "approve", T + 1000), T + 24 * H + 90_000), "outside_window", /arrived 1m30s after/],
    ["signed before the request existed", () => verified(fresh, signApproval(alice, request, "approve", T - H)), "outside_window", /1h before request/],
    ["signed in the future", () => verified(fresh, signApproval(alice, request, "approve", T + 5 * H), T + H), "outside_window", /4h in the future/],
    [
      "a malformed signature",
      () => {
        const a = signApproval(alice, request, "approve", T + 1000);
        return verified(fresh, { ...a, signature: a.signature.slice(0, -4) });
      },
      "malformed",
      /must decode to 64 bytes/,
    ],
    [
      "a signature with a flipped bit",
      () => {
        const a = signApproval(alice, request, "approve", T + 1000);
        const bytes = fromBase64(a.signature)!;
        bytes[10]! ^= 1;
        return verified(fresh, { ...a, signature: toBase64(bytes) });
      },
      "bad_signature",
      /`alice`/,
    ],
    [
      "the same approver twice",
      () => {
        const first = verified(fresh, signApproval(alice, request, "approve", T + 1000));
        if (!first.ok) throw new Error("first should count");
        return verified({ ...fresh, approvals: [first.record] }, signApproval(alice, request, "approve", T + 2000));
      },
      "duplicate",
      /already counted/,
    ],
    [
      "an approval after a veto",
      () => {
        const veto = verified(fresh, signApproval(carol, request, "reject", T + 1000));
        if (!veto.ok) throw new Error("veto should count");
        return verified({ ...fresh, approvals: [veto.record] }, signApproval(alice, request, "approve", T + 2000));
      },
      "request_closed",
      /vetoed by `carol`/,
    ],
    ["an approval of a used request", () => verified({ ...fresh, consumedAt: T + 2 * H }, signApproval(alice, request, "approve", T + 1000)), "request_closed", /already used/],
    ["an unknown verdict", () => verified(fresh, { ...signApproval(alice, request, "approve", T), statement: { ...signApproval(alice, request, "approve", T).statement, verdict: "maybe" as "approve" } }), "malformed", /verdict/],
  ];
  for (const [name, run, kind, message] of cases) {
    it(name, () => {
      const r = run();
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.kind).toBe(kind);
        expect(r.error.code).toMatch(/^XP501\d$/);
        expect(r.error.message).toMatch(message);
      }
    });
  }

  it("malformed input of any shape is a typed error, never a throw", () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const r = parseSignedApproval(x);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  // Any single-field change to a valid statement either breaks the signature or is caught by a named check.
  const fields = ["request", "action_digest", "policy_digest", "verdict", "approver", "signed_at"] as const;
  test.prop([fc.constantFrom(...fields), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 255 })], { numRuns: 60 })(
    "a mutated statement never counts",
    (field, pos, xor) => {
      const a = signApproval(alice, request, "approve", T + 1000);
      const value = a.statement[field];
      const i = pos % value.length;
      const mutated = value.slice(0, i) + String.fromCharCode((value.charCodeAt(i) ^ xor) & 0x7f || 1) + value.slice(i + 1);
      if (mutated === value) return;
      const r = verified(fresh, { ...a, statement: { ...a.statement, [field]: mutated } });
      expect(r.ok).toBe(false);
    },
  );
});
