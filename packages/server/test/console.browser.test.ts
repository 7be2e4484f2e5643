// The approval console in a real browser: Debian's Chromium driven by playwright-core, against a real service on
// loopback. Two approvers load their key files and sign a T3 request in the page; the agent's waiting call proceeds
// once and a replay is refused; bad input (a key file of the wrong format, a key outside the group, an expired
// request, a request approved meanwhile) is said in words and changes nothing; the receipts view verifies the log
// with the runtime's public key. One browser for the file. Screenshots go to a temporary directory, or into
// docs/images with XP_UPDATE_SCREENSHOTS=1 (that is how the committed ones were taken).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { approvalStatementBytes, formatPublicKey, keyIdOf, signApproval, type ApprovalStatement, type KeyPair } from "execlayer";
import { ACTOR, CONTEXT, alice, bob, bobSigner, get, invoicePolicy, mallory, post, startService, startServiceWithTokens, type Service } from "./fixture.ts";

const CHROMIUM = process.env["XP_CHROMIUM"] ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const UPDATE = process.env["XP_UPDATE_SCREENSHOTS"] === "1";
const shots = UPDATE ? path.resolve(import.meta.dirname, "../docs/images") : mkdtempSync(path.join(tmpdir(), "xpol-console-shots-"));

// a rule with a short window, so a request can expire while the test watches
const QUICK = `
rule quick_delete on invoice.delete {
  when action.invoice_id == "inv-quick"
  require approval 1 of finance within 5s
}
`;

let svc: Service;
let browser: Browser;
/** uncaught errors in the page: none may happen */
const pageErrors: string[] = [];

const keyFile = (pair: KeyPair, name: string) => ({
  name,
  mimeType: "application/json",
  // the format `xpol keygen` writes (receipts/keys.ts)
  buffer: Buffer.from(JSON.stringify({ kind: "ed25519-private", public: formatPublicKey(pair.publicKey), seed: Buffer.from(pair.seed).toString("hex") }) + "\n"),
});

interface RequestJson {
  id: string;
  action_digest: string;
  policy_digest: string;
  status: string;
  approvals: unknown[];
  progress: { approvedBy: string[] }[];
}

const deleteAll = { proposal: { action: { type: "invoice.delete_all", target: "customer/c-1", params: { customer_id: "c-1", reason: "account closed by the customer" } } }, actor: ACTOR, context: CONTEXT };
const deleteOne = (invoice: string) => ({ proposal: { action: { type: "invoice.delete", target: `invoice/${invoice}`, params: { invoice_id: invoice, customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT });

async function open(pair: KeyPair | null, name: string, hash = "#/approvals"): Promise<Page> {
  // a phone-sized page: approvers are often away from their desk
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(`${svc.url}/console${hash}`);
  if (pair !== null) {
    await page.getByLabel("Your private key file").setInputFiles(keyFile(pair, name));
    await expect.poll(() => page.locator("#key-status").textContent()).toContain(keyIdOf(pair.publicKey));
  }
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(shots, name);
  await page.screenshot({ path: file, fullPage: true });
  expect(statSync(file).size).toBeGreaterThan(5_000);
}

const statusOf = async (id: string): Promise<RequestJson> => (await get(`${svc.url}/v1/approvals/${id}`)).json["request"] as RequestJson;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  mkdirSync(shots, { recursive: true });
  [svc, browser] = await Promise.all([startService({ checkpointEvery: 4 }, invoicePolicy("1.0.0", QUICK)), chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })]);
});
afterEach(() => {
  expect(pageErrors).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  if (!UPDATE) rmSync(shots, { recursive: true, force: true });
});

