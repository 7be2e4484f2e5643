// `npm run demo` is the README's main command: it must keep working end to end and exit 0.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

test("the demo runs the invoice agent end to end and verifies its receipts", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "execlayer-demo-"));
  try {
    const run = spawnSync(process.execPath, ["--import", "tsx", path.join(repo, "scripts/demo.ts")], {
      cwd: repo,
      env: { ...process.env, DEMO_STATE_DIR: dir, NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack traces
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("same action, two phrasings, one action digest: yes");
    expect(run.stdout).toMatch(/APPROVE T1 .* set_invoice_status inv-1 void \(the 1,001st\)/);
    expect(run.stdout).toMatch(/refused +mallory \(not in finance\)/);
    expect(run.stdout).toMatch(/verified \d+ receipts/);
    expect(run.stdout).toContain("T3 action ran exactly once; replay refused");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
