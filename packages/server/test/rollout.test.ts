// xpol serve --shadow: the candidate decides every call beside the served policy, never enforced; its effect is in
// the receipts and in /metrics. xpol serve --bundle-signers/--bundle-quorum: only a signed bundle with the quorum.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicy, formatPublicKey, keyPairFromSeed, NobleSigner, signBundle, toBundle } from "execlayer";
import { ACTOR, CONTEXT, get, invoicePolicy, post, startService, type Service } from "./fixture.ts";

describe("shadow mode", () => {
  let svc: Service;
  let candidateDir: string;
  beforeAll(async () => {
    // the candidate's threshold is 1 instead of 2: the second update of the month is allowed, the candidate would ask
    candidateDir = mkdtempSync(path.join(tmpdir(), "xpol-shadow-"));
    const candidate = path.join(candidateDir, "candidate.xpol");
    writeFileSync(candidate, invoicePolicy("1.1.0").replace("counter.status_updates < 2", "counter.status_updates < 1"));
    svc = await startService({ shadow: [candidate] });
  });
  afterAll(async () => {
    await svc.stop();
    rmSync(candidateDir, { recursive: true, force: true });
  });

  it("serves the real policy, records and counts the candidate's decision", async () => {
    const update = { tool: "set_invoice_status", args: { invoice_id: "inv-1", customer_id: "c-1", status: "paid" }, actor: ACTOR, context: CONTEXT };
    const effects: unknown[] = [];
    for (let i = 0; i < 3; i++) effects.push((await post(`${svc.url}/v1/decisions`, update)).json["effect"]);
    // enforced: the served policy's threshold of 2
    expect(effects).toEqual(["allow", "allow", "require_approval"]);
    const m = await get(`${svc.url}/metrics`);
    expect(m.text).toContain('xpol_shadow_decisions_total{effect="allow",shadow_effect="allow"} 1');
    expect(m.text).toContain('xpol_shadow_decisions_total{effect="allow",shadow_effect="require_approval"} 1');
    expect(m.text).toContain('xpol_shadow_decisions_total{effect="require_approval",shadow_effect="require_approval"} 1');
    const receipts = readFileSync(path.join(svc.dir, "state", "receipts.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { kind: string; body: { decision?: { effect: string }; shadow?: { policy: { version: string }; decision: { effect: string } } } });
    const decisions = receipts.filter((r) => r.kind === "decision");
    expect(decisions.map((r) => [r.body.decision?.effect, r.body.shadow?.decision.effect, r.body.shadow?.policy.version])).toEqual([
      ["allow", "allow", "1.1.0"],
      ["allow", "require_approval", "1.1.0"],
      ["require_approval", "require_approval", "1.1.0"],
    ]);
  });
});

describe("signed bundles: --bundle-signers KEYRING --bundle-quorum M", () => {
  let dir: string;
  let bundleFile: string;
  let keyring: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "xpol-bundle-"));
    const built = compilePolicy({ sources: [{ path: "invoices.xpol", text: invoicePolicy("2.0.0") }] });
    if (built.policy === null) throw new Error("the fixture policy does not compile");
    const approvers = [keyPairFromSeed(new Uint8Array(32).fill(31)), keyPairFromSeed(new Uint8Array(32).fill(32))];
    keyring = path.join(dir, "approvers.keyring");
    writeFileSync(keyring, `dana ${formatPublicKey(approvers[0]!.publicKey)}\neli ${formatPublicKey(approvers[1]!.publicKey)}\n`);
    const approvals = approvers.map((p) => signBundle(built.policy!, new NobleSigner(p), "2026-03-01T09:00:00Z"));
    bundleFile = path.join(dir, "bundle.json");
    writeFileSync(bundleFile, JSON.stringify({ ...toBundle(built.policy), approvals: approvals.slice(0, 1) }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses to start on a bundle without the quorum; serves one with it and names it in the receipts", async () => {
    await expect(startService({ policies: [bundleFile], bundleSigners: keyring, bundleQuorum: 2 })).rejects.toThrow(/carries 1 valid approval\(s\) of the 2 required/);
    await expect(startService({ bundleSigners: keyring, bundleQuorum: 1 })).rejects.toThrow(/must be one signed bundle/);
    const svc = await startService({ policies: [bundleFile], bundleSigners: keyring, bundleQuorum: 1 });
    try {
      const r = await post(`${svc.url}/v1/decisions`, { tool: "get_invoice", args: { invoice_id: "inv-1", customer_id: "c-1" }, actor: ACTOR, context: CONTEXT });
      expect(r.json["effect"]).toBe("allow");
      const receipts = readFileSync(path.join(svc.dir, "state", "receipts.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { body: { policy?: { bundle?: { quorum: number; signers: { name: string }[] } } } });
      const named = receipts.find((x) => x.body.policy?.bundle !== undefined);
      expect(named?.body.policy?.bundle).toMatchObject({ quorum: 1, signers: [{ name: "dana" }] });
    } finally {
      await svc.stop();
    }
  });
});
