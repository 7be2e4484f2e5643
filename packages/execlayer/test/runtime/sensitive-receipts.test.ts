// Sensitive values stay private in receipts (issue 17, item 5): a `@sensitive` value is recorded as its keyed
// commitment (HMAC-SHA256 under the runtime's redaction key), the receipt's digests are over that form, whoever holds
// the key can check a claimed value, and receipts still verify offline without it.
import { statSync, readFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import {
  checkSensitiveValue,
  compilePolicy,
  digest,
  DurableStore,
  Enforcer,
  formatDiagnostics,
  irDigest,
  MemoryJournal,
  MemoryStore,
  NobleSigner,
  SENSITIVE_COMMITMENT_SCHEME,
  generateRedactionKey,
} from "../../src/index.ts";
import type { CompiledPolicy, JsonObject, Receipt, SovereignIR } from "../../src/index.ts";
import { verifyLog } from "../../src/receipts/index.ts";
import { xpol } from "../cli/helpers.ts";

const POLICY = `policy payouts version "1"
actor {
  agent: string
  email: string @sensitive
}
action payout.send {
  iban: string @sensitive
  amount: int
}
tier payout.send = T2
group finance { alice: "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a" }
rule small on payout.send { when action.amount < 100 allow else require approval 1 of finance within 1h }
`;

function policy(): CompiledPolicy {
  const r = compilePolicy({ sources: [{ path: "payouts.xpol", text: POLICY }] });
  if (r.policy === null) throw new Error(formatDiagnostics(r.diagnostics, r.sources));
  return r.policy;
}

// now: `xpol approvals show` lists the requests open at the real time
const T0 = Date.now() - 60_000;
const IBAN = "DE89370400440532013000";
const EMAIL = "ana@example.com";
const send = (amount: number, iban = IBAN) => ({ action: { type: "payout.send", params: { iban, amount } } });
const ctx = { actor: { agent: "bot", email: EMAIL } };

async function journaled() {
  const journal = new MemoryJournal(NobleSigner.fromSeed(new Uint8Array(32).fill(9)), { retain: true });
  const store = new MemoryStore<Receipt>({ journal });
  const enforcer = await Enforcer.create({ policy: policy(), store, clock: () => T0 });
  return { journal, store, enforcer };
}

describe("receipts commit sensitive values under the runtime's redaction key", () => {
  it("records commitments, never the values, names the scheme and the key, and takes the digests over that form", async () => {
    const { journal, store, enforcer } = await journaled();
    const d = await enforcer.decide(send(50), ctx);
    expect(d.effect).toBe("allow");
    const body = d.receipt!.body;
    const ir = body["ir"] as unknown as SovereignIR;
    expect(ir.action.params["iban"]).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(ir.actor["email"]).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(ir.action.params["amount"]).toBe(50);
    expect(body["redaction"]).toEqual({ scheme: SENSITIVE_COMMITMENT_SCHEME, key: store.redactionKey.keyId, fields: ["action.params.iban", "actor.email"] });
    expect(journal.lines.join("\n")).not.toContain(IBAN);
    expect(journal.lines.join("\n")).not.toContain(EMAIL);
    // the old scheme's unsalted digest is nowhere either
    expect(journal.lines.join("\n")).not.toContain(digest(IBAN));
    // ir_digest names the recorded IR (an auditor can recompute it); the IR with the true values gives another one,
    // so hashing guesses against ir_digest finds nothing
    expect(body["ir_digest"]).toBe(irDigest(ir));
    const guessed = { ...ir, action: { ...ir.action, params: { ...ir.action.params, iban: IBAN } }, actor: { ...ir.actor, email: EMAIL } };
    expect(irDigest(guessed)).not.toBe(body["ir_digest"]);
  });

  it("whoever holds the key can check a claimed value; a wrong value, field or key does not check", async () => {
    const { store, enforcer } = await journaled();
    const body = (await enforcer.decide(send(50), ctx)).receipt!.body;
    expect(checkSensitiveValue(body, "action.params.iban", IBAN, store.redactionKey)).toEqual({ ok: true, matches: true });
    expect(checkSensitiveValue(body, "actor.email", EMAIL, store.redactionKey)).toEqual({ ok: true, matches: true });
    expect(checkSensitiveValue(body, "action.params.iban", "DE89370400440532013001", store.redactionKey)).toEqual({ ok: true, matches: false });
    // the same value in another field is another commitment
    expect(checkSensitiveValue(body, "actor.email", IBAN, store.redactionKey)).toEqual({ ok: true, matches: false });
    expect(checkSensitiveValue(body, "action.params.amount", 50, store.redactionKey)).toMatchObject({ ok: false });
    const other = checkSensitiveValue(body, "action.params.iban", IBAN, generateRedactionKey());
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.error).toContain("committed under key");
  });

  fcTest.prop([fc.string({ minLength: 1, maxLength: 24 }), fc.string({ minLength: 1, maxLength: 24 })], { numRuns: 20 })(
    "for all values, the receipt checks the true value and no other",
    async (iban, other) => {
      const { store, enforcer } = await journaled();
      const body = (await enforcer.decide(send(50, iban), ctx)).receipt!.body;
      expect(checkSensitiveValue(body, "action.params.iban", iban, store.redactionKey)).toEqual({ ok: true, matches: true });
      const params = ((body["ir"] as JsonObject)["action"] as JsonObject)["params"] as JsonObject;
      expect(params["iban"]).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      if (other.normalize("NFC") !== iban.normalize("NFC")) {
        expect(checkSensitiveValue(body, "action.params.iban", other, store.redactionKey)).toEqual({ ok: true, matches: false });
      }
    },
  );

  it("each memory store has its own key: the same value commits differently, the same runtime stably", async () => {
    const a = await journaled();
    const b = await journaled();
    const ia = (x: Receipt) => ((x.body["ir"] as JsonObject)["action"] as JsonObject)["params"] as JsonObject;
    const first = ia((await a.enforcer.decide(send(50), ctx)).receipt!);
    const again = ia((await a.enforcer.decide(send(50), ctx)).receipt!);
    const elsewhere = ia((await b.enforcer.decide(send(50), ctx)).receipt!);
    expect(again["iban"]).toBe(first["iban"]);
    expect(elsewhere["iban"]).not.toBe(first["iban"]);
  });
});

