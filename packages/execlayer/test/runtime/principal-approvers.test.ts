// Approvers per principal (issue 17, item 6): `group owner per actor.on_behalf_of` resolves its members per decision
// from the service's principal keyring, pins them in the request, verifies strictly, and fails closed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  compilePolicy,
  DurableStore,
  Enforcer,
  formatDiagnostics,
  formatPolicy,
  formatPublicKey,
  MemoryJournal,
  MemoryStore,
  NobleSigner,
  parsePrincipalKeyring,
  principalKeyring,
  signApproval,
} from "../../src/index.ts";
import type { CompiledPolicy, PrincipalKeyring, Receipt } from "../../src/index.ts";

const POLICY = `policy accounts version "1"
action account.close { account_id: string }
tier account.close = T3
group owner per actor.on_behalf_of
rule close_needs_the_owner on account.close { require approval 1 of owner within 1h "the account's owner signs" }
`;

function policy(): CompiledPolicy {
  const r = compilePolicy({ sources: [{ path: "accounts.xpol", text: POLICY }] });
  if (r.policy === null) throw new Error(formatDiagnostics(r.diagnostics, r.sources));
  return r.policy;
}

const ana = NobleSigner.fromSeed(new Uint8Array(32).fill(1));
const ben = NobleSigner.fromSeed(new Uint8Array(32).fill(2));
const key = (s: NobleSigner) => formatPublicKey(s.publicKey);
const T0 = Date.parse("2026-01-31T10:00:00Z");
const close = { action: { type: "account.close", params: { account_id: "acc-1" } } };
const onBehalfOf = (who?: string) => ({ actor: who === undefined ? { agent: "bot" } : { agent: "bot", on_behalf_of: who } });

async function setup(principalKeys?: PrincipalKeyring) {
  let now = T0;
  const journal = new MemoryJournal(NobleSigner.fromSeed(new Uint8Array(32).fill(9)), { retain: true });
  const store = new MemoryStore<Receipt>({ journal });
  const enforcer = await Enforcer.create({ policy: policy(), store, clock: () => now, ...(principalKeys !== undefined ? { principalKeys } : {}) });
  return { enforcer, tick: (ms: number) => (now += ms), at: () => now };
}

