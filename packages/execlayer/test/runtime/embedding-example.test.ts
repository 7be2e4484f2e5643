// examples/embedding runs as documented (a child process, as a user would run it) and tells the scenario's story.
import { afterAll, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xpol-embedding-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it("examples/embedding/invoice-agent.ts runs the invoice scenario", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "examples/embedding/invoice-agent.ts", path.join(dir, "state")], { cwd: repo, encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split("\n");
  expect(lines[0]).toBe(`read inv-1: {"customer_id":"c-1","status":"unpaid"}`);
  expect(lines[1]).toBe(`set inv-1 paid: {"customer_id":"c-1","status":"paid"}`);
  expect(lines[2]).toMatch(/^delete inv-2: approval required \(1 of finance\): request apr_[0-9a-f]{24}$/);
  expect(lines[3]).toBe("alice approves: approved");
  expect(lines[4]).toBe("delete inv-2 again: true");
  expect(lines[5]).toMatch(/^delete inv-2 a third time: denied \(XP5005\)/);
  expect(lines[6]).toMatch(/^delete all of c-1: approval required \(2 of finance\)/);
  expect(lines[7]).toBe("alice approves: pending");
  expect(lines[8]).toBe("bob approves: approved");
  expect(lines[9]).toBe("delete all of c-1 again: deleted 1");
  expect(lines[10]).toBe("receipt log: 10 receipts verified");
});