describe("a state directory keeps its redaction key beside its signing key", () => {
  it("creates it with the store (mode 0600), reloads it, so a pending request is found after a restart; the log verifies without it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "xp-sensitive-"));
    const open = () => DurableStore.open(dir, { durability: "none" });
    const s1 = await open();
    const e1 = await Enforcer.create({ policy: policy(), store: s1, clock: () => T0 });
    const asked = await e1.decide(send(5000), ctx);
    expect(asked.effect).toBe("require_approval");
    const keyFile = path.join(dir, "runtime.redaction-key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, "utf8")).toMatch(/^\{"key":"[0-9a-f]{64}","kind":"hmac-sha256-redaction"\}\n$/);
    const keyId = s1.redactionKey.keyId;
    await e1.close();

    const s2 = await open();
    expect(s2.redactionKey.keyId).toBe(keyId);
    const e2 = await Enforcer.create({ policy: policy(), store: s2, clock: () => T0 + 1000 });
    const again = await e2.decide(send(5000), ctx);
    expect(again.request?.request.id).toBe(asked.request?.request.id);
    expect(again.actionDigest).toBe(asked.actionDigest);
    await e2.close();

    const pub = readFileSync(path.join(dir, "runtime.pub"), "utf8").trim();
    const verified = await verifyLog(dir, Buffer.from(pub.slice("ed25519:".length), "hex"));
    expect(verified.ok).toBe(true);

    // the CLI: the key holder checks a claimed value against the receipt that recorded it
    const ok = await xpol(["check-value", dir, "--seq", "0", "--field", "action.params.iban", "--value", JSON.stringify(IBAN)]);
    expect(ok.stdout).toContain("matches the claimed value");
    expect(ok.code).toBe(0);
    const wrong = await xpol(["check-value", dir, "--seq", "0", "--field", "action.params.iban", "--value", '"DE00"']);
    expect([wrong.code, wrong.stdout]).toEqual([1, "receipt 0: `action.params.iban` does NOT match the claimed value\n"]);
    const noKey = await xpol(["check-value", dir, "--seq", "0", "--field", "action.params.iban", "--value", '"x"', "--key", path.join(dir, "missing")]);
    expect(noKey.code).toBe(3);

    // approvals show: the action as recorded, sensitive values masked; the key holder checks claimed ones
    const id = asked.request!.request.id;
    const shown = await xpol(["approvals", "show", id, "--state", dir]);
    expect(shown.stderr).toBe("");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('"iban": "‹sensitive›"');
    expect(shown.stdout).toContain('"email": "‹sensitive›"');
    expect(shown.stdout).toContain('"amount": 5000');
    expect(shown.stdout).not.toContain(IBAN);
    const checked = await xpol(["approvals", "show", id, "--state", dir, "--check", `action.params.iban=${JSON.stringify(IBAN)}`, "--check", 'actor.email="eve@example.com"']);
    expect(checked.stdout).toContain("`action.params.iban` matches the claimed value");
    expect(checked.stdout).toContain("`actor.email` does NOT match the claimed value");
    expect(checked.code).toBe(1);
  });
});