describe("a group resolved per principal", () => {
  it("pins the principal's keys in the request; only they approve; the approved action runs once", async () => {
    const { enforcer, tick, at } = await setup(principalKeyring({ "u-ana": [key(ana)], "u-ben": [key(ben)] }));
    const asked = await enforcer.decide(close, onBehalfOf("u-ana"));
    expect(asked.effect).toBe("require_approval");
    const request = asked.request!.request;
    expect(request.approvers).toEqual([{ group: "owner", name: "u-ana", key: key(ana) }]);
    // Ben is a principal too, but not this one: his signature is refused, nothing changes
    const byBen = await enforcer.submitApproval(signApproval(ben, request, "approve", at()));
    expect(byBen.accepted).toBe(false);
    if (!byBen.accepted) expect(byBen.error.kind).toBe("not_in_group");
    tick(1000);
    const byAna = await enforcer.submitApproval(signApproval(ana, request, "approve", at()));
    expect(byAna.accepted).toBe(true);
    const run = await enforcer.decide(close, onBehalfOf("u-ana"));
    expect(run.effect).toBe("allow");
    expect((await enforcer.decide(close, onBehalfOf("u-ana"))).code).toBe("XP5005");
    // the same action for another principal is another request, with that principal's keys
    const forBen = await enforcer.decide(close, onBehalfOf("u-ben"));
    expect(forBen.request!.request.approvers).toEqual([{ group: "owner", name: "u-ben", key: key(ben) }]);
    expect(forBen.request!.request.id).not.toBe(request.id);
  });

  it("keys added or removed after the request opened change nothing for it: the pinned keys decide", async () => {
    const keys = new Map<string, string[]>([["u-ana", [key(ana)]]]);
    const { enforcer, at } = await setup({ keysFor: (p) => ({ ok: true, value: keys.get(p) ?? [] }) });
    const request = (await enforcer.decide(close, onBehalfOf("u-ana"))).request!.request;
    keys.set("u-ana", [key(ben)]);
    const byBen = await enforcer.submitApproval(signApproval(ben, request, "approve", at()));
    expect(byBen.accepted).toBe(false);
    expect((await enforcer.submitApproval(signApproval(ana, request, "approve", at()))).accepted).toBe(true);
    expect((await enforcer.decide(close, onBehalfOf("u-ana"))).effect).toBe("allow");
  });

  it.each([
    ["a principal without keys", principalKeyring({ "u-ana": [key(ana)] }), "u-nobody", "holds no key for `u-nobody`"],
    ["no principal in the actor", principalKeyring({ "u-ana": [key(ana)] }), undefined, "`actor.on_behalf_of` names no principal (it is absent)"],
    ["no keyring at all", undefined, "u-ana", "the runtime has no principal keyring"],
    ["an invalid key", principalKeyring({ "u-ana": ["ed25519:" + "01" + "00".repeat(31)] }), "u-ana", "small-order point"],
    ["a keyring that cannot be read", { keysFor: () => ({ ok: false, error: "the directory is down" }) } as PrincipalKeyring, "u-ana", "the directory is down"],
  ])("fails closed with XP5008 and a receipt: %s", async (_what, keys, who, why) => {
    const { enforcer } = await setup(keys);
    const d = await enforcer.decide(close, onBehalfOf(who));
    expect(d.effect).toBe("deny");
    expect(d.code).toBe("XP5008");
    expect(d.reasons[0]).toContain("no approvers for group `owner`");
    expect(d.reasons[0]).toContain(why);
    expect(d.receipt?.body["decision"]).toMatchObject({ effect: "deny", code: "XP5008" });
    expect(d.receipt?.body["state"]).toEqual([]);
    expect(await enforcer.pendingApprovals()).toEqual([]);
  });

  it("the principal comes from the caller, never from the proposal", async () => {
    const { enforcer } = await setup(principalKeyring({ "u-ana": [key(ana)], "u-mallory": [key(ben)] }));
    const forged = { ...close, actor: { agent: "bot", on_behalf_of: "u-mallory" } };
    const d = await enforcer.decide(forged, onBehalfOf("u-ana"));
    expect(d.effect).toBe("deny");
    expect(d.code).toBe("XP4019");
  });

  it("the formatter writes the declaration in one line; the digest names the field", () => {
    const messy = POLICY.replace("group owner per actor.on_behalf_of", "group   owner\n  per    actor.on_behalf_of   // the end user");
    const r = formatPolicy(messy);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.text).toContain("group owner per actor.on_behalf_of // the end user\n");
      expect(formatPolicy(r.text)).toEqual({ ok: true, text: r.text, changed: false });
    }
    const bySession = compilePolicy({ sources: [{ path: "a.xpol", text: POLICY.replace("per actor.on_behalf_of", "per actor.session") }] }).policy!;
    expect(bySession.digest).not.toBe(policy().digest);
    expect(bySession.principalGroups).toEqual(new Map([["owner", "session"]]));
  });

  it("parses the keyring file form, and refuses a malformed line by number", () => {
    const k = parsePrincipalKeyring(`# principals\nuser:42   ${key(ana)}\nuser:42 ${key(ben)}  # laptop\n\nana@example.com ${key(ben)}\n`);
    expect(k.ok).toBe(true);
    if (k.ok) {
      expect(k.value.keysFor("user:42")).toEqual({ ok: true, value: [key(ana), key(ben)] });
      expect(k.value.keysFor("ana@example.com")).toEqual({ ok: true, value: [key(ben)] });
      expect(k.value.keysFor("nobody")).toEqual({ ok: true, value: [] });
    }
    expect(parsePrincipalKeyring(`u-1 ${key(ana)}\nu-2\n`)).toEqual({ ok: false, error: "line 2: expected `PRINCIPAL ed25519:<64 hex>`" });
  });

  it("a state directory's principals.keyring is the default, re-read when it changes; a malformed one denies", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "xp-principals-"));
    const file = path.join(dir, "principals.keyring");
    writeFileSync(file, `u-ana ${key(ana)}\n`);
    const store = await DurableStore.open(dir, { durability: "none" });
    const enforcer = await Enforcer.create({ policy: policy(), store, clock: () => T0 });
    expect((await enforcer.decide(close, onBehalfOf("u-ana"))).request?.request.approvers).toEqual([{ group: "owner", name: "u-ana", key: key(ana) }]);
    expect((await enforcer.decide(close, onBehalfOf("u-ben"))).code).toBe("XP5008");
    writeFileSync(file, `u-ana ${key(ana)}\nu-ben ${key(ben)}   # added while running\n`);
    expect((await enforcer.decide(close, onBehalfOf("u-ben"))).request?.request.approvers).toEqual([{ group: "owner", name: "u-ben", key: key(ben) }]);
    writeFileSync(file, `u-ana ${key(ana)}\nu-carl\n`);
    const broken = await enforcer.decide({ action: { type: "account.close", params: { account_id: "acc-2" } } }, onBehalfOf("u-ana"));
    expect(broken.code).toBe("XP5008");
    expect(broken.reasons[0]).toContain("line 2");
    await enforcer.close();
  });
});
