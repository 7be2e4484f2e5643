// The core's CLI with --postgres: `xpol db migrate`, `xpol eval --postgres`, `xpol approvals`/`approve --postgres`,
// `xpol verify --postgres`, `xpol replay --postgres`, `xpol db export` and `xpol verify DIR` on the export. The CLI runs as installed: the
// core's bin/xpol.js on its build (dist/), loading this package's build with a dynamic import (`npm test` here and at
// the root builds both first).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as postgresPackage from "@execlayer/postgres";
import { SCHEMA_VERSION } from "@execlayer/postgres";
import { keyPairFromSeed, writeKeyFiles } from "execlayer";
import type { PostgresModule } from "../../execlayer/src/cli/postgres.ts";

// The contract the core's CLI loads this package by (it cannot import its types): checked here at compile time.
export const contract: PostgresModule = postgresPackage;
import { freshDatabase, noPostgres, sql } from "./helpers/db.ts";
import { examples, IBAN, PAYOUTS, payout } from "./helpers/policy.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const core = path.resolve(here, "../../execlayer");

function xpol(args: readonly string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(core, "bin/xpol.js"), ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(noPostgres)("xpol --postgres", () => {
  it("migrate, eval twice, list and approve the request, eval runs it once, verify every chain, export and verify the export offline", async () => {
    const url = await freshDatabase();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xp-cli-"));
    try {
      fs.writeFileSync(path.join(dir, "ctx.json"), JSON.stringify({ actor: { agent: "bot", on_behalf_of: "acme" }, context: { assigned_customers: ["c-1"] } }));
      fs.writeFileSync(path.join(dir, "a.json"), JSON.stringify({ type: "tool_use", id: "t", name: "delete_invoice", input: { invoice_id: "inv-1", customer_id: "c-1" } }));
      const unmigrated = xpol(["eval", path.join(examples, "invoices/invoices.xpol"), "--postgres", url, "--action", "a.json", "--context", "ctx.json"], dir);
      expect(unmigrated.status).toBe(1);
      expect(unmigrated.stderr).toContain("XP5024");

      // the fleet's redaction key: made once, recorded at migration (its id only), given to every replica that decides
      const made = xpol(["keygen", "--redaction-key", "fleet.redaction-key"], dir);
      expect(made.status).toBe(0);
      const keyId = made.stdout.match(/key id: +(hmac-sha256:[0-9a-f]{16})/)![1]!;
      expect((fs.statSync(path.join(dir, "fleet.redaction-key")).mode & 0o777).toString(8)).toBe("600");
      const m = xpol(["db", "migrate", "--postgres", url, "--redaction-key", "fleet.redaction-key"], dir);
      expect(m.stderr).toBe("");
      expect(m.stdout).toContain(`schema version 0 -> ${SCHEMA_VERSION}`);
      expect(m.stdout).toContain(`the fleet's redaction key is ${keyId}`);
      expect(await sql(url, "SELECT redaction_key_id FROM execlayer_fleet")).toEqual([{ redaction_key_id: keyId }]);
      expect(xpol(["db", "migrate", "--postgres", url], dir).stdout).toContain("nothing to do");
      // a replica without the key, or with another, decides nothing (XP5026, exit 1)
      const keyless = xpol(["eval", path.join(examples, "invoices/invoices.xpol"), "--postgres", url, "--action", "a.json", "--context", "ctx.json"], dir);
      expect(keyless.status).toBe(1);
      expect(keyless.stderr).toContain(`XP5026`);
      expect(keyless.stderr).toContain(`connected without the fleet's redaction key (${keyId})`);
      expect(xpol(["keygen", "--redaction-key", "stray.redaction-key"], dir).status).toBe(0);
      const stray = xpol(["eval", path.join(examples, "invoices/invoices.xpol"), "--postgres", url, "--redaction-key", "stray.redaction-key", "--action", "a.json", "--context", "ctx.json"], dir);
      expect(stray.status).toBe(1);
      expect(stray.stderr).toMatch(new RegExp(`XP5026: .*the fleet's is ${keyId} \\(recorded by migrate`));
      expect(xpol(["db", "migrate", "--postgres", url, "--redaction-key", "stray.redaction-key"], dir)).toMatchObject({ status: 1, stderr: expect.stringContaining("XP5026") });

      const first = xpol(["eval", path.join(examples, "invoices/invoices.xpol"), "--postgres", url, "--redaction-key", "fleet.redaction-key", "--action", "a.json", "--context", "ctx.json"], dir);
      expect(first.stdout).toMatch(/require_approval/);
      expect(first.stdout).toMatch(/request: apr_[0-9a-f]{24} \(pending/);
      const second = xpol(["eval", path.join(examples, "invoices/invoices.xpol"), "--postgres", url, "--redaction-key", "fleet.redaction-key", "--action", "a.json", "--context", "ctx.json"], dir);
      // the same open request, found in the database by another process
      expect(second.stdout.match(/apr_[0-9a-f]{24}/)?.[0]).toBe(first.stdout.match(/apr_[0-9a-f]{24}/)?.[0]);

      // an approver lists the open requests of the fleet and signs one; the action then runs once (each of the four
      // evals and the approval writes one receipt, on a chain of its own: five chains)
      const id = first.stdout.match(/apr_[0-9a-f]{24}/)![0];
      const listed = xpol(["approvals", "list", "--postgres", url], dir);
      expect(listed.stdout).toContain(`${id}  pending`);
      // alice of the example's group `finance`: the RFC 8032 test key 1
      await writeKeyFiles(path.join(dir, "alice"), keyPairFromSeed(Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex")));
      const approved = xpol(["approve", "--postgres", url, "--request", id, "--key", "alice.key"], dir);
      expect(approved.stderr).toBe("");
      expect(approved.stdout).toContain("approval by alice recorded");
      const run = xpol(["eval", path.join(examples, "invoices/invoices.xpol"), "--postgres", url, "--redaction-key", "fleet.redaction-key", "--action", "a.json", "--context", "ctx.json"], dir);
      expect(run.stdout).toMatch(/^effect: allow\n[\s\S]*approved by alice/);
      const replay = xpol(["eval", path.join(examples, "invoices/invoices.xpol"), "--postgres", url, "--redaction-key", "fleet.redaction-key", "--action", "a.json", "--context", "ctx.json"], dir);
      expect(replay.stdout).toMatch(/XP5005/);

      const v = xpol(["verify", "--postgres", url], dir);
      expect(v.status).toBe(0);
      expect(v.stdout).toContain("ok: 5 of 5 chain(s) verified");
      expect(v.stdout).toContain("keys registered in the database");
      const [chainKey] = (await sql<{ public_key: string }>(url, "SELECT public_key FROM execlayer_chains ORDER BY started_at LIMIT 1")).map((r) => r.public_key);
      const untrusted = xpol(["verify", "--postgres", url, "--key", chainKey!], dir);
      expect(untrusted.status).toBe(1);
      expect(untrusted.stderr).toContain("NOT TRUSTED");

      // xpol replay --postgres: every chain's decisions re-decided (the policy's effect: the used request's run and
      // the refused second run were both "require approval" by the policy), none changes under the same policy
      const re = xpol(["replay", "--postgres", url, "--policy", path.join(examples, "invoices/invoices.xpol"), "--fail-on", "widened", "--fail-on", "narrowed"], dir);
      expect(re.stderr).toBe("");
      expect(re.status).toBe(0);
      expect(re.stdout).toContain("4 decision(s) compared: 4 unchanged, 0 changed");
      expect(re.stdout.match(/^chain .* with the key registered in the database: signatures, chain and checkpoints verified$/gm)).toHaveLength(5);

      const ex = xpol(["db", "export", "--postgres", url, "--out", "audit"], dir);
      expect(ex.status).toBe(0);
      const index = JSON.parse(fs.readFileSync(path.join(dir, "audit/chains.json"), "utf8")) as { chains: { dir: string }[] };
      expect(index.chains).toHaveLength(5);
      for (const c of index.chains) {
        const off = xpol(["verify", path.join("audit", c.dir), "--key", path.join("audit", c.dir, "runtime.pub")], dir);
        expect(off.stdout).toMatch(/^ok: 1 receipts verified, 1 checkpoints/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it("approvals show --postgres shows the action as the opening receipt recorded it, masked; --check holds a claimed @sensitive value to its commitment", async () => {
    const url = await freshDatabase();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xp-cli-"));
    try {
      fs.writeFileSync(path.join(dir, "payouts.xpol"), PAYOUTS);
      fs.writeFileSync(path.join(dir, "payout.json"), JSON.stringify(payout));
      fs.writeFileSync(path.join(dir, "ctx.json"), JSON.stringify({ actor: { agent: "payout-bot" } }));
      expect(xpol(["keygen", "--redaction-key", "fleet.redaction-key"], dir).status).toBe(0);
      expect(xpol(["db", "migrate", "--postgres", url, "--redaction-key", "fleet.redaction-key"], dir).status).toBe(0);
      const opened = xpol(["eval", "payouts.xpol", "--postgres", url, "--redaction-key", "fleet.redaction-key", "--action", "payout.json", "--context", "ctx.json"], dir);
      const id = opened.stdout.match(/apr_[0-9a-f]{24}/)?.[0];
      expect(id, opened.stdout + opened.stderr).toBeDefined();

      const shown = xpol(["approvals", "show", id!, "--postgres", url], dir);
      expect(shown.status, shown.stderr).toBe(0);
      expect(shown.stdout).toContain("canonical action (sensitive fields masked)");
      expect(shown.stdout).toContain('"iban": "‹sensitive›"');
      expect(shown.stdout).toContain('"amount": 5000');
      expect(shown.stdout).not.toContain(IBAN);

      const right = xpol(["approvals", "show", id!, "--postgres", url, "--redaction-key", "fleet.redaction-key", "--check", `action.params.iban=${JSON.stringify(IBAN)}`], dir);
      expect(right.stdout).toContain("`action.params.iban` matches the claimed value");
      expect(right.status).toBe(0);
      const wrong = xpol(["approvals", "show", id!, "--postgres", url, "--redaction-key", "fleet.redaction-key", "--check", 'action.params.iban="DE00000000000000000000"'], dir);
      expect(wrong.stdout).toContain("does NOT match");
      expect(wrong.status).toBe(1);
      const keyless = xpol(["approvals", "show", id!, "--postgres", url, "--check", `action.params.iban=${JSON.stringify(IBAN)}`], dir);
      expect(keyless.status).toBe(2);
      expect(keyless.stderr).toContain("--check with --postgres needs the fleet's redaction key");
      const unknown = xpol(["approvals", "show", "apr_000000000000000000000000", "--postgres", url], dir);
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain("in `the fleet's database`");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
