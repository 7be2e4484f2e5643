// `xpol mcp --state DIR --signatures per-batch`: the proxy's receipt log is sealed per group commit (one signature
// per write, as `xpol serve --signatures per-batch`), and it still verifies with `xpol verify`; every receipt proves
// on its own with `xpol prove`. The options go only with the durable store.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/client";
import { FILESYSTEM_SERVER, XPOL, filesystemProxy, type scratch, tapped, textOf } from "./helpers.ts";

let tmp: ReturnType<typeof scratch>;
let ws: string;
let tapLog: string;
let client: Client;

beforeAll(async () => {
  ({ tmp, ws, tapLog, client } = await filesystemProxy({ "notes.txt": "line one\n" }, ["--state", "state", "--signatures", "per-batch"]));
});

afterAll(async () => {
  await client?.close();
  tmp?.remove();
});

describe("xpol mcp --signatures per-batch", () => {
  it("decides as with per-receipt signatures; the log is sealed per write, verifies, and each receipt proves", async () => {
    const reads = await Promise.all([1, 2, 3].map(() => client.callTool({ name: "read_text_file", arguments: { path: path.join(ws, "notes.txt") } })));
    for (const r of reads) expect(textOf(r)).toContain("line one");
    const denied = await client.callTool({ name: "read_text_file", arguments: { path: path.join(tmp.dir, "outside.txt") } });
    expect(denied.isError).toBe(true);
    expect(textOf(denied)).toMatch(/ExecLayer denied/);
    expect(tapped(tapLog).filter((l) => l.startsWith("tools/call"))).toEqual(["tools/call read_text_file", "tools/call read_text_file", "tools/call read_text_file"]);

    await client.close();
    const lock = path.join(tmp.dir, "state", "LOCK");
    for (let i = 0; i < 100 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 50));
    const lines = readFileSync(path.join(tmp.dir, "state", "receipts.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { kind: string; seq: number; sig?: string });
    const seals = lines.filter((l) => l.kind === "seal");
    const decisions = lines.filter((l) => l.kind !== "seal");
    expect(decisions.length).toBeGreaterThanOrEqual(4);
    expect(seals.length).toBeGreaterThanOrEqual(1);
    // per batch: only seals carry a signature, and the log ends with one (nothing unsealed was acknowledged)
    expect(decisions.every((l) => l.sig === undefined)).toBe(true);
    expect(seals.every((l) => typeof l.sig === "string")).toBe(true);
    expect(lines[lines.length - 1]!.kind).toBe("seal");

    const verified = spawnSync(process.execPath, [XPOL, "verify", "state", "--key", "state/runtime.pub"], { cwd: tmp.dir, encoding: "utf8" });
    expect(verified.status, verified.stderr + verified.stdout).toBe(0);
    const proved = spawnSync(process.execPath, [XPOL, "prove", "state", "--seq", String(decisions[0]!.seq)], { cwd: tmp.dir, encoding: "utf8" });
    expect(proved.status, proved.stderr).toBe(0);
    expect(JSON.parse(proved.stdout)).toMatchObject({ receipt: { seq: decisions[0]!.seq } });
  });

  it("refuses the options without the durable store, and a mode it does not know (usage, exit 2)", () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [XPOL, "mcp", "--policy", "policy.xpol", ...args, "--", process.execPath, FILESYSTEM_SERVER, ws], { cwd: tmp.dir, encoding: "utf8" });
    const memory = run("--memory", "--signatures", "per-batch");
    expect(memory.status).toBe(2);
    expect(memory.stderr).toMatch(/--signatures and --signing-threads go with the durable store/);
    const unknown = run("--state", "s2", "--signatures", "per-week");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--signatures takes per-receipt or per-batch, not `per-week`/);
    const threads = run("--state", "s2", "--signing-threads", "two");
    expect(threads.status).toBe(2);
    expect(threads.stderr).toMatch(/--signing-threads takes a whole number/);
    expect(existsSync(path.join(tmp.dir, "s2"))).toBe(false);
  });
});