describe("the approval console in Chromium", () => {
  it("two approvers sign a T3 request in their browsers; the waiting agent proceeds once; a replay is refused", async () => {
    const asked = await post(`${svc.url}/v1/decisions`, deleteAll);
    expect(asked.json["effect"]).toBe("require_approval");
    const r = asked.json["request"] as RequestJson;
    // the agent waits for the outcome (long-poll), as an agent in any language would
    const waiting = get(`${svc.url}/v1/approvals/${r.id}?wait=60`);

    const pa = await open(alice, "alice.key");
    await expect.poll(() => pa.locator("main h1").textContent()).toContain("Pending approvals (1)");
    await shot(pa, "console-list.png");
    await pa.getByRole("link", { name: "invoice.delete_all on customer/c-1" }).click();
    await expect.poll(() => pa.locator("main h1").textContent()).toBe("invoice.delete_all on customer/c-1");
    const text = (await pa.locator("main").textContent())!;
    // the action as a human reads it: every parameter, tier and how it was reached, rules, who asks, context
    for (const s of ["account closed by the customer", "T3 — declared for invoice.delete_all", "delete_all_needs_two_approvers", "invoice-bot", "acme-finance", "assigned_customers", "finance: 0 of 2", "May still sign: alice, bob", "alice of finance"]) {
      expect(text).toContain(s);
    }
    expect(await pa.locator("#action-digest").textContent()).toBe(r.action_digest);
    await expect.poll(() => pa.locator(".countdown").first().textContent()).toMatch(/^in 23 h 5\d min/);
    await shot(pa, "console-request.png");

    // keyboard only: focus the Approve button and press Enter
    await pa.locator("#approve").focus();
    await pa.keyboard.press("Enter");
    await expect.poll(() => pa.locator("#sign-result").textContent()).toContain("Your approval counted");
    expect(await pa.locator("#sign-result").textContent()).toContain("Still pending: finance 1 of 2");
    // the bytes the page signed are the core's statement bytes, and the service counted them
    const signedText = (await pa.locator("#signed-bytes").textContent())!;
    const statement = JSON.parse(signedText.slice("execlayer/approval/v1\n".length)) as ApprovalStatement;
    expect(new TextEncoder().encode(signedText)).toEqual(approvalStatementBytes(statement));
    expect(statement).toMatchObject({ request: r.id, action_digest: r.action_digest, policy_digest: r.policy_digest, verdict: "approve", approver: keyIdOf(alice.publicKey) });
    expect((await statusOf(r.id)).progress[0]!.approvedBy).toEqual(["alice"]);
    await shot(pa, "console-signed.png");

    const pb = await open(bob, "bob.key", `#/approvals/${r.id}`);
    await expect.poll(() => pb.locator("main").textContent()).toContain("May still sign: bob");
    await pb.getByRole("button", { name: "Approve" }).click();
    await expect.poll(() => pb.locator("#sign-result").textContent()).toContain("The request is approved");

    // the agent's long-poll is answered with the approval; its call then runs exactly once
    const outcome = await waiting;
    expect((outcome.json["request"] as RequestJson).status).toBe("approved");
    const run = await post(`${svc.url}/v1/decisions`, deleteAll);
    expect(run.json["effect"]).toBe("allow");
    const replay = await post(`${svc.url}/v1/decisions`, deleteAll);
    expect(replay.json["effect"]).toBe("deny");
    expect(replay.json["code"]).toBe("XP5005");
    await pa.close();
    await pb.close();
  });

  it("a redraw that lands while the veto question is open waits for the answer; Cancel then brings the page up to date", async () => {
    const r = (await post(`${svc.url}/v1/decisions`, deleteOne("inv-race"))).json["request"] as RequestJson;
    const page = await open(null, "", `#/approvals/${r.id}`);
    await expect.poll(() => page.locator("main h1").textContent()).toBe("invoice.delete on invoice/inv-race");
    expect(await page.locator("main").textContent()).toContain("no key loaded");
    // hold the request's next fetch, so the redraw that loading a key asks for lands after the veto question opens
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let fetched = 0;
    await page.route(`**/v1/approvals/${r.id}`, async (route) => {
      await held;
      await route.continue();
      fetched++;
    });
    await page.getByLabel("Your private key file").setInputFiles(keyFile(alice, "alice.key"));
    await expect.poll(() => page.locator("#key-status").textContent()).toContain(keyIdOf(alice.publicKey));
    const confirm = page.locator("#veto-confirm");
    await page.getByRole("button", { name: "Reject (veto)" }).click();
    await expect.poll(() => confirm.isVisible()).toBe(true);
    release();
    await expect.poll(() => fetched, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.waitForTimeout(300); // time for a redraw to land, had it not waited
    expect(await confirm.isVisible()).toBe(true);
    await page.unroute(`**/v1/approvals/${r.id}`);
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => page.locator("#sign-result").textContent()).toContain("Veto cancelled. Nothing was signed.");
    await expect.poll(() => page.locator("main").textContent()).toContain(`(${keyIdOf(alice.publicKey)})`);
    expect(await confirm.isVisible()).toBe(false);
    expect((await statusOf(r.id)).approvals).toEqual([]);
    await page.close();
  });

  it("a veto is asked twice (Cancel and Escape sign nothing), then settles the request", async () => {
    const r = (await post(`${svc.url}/v1/decisions`, deleteOne("inv-veto"))).json["request"] as RequestJson;
    const page = await open(alice, "alice.key", `#/approvals/${r.id}`);
    await expect.poll(() => page.locator("main h1").textContent()).toBe("invoice.delete on invoice/inv-veto");
    const confirm = page.locator("#veto-confirm");
    expect(await confirm.isVisible()).toBe(false);

    await page.getByRole("button", { name: "Reject (veto)" }).click();
    await expect.poll(() => confirm.isVisible()).toBe(true);
    expect(await confirm.textContent()).toContain("A veto is final: this action will not run");
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => page.locator("#sign-result").textContent()).toContain("Veto cancelled. Nothing was signed.");
    expect(await confirm.isVisible()).toBe(false);
    await page.getByRole("button", { name: "Reject (veto)" }).click();
    await expect.poll(() => confirm.isVisible()).toBe(true);
    await page.keyboard.press("Escape");
    await expect.poll(() => confirm.isVisible()).toBe(false);
    expect((await statusOf(r.id)).approvals).toEqual([]);

    await page.getByRole("button", { name: "Reject (veto)" }).click();
    await page.getByRole("button", { name: "Sign the veto" }).click();
    await expect.poll(() => page.locator("#sign-result").textContent()).toContain("Your veto counted");
    expect(await page.locator("#sign-result").textContent()).toContain("The request is vetoed: the action will not run.");
    const after = await statusOf(r.id);
    expect(after.status).toBe("vetoed");
    expect(after.approvals).toHaveLength(1);
    await page.close();
  });

  it("the list and a request's page follow the service without a reload", async () => {
    const list = await open(null, "", "#/approvals");
    await expect.poll(() => list.locator("main h1").textContent()).toMatch(/approvals/);
    // a request opened after the page was drawn appears on its own
    const r = (await post(`${svc.url}/v1/decisions`, deleteOne("inv-live"))).json["request"] as RequestJson;
    const link = list.getByRole("link", { name: "invoice.delete on invoice/inv-live" });
    await expect.poll(() => link.count(), { timeout: 20_000 }).toBe(1);
    await link.click();
    await expect.poll(() => list.locator("main h1").textContent()).toBe("invoice.delete on invoice/inv-live");
    expect(await list.locator("#approve").isEnabled()).toBe(true);
    // another approver settles it elsewhere: the page says so and offers nothing to sign
    const byBob = signApproval(bobSigner, { id: r.id, actionDigest: r.action_digest, policyDigest: r.policy_digest }, "approve", Date.now());
    expect((await post(`${svc.url}/v1/approvals/${r.id}/signatures`, byBob)).status).toBe(200);
    await expect.poll(() => list.locator("#sign-result").textContent(), { timeout: 20_000 }).toContain("This request changed while you were looking: now approved; signed by bob");
    expect(await list.locator("#request-status").textContent()).toBe("approved");
    expect(await list.locator("#approve").isEnabled()).toBe(false);
    await list.close();
  });

  it("bad input is said in words and changes nothing", async () => {
    const r = (await post(`${svc.url}/v1/decisions`, deleteOne("inv-bad"))).json["request"] as RequestJson;
    const page = await open(null, "", `#/approvals/${r.id}`);
    await expect.poll(() => page.locator("main h1").textContent()).toBe("invoice.delete on invoice/inv-bad");

    // a key file of the wrong format: the public key text instead of the private key file
    await page.getByLabel("Your private key file").setInputFiles({ name: "alice.pub", mimeType: "text/plain", buffer: Buffer.from(formatPublicKey(alice.publicKey) + "\n") });
    await expect.poll(() => page.locator("#key-status").textContent()).toContain("alice.pub is not an ExecLayer private key file: private key file is not JSON");
    await page.getByRole("button", { name: "Approve" }).click();
    await expect.poll(() => page.locator("#sign-result").textContent()).toContain("Load your private key file first. Nothing was signed.");

    // a key outside the group
    await page.getByLabel("Your private key file").setInputFiles(keyFile(mallory, "mallory.key"));
    await expect.poll(() => page.locator("#key-status").textContent()).toContain(keyIdOf(mallory.publicKey));
    await page.getByRole("button", { name: "Approve" }).click();
    await expect.poll(() => page.locator("#sign-result").textContent()).toContain(`Your key ${keyIdOf(mallory.publicKey)} is not one of this request's approvers (finance: alice, bob). Nothing was signed.`);
    await shot(page, "console-refused.png");
    expect((await statusOf(r.id)).approvals).toEqual([]);

    // approved meanwhile by someone else: the page says so and signs nothing
    await page.getByLabel("Your private key file").setInputFiles(keyFile(alice, "alice.key"));
    await expect.poll(() => page.locator("#key-status").textContent()).toContain(keyIdOf(alice.publicKey));
    const byBob = signApproval(bobSigner, { id: r.id, actionDigest: r.action_digest, policyDigest: r.policy_digest }, "approve", Date.now());
    expect((await post(`${svc.url}/v1/approvals/${r.id}/signatures`, byBob)).status).toBe(200);
    // the page may have redrawn itself first (its live refresh): then it says so and offers nothing to sign
    const clicked = await page
      .getByRole("button", { name: "Approve" })
      .click({ timeout: 3000 })
      .then(() => true, () => false);
    await expect
      .poll(() => page.locator("#sign-result").textContent())
      .toContain(clicked ? "This request was approved by bob meanwhile. Nothing was signed." : "This request changed while you were looking: now approved; signed by bob");
    const after = await statusOf(r.id);
    expect(after.status).toBe("approved");
    expect(after.approvals).toHaveLength(1);

    // an expired request (the quick rule's 5 s window): the page drawn while it was open, Approve pressed after
    const q = (await post(`${svc.url}/v1/decisions`, deleteOne("inv-quick"))).json["request"] as RequestJson & { expires_at: string };
    await page.goto(`${svc.url}/console#/approvals/${q.id}`);
    await expect.poll(() => page.locator("main h1").textContent()).toBe("invoice.delete on invoice/inv-quick");
    await new Promise((res) => setTimeout(res, Math.max(0, Date.parse(q.expires_at) - Date.now()) + 300));
    if (await page.locator("#approve").isEnabled()) {
      await page.getByRole("button", { name: "Approve" }).click();
      await expect.poll(() => page.locator("#sign-result").textContent()).toMatch(/This request (expired at .*|was expired meanwhile)\. Nothing was signed\./);
    } else {
      // a machine so loaded that the page was drawn after the expiry: it says so and offers nothing to sign
      expect(await page.locator("#request-status").textContent()).toBe("expired");
    }
    expect((await statusOf(q.id)).approvals).toEqual([]);
    await page.close();
  });

  it("the receipts view verifies the log with the runtime's public key, and refuses it with another key", async () => {
    const runtimeKey = readFileSync(path.join(svc.dir, "state", "runtime.pub"), "utf8").trim();
    const page = await open(null, "", "#/receipts");
    await page.getByLabel("Runtime public key").fill(runtimeKey);
    await page.getByRole("button", { name: "Verify the log" }).click();
    await expect.poll(() => page.locator("#verify-result").textContent(), { timeout: 20_000 }).toContain("The log verifies.");
    const checks = (await page.locator("#verify-checks").textContent())!;
    expect(checks).toMatch(/\d+ receipts, each signed by this key/);
    expect(checks).toContain("the hash chain is unbroken from the first receipt");
    expect(checks).toMatch(/\d+ checkpoints, each signed by this key and extending the one before/);
    expect(checks).toMatch(/\d+ receipts proven included in the signed checkpoint/);
    await shot(page, "console-receipts.png");

    await page.getByLabel("Runtime public key").fill(formatPublicKey(alice.publicKey));
    await page.getByRole("button", { name: "Verify the log" }).click();
    await expect.poll(() => page.locator("#verify-result").textContent(), { timeout: 20_000 }).toContain("The log does NOT verify.");
    expect(await page.locator("#verify-checks").textContent()).toContain("its signature does not verify with this key");
    await page.close();
  });

  it("behind tokens: the page asks for one; a @sensitive value is shown only with a token allowed to see it", async () => {
    const guarded = await startServiceWithTokens([
      { name: "agent", token: "tok-agent-0123456789", roles: ["agent"] },
      { name: "approver", token: "tok-approver-0123456789", roles: ["approver"] },
      { name: "trusted", token: "tok-trusted-0123456789", roles: ["approver"], reveal_sensitive: true },
    ]);
    try {
      const agent = { authorization: "Bearer tok-agent-0123456789" };
      const update = (n: number, note: string) => ({ tool: "set_invoice_status", args: { invoice_id: `inv-${n}`, customer_id: "c-1", status: "paid", note }, actor: ACTOR, context: CONTEXT });
      await post(`${guarded.url}/v1/decisions`, update(1, "a"), agent);
      await post(`${guarded.url}/v1/decisions`, update(2, "b"), agent);
      const r = (await post(`${guarded.url}/v1/decisions`, update(3, "refund to IBAN DE89 3704"), agent)).json["request"] as RequestJson;

      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      page.on("pageerror", (e) => pageErrors.push(e.message));
      await page.goto(`${guarded.url}/console#/approvals/${r.id}`);
      await expect.poll(() => page.locator("main").textContent()).toContain("enter an access token above");
      for (const [token, shown] of [["tok-approver-0123456789", false], ["tok-trusted-0123456789", true]] as const) {
        await page.getByLabel("Access token").fill(token);
        await page.getByLabel("Access token").press("Tab");
        // the page draws the request again with the new token: wait for that drawing, then read it
        await expect.poll(() => page.locator("main").textContent()).toContain(shown ? "@sensitive: shown to you" : "masked (@sensitive)");
        expect(await page.locator("main h1").textContent()).toBe("invoice.update_status on invoice/inv-3");
        const text = (await page.locator("main").textContent())!;
        if (shown) {
          expect(text).toContain("refund to IBAN DE89 3704");
          expect(text).toContain("@sensitive: shown to you");
        } else {
          expect(text).not.toContain("DE89");
          expect(text).toContain("masked (@sensitive)");
        }
      }
      await page.close();
    } finally {
      await guarded.stop();
    }
  });
});
