// Signed policy bundles: xpol compile -o, xpol sign-bundle by M of N policy approvers, --verify, and an Enforcer
// that loads only a bundle with the quorum and names it and its signers in every receipt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { xpol } from "../cli/helpers.ts";
import { ROOT } from "./fixture.ts";
import {
  APPROVAL_DOMAIN,
  BUNDLE_APPROVAL_DOMAIN,
  BundleRefused,
  Enforcer,
  MemoryJournal,
  MemoryStore,
  NobleSigner,
  formatPublicKey,
  keyPairFromSeed,
  parseBundleSigners,
  verifyBundle,
  writeKeyFiles,
  type Receipt,
} from "../../src/index.ts";
import { toBase64, utf8 } from "../../src/receipts/bytes.ts";
import { canonicalize } from "../../src/ir/canonicalize.ts";

const pairs = { alice: keyPairFromSeed(new Uint8Array(32).fill(21)), bob: keyPairFromSeed(new Uint8Array(32).fill(22)), carol: keyPairFromSeed(new Uint8Array(32).fill(23)) };
const mallory = keyPairFromSeed(new Uint8Array(32).fill(24));
let dir: string;
let bundle: string;
let keyring: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "xpol-bundles-"));
  for (const [name, pair] of Object.entries(pairs)) await writeKeyFiles(join(dir, name), pair);
  await writeKeyFiles(join(dir, "mallory"), mallory);
  keyring = join(dir, "policy-approvers.keyring");
  writeFileSync(keyring, Object.entries(pairs).map(([n, p]) => `${n} ${formatPublicKey(p.publicKey)}`).join("\n") + "\n");
  bundle = join(dir, "bundle.json");
  expect((await xpol(["compile", join(ROOT, "examples/invoices/invoices.xpol"), "-o", bundle])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verify = (quorum: number) => xpol(["sign-bundle", bundle, "--verify", "--bundle-signers", keyring, "--bundle-quorum", String(quorum)]);

describe("signed policy bundles", () => {
  it("M of N: one approval does not make a quorum of 2, a stranger's does not count, a second approver's does", async () => {
    expect((await xpol(["sign-bundle", bundle, "--key", join(dir, "alice.key"), "--at", "2026-03-01T09:00:00Z"])).code).toBe(0);
    expect((await xpol(["sign-bundle", bundle, "--key", join(dir, "mallory.key")])).code).toBe(0);
    const one = await verify(2);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain("carries 1 valid approval(s) of the 2 required (alice)");
    expect(one.stderr).toContain("is not one of the bundle signers");
    // signing again replaces the signer's earlier approval: still one
    expect((await xpol(["sign-bundle", bundle, "--key", join(dir, "alice.key")])).code).toBe(0);
    expect((await verify(2)).code).toBe(1);
    expect((await xpol(["sign-bundle", bundle, "--key", join(dir, "bob.key")])).code).toBe(0);
    const two = await verify(2);
    expect(two.code).toBe(0);
    expect(two.stdout).toContain("approved by alice, bob (quorum 2)");
    expect((await verify(3)).code).toBe(1);
  });

  it("approvals sign the digest of the sources: a changed source refuses the bundle", async () => {
    const text = readFileSync(bundle, "utf8");
    const tampered = JSON.parse(text) as { sources: { text: string }[] };
    tampered.sources[0]!.text = tampered.sources[0]!.text.replace("counter.status_updates < 1000", "counter.status_updates < 100000");
    const signers = parseBundleSigners(readFileSync(keyring, "utf8"));
    if (!signers.ok) throw new Error(signers.error);
    const v = verifyBundle(tampered, signers.value, 2);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.error).toContain("XP");
  });

  it("a distinct domain: an action-approval signature over the same fields is not a bundle approval", () => {
    const value = JSON.parse(readFileSync(bundle, "utf8")) as { approvals: { statement: Record<string, string>; signature: string }[] };
    const signers = parseBundleSigners(readFileSync(keyring, "utf8"));
    if (!signers.ok) throw new Error(signers.error);
    expect(APPROVAL_DOMAIN).not.toBe(BUNDLE_APPROVAL_DOMAIN);
    // carol signs the bundle's statement fields, but in the action approvals' domain
    const statement = { ...value.approvals[0]!.statement, approver: new NobleSigner(pairs.carol).keyId };
    const forged = { statement, signature: toBase64(new NobleSigner(pairs.carol).sign(utf8.encode(APPROVAL_DOMAIN + canonicalize(statement)))) };
    const only = verifyBundle({ ...value, approvals: [forged] }, signers.value, 1);
    expect(only.ok).toBe(false);
    expect(!only.ok && only.error).toContain("carol's signature does not verify");
  });

  it("the Enforcer loads only a bundle with the quorum, and its receipts name the bundle and its signers", async () => {
    const signers = parseBundleSigners(readFileSync(keyring, "utf8"));
    if (!signers.ok) throw new Error(signers.error);
    const text = readFileSync(bundle, "utf8");
    await expect(Enforcer.create({ bundle: { bundle: text, signers: signers.value, quorum: 3 }, store: new MemoryStore() })).rejects.toBeInstanceOf(BundleRefused);
    // a look-alike of a verified bundle is not one
    const v = verifyBundle(text, signers.value, 2);
    if (!v.ok) throw new Error(v.error);
    await expect(Enforcer.create({ bundle: { ...v.value }, store: new MemoryStore() })).rejects.toBeInstanceOf(BundleRefused);
    const store = new MemoryStore<Receipt>({ journal: new MemoryJournal(new NobleSigner(keyPairFromSeed(new Uint8Array(32).fill(5)))) });
    const enforcer = await Enforcer.create({ bundle: { bundle: text, signers: signers.value, quorum: 2 }, store });
    const d = await enforcer.decideToolCall("get_invoice", { invoice_id: "i", customer_id: "c" }, { actor: { agent: "a", on_behalf_of: "b" }, context: { assigned_customers: [] } });
    expect(d.decision.effect).toBe("allow");
    const policy = d.decision.receipt!.body["policy"] as { digest: string; bundle: { digest: string; quorum: number; signers: { name: string; signed_at: string }[] } };
    expect(policy.bundle.digest).toBe(policy.digest);
    expect(policy.bundle.quorum).toBe(2);
    expect(policy.bundle.signers.map((s) => s.name)).toEqual(["alice", "bob"]);
  });
});
