import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { formatPublicKey } from "../../src/index.ts";
import { buildLog, seedKey, tempDir } from "./helpers.ts";

async function xpol(args: string[], cwd: string, stdin?: string): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIO = {
    cwd,
    stdout: (t) => void (out += t + "\n"),
    stderr: (t) => void (err += t + "\n"),
    ...(stdin !== undefined ? { stdin: async () => stdin } : {}),
  };
  const code = await main(args, io);
  return { code, out, err };
}

describe("xpol keygen / verify / prove / verify-proof", () => {
  test("keygen writes NAME.key (0600) and NAME.pub and refuses to overwrite", async () => {
    const cwd = tempDir();
    const r = await xpol(["keygen", "--out", "ops"], cwd);
    expect(r.code).toBe(0);
    expect(statSync(path.join(cwd, "ops.key")).mode & 0o777).toBe(0o600);
    const pub = readFileSync(path.join(cwd, "ops.pub"), "utf8");
    expect(pub).toMatch(/^ed25519:[0-9a-f]{64}\n$/);
    expect(r.out).toContain(pub.trim());
    const secret = readFileSync(path.join(cwd, "ops.key"), "utf8");
    const again = await xpol(["keygen", "--out", "ops"], cwd);
    expect(again.code).toBe(1);
    expect(again.err).toContain("keys are never overwritten");
    expect(readFileSync(path.join(cwd, "ops.key"), "utf8")).toBe(secret);
    expect(readFileSync(path.join(cwd, "ops.pub"), "utf8")).toBe(pub);
    expect((await xpol(["keygen"], cwd)).code).toBe(2);
  });

  test("verify: 0 when intact, 1 naming the first bad seq, 3 when unreadable, 2 on usage errors; never writes", async () => {
    const dir = await buildLog(12, { checkpointEvery: 5 });
    const pub = formatPublicKey(seedKey(1).publicKey);
    const ok = await xpol(["verify", dir, "--key", pub], dir);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toContain("ok: 12 receipts verified, 3 checkpoints");

    const file = path.join(dir, "receipts.jsonl");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[7] = lines[7]!.replace('"i":7', '"i":70');
    writeFileSync(file, lines.join("\n"));
    const before = readFileSync(file);
    const bad = await xpol(["verify", dir, "--key", pub, "--json"], dir);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ ok: false, count: 7, firstBad: { seq: 7, line: 8, problem: "signature" } });
    const text = await xpol(["verify", dir, "--key", pub], dir);
    expect(text.err).toContain("first bad receipt: seq 7 (receipts.jsonl line 8");
    expect(readFileSync(file).equals(before)).toBe(true);

    writeFileSync(path.join(dir, "key.pub"), pub + "\n");
    expect((await xpol(["verify", ".", "--key", "key.pub"], dir)).code).toBe(1);
    expect((await xpol(["verify", "missing", "--key", pub], dir)).code).toBe(3);
    expect((await xpol(["verify", dir, "--key", "missing.pub"], dir)).code).toBe(3);
    expect((await xpol(["verify", dir, "--key", "ed25519:zz"], dir)).code).toBe(2);
    expect((await xpol(["verify", dir], dir)).code).toBe(2);
  });

  test("prove prints a JSON proof that verify-proof accepts with the key, and rejects with another", async () => {
    const dir = await buildLog(9, { checkpointEvery: 4 });
    const pub = formatPublicKey(seedKey(1).publicKey);
    const proof = await xpol(["prove", dir, "--seq", "6"], dir);
    expect(proof.code).toBe(0);
    const bundle = JSON.parse(proof.out) as { receipt: { seq: number }; treeSize: number };
    expect(bundle.receipt.seq).toBe(6);
    expect(bundle.treeSize).toBe(9);
    writeFileSync(path.join(dir, "p.json"), proof.out);
    const ok = await xpol(["verify-proof", "p.json", "--key", pub], dir);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("receipt 6");
    expect((await xpol(["verify-proof", "p.json", "--key", formatPublicKey(seedKey(2).publicKey)], dir)).code).toBe(1);
    // `-`: the proof on standard input
    expect((await xpol(["verify-proof", "-", "--key", pub], dir, proof.out)).code).toBe(0);
    expect((await xpol(["verify-proof", "-", "--key", pub], dir, proof.out.replace('"seq": 6', '"seq": 5'))).code).toBe(1);
    const noStdin = await xpol(["verify-proof", "-", "--key", pub], dir);
    expect(noStdin.code).toBe(3);
    expect(noStdin.err).toContain("no standard input");
    writeFileSync(path.join(dir, "p2.json"), proof.out.replace('"seq": 6', '"seq": 5'));
    expect((await xpol(["verify-proof", "p2.json", "--key", pub], dir)).code).toBe(1);
    expect((await xpol(["verify-proof", "nope.json", "--key", pub], dir)).code).toBe(3);
    expect((await xpol(["verify-proof", "p.json", "--key", "missing.pub"], dir)).code).toBe(3);
    expect((await xpol(["verify-proof", "p.json", "--key", "ed25519:zz"], dir)).code).toBe(2);
    expect((await xpol(["prove", dir, "--seq", "9"], dir)).code).toBe(1);
    expect((await xpol(["prove", dir, "--seq", "x"], dir)).code).toBe(2);
    expect((await xpol(["prove", path.join(dir, "nope"), "--seq", "1"], dir)).code).toBe(3);
  });
});
