// `xpol eval --state`, `xpol approvals list|show`, `xpol sign`, `xpol approve`: the approval workflow from the command line.
import { afterAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { formatPublicKey, keyPairFromSeed, writeKeyFiles } from "../../src/index.ts";
import { DurableStore } from "../../src/index.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "xpol-cli-state-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function xpol(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIO = { stdout: (t) => void (out += t + "\n"), stderr: (t) => void (err += t + "\n"), cwd: work };
  const code = await main(argv, io);
  return { code, out, err };
}

describe("approvals from the command line", () => {
  it("eval --state opens a request; approve signs it; the action then runs once", async () => {
    const keys = await Promise.all(
      ["alice", "bob", "carol", "mallory"].map(async (name, i) => {
        const pair = keyPairFromSeed(new Uint8Array(32).fill(i + 11));
        await writeKeyFiles(path.join(work, name), pair);
        return formatPublicKey(pair.publicKey);
      }),
    );
    let text = fs.readFileSync(path.join(repo, "examples/invoices/invoices.xpol"), "utf8");
    const original = [...text.matchAll(/"(ed25519:[0-9a-f]{64})"/g)].map((m) => m[1]!);
    original.forEach((k, i) => (text = text.replace(k, keys[i]!)));
    fs.writeFileSync(path.join(work, "invoices.xpol"), text);
    fs.writeFileSync(path.join(work, "delete-all.json"), JSON.stringify({ type: "tool_use", id: "t1", name: "delete_customer_invoices", input: { customer_id: "c-9" } }));
    fs.writeFileSync(path.join(work, "who.json"), JSON.stringify({ actor: { agent: "bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-9"] } }));
    const evalArgs = ["eval", "invoices.xpol", "--action", "delete-all.json", "--context", "who.json", "--state", "state"];

    const first = await xpol(...evalArgs);
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toContain("effect: require_approval");
    expect(first.out).toContain("2 of finance within 24h");
    const id = /request: (apr_[0-9a-f]{24}) \(pending/.exec(first.out)?.[1];
    expect(id).toBeDefined();

    const again = await xpol(...evalArgs, "--json");
    expect(JSON.parse(again.out)).toMatchObject({ effect: "require_approval", request: { id, status: "pending" } });

    const list = await xpol("approvals", "list", "--state", "state");
    expect(list.code).toBe(0);
    expect(list.out).toContain(`${id}  pending`);
    expect(list.out).toContain("action:   invoice.delete_all  customer/c-9");
    expect(list.out).toContain("tier:     T3");
    expect(list.out).toContain("requires: 2 of finance; approved by nobody yet (0/2)");

    // show: one request; its JSON is what `xpol sign` signs offline, and the signed approval `approve` accepts
    const shown = await xpol("approvals", "show", id!, "--state", "state", "--json");
    expect(shown.code).toBe(0);
    fs.writeFileSync(path.join(work, "request.json"), shown.out);
    expect(JSON.parse(shown.out)).toMatchObject({ request: { id, status: "pending", action_type: "invoice.delete_all" } });
    const signedOffline = await xpol("sign", "--request", "request.json", "--key", "carol.key", "--at", "2026-01-01T00:00:00Z");
    expect(signedOffline.code).toBe(0);
    expect(JSON.parse(signedOffline.out)).toMatchObject({ statement: { request: id, verdict: "approve", signed_at: "2026-01-01T00:00:00Z" } });
    expect((await xpol("approvals", "show", "apr_000000000000000000000000", "--state", "state")).err).toContain("XP5011");

    const outsider = await xpol("approve", "--state", "state", "--request", id!, "--key", "mallory.key");
    expect(outsider.code).toBe(1);
    expect(outsider.err).toMatch(/refused, XP5014: key `ed25519:[0-9a-f]{16}` is not in the required group `finance`/);

    const a = await xpol("approve", "--state", "state", "--request", id!, "--key", "alice.key");
    expect(a.code).toBe(0);
    expect(a.out).toContain("approval by alice recorded");
    expect(a.out).toContain("approved by alice (1/2)");
    const twice = await xpol("approve", "--state", "state", "--request", id!, "--key", "alice.key");
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(/XP5017: key .* \(`alice`\) was already counted/);

    const b = await xpol("approve", "--state", "state", "--request", id!, "--key", "bob.key", "--json");
    expect(b.code).toBe(0);
    expect(JSON.parse(b.out)).toMatchObject({ accepted: true, status: "approved" });

    const listJson = JSON.parse((await xpol("approvals", "list", "--state", "state", "--json")).out) as { id: string; status: string }[];
    expect(listJson).toEqual([expect.objectContaining({ id, status: "approved" })]);

    const run = await xpol(...evalArgs);
    expect(run.out).toContain("effect: allow");
    expect(run.out).toContain("approved by alice, bob");
    const replay = await xpol(...evalArgs);
    expect(replay.out).toContain("effect: deny");
    expect(replay.out).toContain("code:   XP5005");
    expect((await xpol("approvals", "list", "--state", "state")).out).toContain("no open approval requests");

    const veto = await xpol("approve", "--state", "state", "--request", id!, "--key", "carol.key", "--reject");
    expect(veto.code).toBe(1);
    expect(veto.err).toMatch(/XP5018: approval request .* is already used/);
  });

  it("--state with --actions: one JSON decision per line; the context file's `now` is the decision time, never a proposal's", async () => {
    const times = ["2026-01-01T12:00:00Z", "2026-01-02T12:00:01Z", "2026-01-02T12:00:02Z"];
    const line = JSON.stringify({
      action: { type: "invoice.delete", params: { invoice_id: "inv-1", customer_id: "c-9" } },
      // a proposal's own time is ignored: every run below is decided at its context file's `now`
      requested_at: "2026-06-01T00:00:00Z",
    });
    fs.writeFileSync(path.join(work, "batch.jsonl"), line + "\nnot json\n");
    const out: { effect: string; code?: string; request?: { id: string; expires_at: string } }[] = [];
    for (const [i, now] of times.entries()) {
      const ctx = `batch-context-${i}.json`;
      fs.writeFileSync(path.join(work, ctx), JSON.stringify({ actor: { agent: "bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-9"] }, now }));
      const r = await xpol("eval", "invoices.xpol", "--actions", "batch.jsonl", "--context", ctx, "--state", "batch-state");
      expect(r.code).toBe(0);
      const lines = r.out.trim().split("\n").map((l) => JSON.parse(l) as { effect: string; code?: string; request?: { id: string; expires_at: string } });
      expect(lines[1]!.code).toMatch(/^XP4/);
      out.push(lines[0]!);
    }
    expect(out.map((d) => d.effect)).toEqual(["require_approval", "deny", "require_approval"]);
    expect(out[0]!.request?.expires_at).toBe("2026-01-02T12:00:00.000Z");
    expect(out[1]!.code).toBe("XP5007"); // a day and a second later: the first request expired unused
    expect(out[2]!.request?.id).not.toBe(out[0]!.request?.id);
  });

  it("reports a locked directory, a missing request and bad usage", async () => {
    const store = await DurableStore.open(path.join(work, "locked"));
    const locked = await xpol("approvals", "list", "--state", "locked");
    expect(locked.code).toBe(1);
    expect(locked.err).toMatch(/XP5020: state directory .* is in use by pid \d+/);
    await store.close();
    const missing = await xpol("approve", "--state", "locked", "--request", "apr_nope", "--key", "alice.key");
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("XP5011: no approval request `apr_nope` in `locked`");
    expect((await xpol("approve", "--state", "locked")).code).toBe(2);
    expect((await xpol("approvals")).code).toBe(2);
    // a directory where nothing was ever decided is not turned into a new, empty store
    const empty = await xpol("approvals", "list", "--state", "never-used");
    expect(empty.code).toBe(3);
    expect(empty.err).toContain("holds no state");
    expect(fs.existsSync(path.join(work, "never-used"))).toBe(false);
    expect((await xpol("approve", "--state", "locked", "--request", "x", "--key", "nope.key")).code).toBe(3);
    const withCounters = path.join(work, "counters.json");
    fs.writeFileSync(withCounters, JSON.stringify({ counters: { status_updates: 3 } }));
    expect((await xpol("eval", "invoices.xpol", "--action", "delete-all.json", "--context", "counters.json", "--state", "s2")).code).toBe(2);
  });
});
