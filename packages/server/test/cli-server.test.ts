// The CLI against a running service: `xpol approvals list|show --server`, `xpol sign` offline from the request's
// JSON, `xpol approve --server` (signing locally) and `--signed`. The CLI runs as a user runs it: the built `xpol`
// in a child process, while the service holds the state directory's lock.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeKeyFiles } from "execlayer";
import { ACTOR, CONTEXT, alice, bob, post, startService, type Service } from "./fixture.ts";

const XPOL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../execlayer/bin/xpol.js");

function xpol(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [XPOL, ...args], { cwd, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
  });
}

let svc: Service;
beforeAll(async () => {
  svc = await startService();
  await writeKeyFiles(path.join(svc.dir, "alice"), alice);
  await writeKeyFiles(path.join(svc.dir, "bob"), bob);
});
afterAll(async () => {
  await svc.stop();
});

describe("xpol against a running service (--server URL)", () => {
  it("lists and shows a request, signs it offline, submits it; approve --server signs locally", async () => {
    const d = await post(`${svc.url}/v1/decisions`, { proposal: { action: { type: "invoice.delete_all", target: "customer/c-1", params: { customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT });
    const id = (d.json["request"] as { id: string }).id;

    // the state directory is the service's: opening it directly is refused, with the way round named
    const locked = await xpol(["approvals", "list", "--state", "state"], svc.dir);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain("XP5020");
    expect(locked.stderr).toContain("use --server URL");

    const list = await xpol(["approvals", "list", "--server", svc.url], svc.dir);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${id}  pending`);
    expect(list.stdout).toContain("requires: 2 of finance; approved by nobody yet (0/2)");
    expect(list.stdout).toContain('"target": "customer/c-1"');

    const shown = await xpol(["approvals", "show", id, "--server", svc.url, "--json"], svc.dir);
    expect(shown.code).toBe(0);
    writeFileSync(path.join(svc.dir, "request.json"), shown.stdout);

    // alice signs offline (no --server: her key never meets the service), someone submits her signature
    const signed = await xpol(["sign", "--request", "request.json", "--key", "alice.key", "--out", "alice-approval.json"], svc.dir);
    expect(signed.code).toBe(0);
    const submitted = await xpol(["approve", "--server", svc.url, "--signed", "alice-approval.json"], svc.dir);
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toContain("approved by alice (1/2)");
    // the same signature again is refused with the service's code
    const again = await xpol(["approve", "--server", svc.url, "--signed", "alice-approval.json"], svc.dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("XP5017");

    // bob approves through the service in one step (fetch, sign here, post)
    const bobs = await xpol(["approve", "--server", svc.url, "--request", id, "--key", "bob.key", "--json"], svc.dir);
    expect(bobs.code).toBe(0);
    expect(JSON.parse(bobs.stdout)).toMatchObject({ accepted: true, request: id, status: "approved" });

    const run = await post(`${svc.url}/v1/decisions`, { proposal: { action: { type: "invoice.delete_all", target: "customer/c-1", params: { customer_id: "c-1" } } }, actor: ACTOR, context: CONTEXT });
    expect(run.json["effect"]).toBe("allow");
  });

  it("an unreachable service: exit 3 with the reason", async () => {
    const r = await xpol(["approvals", "list", "--server", "http://127.0.0.1:9"], svc.dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("cannot reach http://127.0.0.1:9");
  });
});
