// `xpol eval` reads its action, actions and context files strictly as UTF-8: a file that is not is refused (XP1021,
// exit 3), never decided on with U+FFFD in place of its bytes.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.ts";
import type { CliIO } from "../../src/cli/io.ts";
import { ROOT } from "./helpers.ts";

function io(cwd: string): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { cwd, out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
}

const invoices = path.join(ROOT, "examples/invoices/invoices.xpol");
const who = JSON.stringify({ actor: { agent: "bot", on_behalf_of: "alice" }, context: { assigned_customers: ["c-1"] } });
const update = (status: string): string => JSON.stringify({ action: { type: "invoice.update_status", params: { invoice_id: "i", customer_id: "c-1", status } } });

/** `text` with the byte 0xFF (never valid in UTF-8) where `@@` stands. */
function invalid(text: string): Buffer {
  const [a, b] = text.split("@@") as [string, string];
  return Buffer.concat([Buffer.from(a, "utf8"), Buffer.from([0xff]), Buffer.from(b, "utf8")]);
}

function workdir(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "xpol-eval-utf8-"));
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(dir, name), data);
  return dir;
}

describe("xpol eval refuses input files that are not UTF-8", () => {
  test.each([
    ["--action", "a.json", { "a.json": invalid(update("pa@@id")), "ctx.json": who }],
    ["--actions", "a.jsonl", { "a.jsonl": Buffer.concat([Buffer.from(update("paid") + "\n"), invalid(update("pa@@id"))]), "ctx.json": who }],
  ] as const)("%s file", async (flag, file, files) => {
    const dir = workdir(files);
    const t = io(dir);
    expect(await main(["eval", invoices, flag, file, "--context", "ctx.json"], t)).toBe(3);
    expect(t.out).toEqual([]);
    expect(t.err.join("\n")).toContain("XP1021");
    expect(t.err.join("\n")).toContain(file);
  });

  test("context file", async () => {
    const dir = workdir({ "a.json": update("paid"), "ctx.json": invalid(who.replace("alice", "al@@ice")) });
    const t = io(dir);
    expect(await main(["eval", invoices, "--action", "a.json", "--context", "ctx.json"], t)).toBe(3);
    expect(t.out).toEqual([]);
    expect(t.err.join("\n")).toContain("XP1021");
  });

  test("with --state too", async () => {
    const dir = workdir({ "a.json": invalid(update("pa@@id")), "ctx.json": who });
    const t = io(dir);
    expect(await main(["eval", invoices, "--action", "a.json", "--context", "ctx.json", "--state", "state"], t)).toBe(3);
    expect(t.out).toEqual([]);
    expect(t.err.join("\n")).toContain("XP1021");
  });

  test("valid UTF-8 (non-ASCII) is still read", async () => {
    const dir = workdir({ "a.json": update("payé"), "ctx.json": who });
    const t = io(dir);
    expect(await main(["eval", invoices, "--action", "a.json", "--context", "ctx.json", "--json"], t)).toBe(0);
    expect(t.err).toEqual([]);
  });
});

describe("xpol eval --exit-code, for scripts", () => {
  test("0 without the flag whatever the decision; with it 0 allowed, 5 denied, 6 approval required", async () => {
    const dir = workdir({ "paid.json": update("paid"), "bad.json": update("bogus"), "ctx.json": who, "all.jsonl": `${update("paid")}\n${update("bogus")}\n` });
    const codes: Record<string, number> = {};
    const effects: Record<string, string> = {};
    for (const f of ["paid.json", "bad.json"]) {
      const plain = io(dir);
      expect(await main(["eval", invoices, "--action", f, "--context", "ctx.json"], plain)).toBe(0);
      const t = io(dir);
      codes[f] = await main(["eval", invoices, "--action", f, "--context", "ctx.json", "--json", "--exit-code"], t);
      effects[f] = (JSON.parse(t.out.join("")) as { effect: string }).effect;
    }
    const expected = (effect: string) => (effect === "deny" ? 5 : effect === "require_approval" ? 6 : 0);
    for (const f of Object.keys(codes)) expect(codes[f], `${f}: ${effects[f]}`).toBe(expected(effects[f]!));
    expect(Object.values(effects)).toContain("deny");
    // several decisions: a deny among them decides
    expect(await main(["eval", invoices, "--actions", "all.jsonl", "--context", "ctx.json", "--exit-code"], io(dir))).toBe(5);
  });

  test("6 when a decision requires approval and none is denied", async () => {
    const dir = workdir({ "ctx.json": who });
    // find, among the invoices example's actions, one that requires approval
    const candidates = [
      JSON.stringify({ action: { type: "invoice.refund", params: { invoice_id: "i", customer_id: "c-1", amount: 50000 } } }),
      JSON.stringify({ action: { type: "invoice.delete", params: { invoice_id: "i", customer_id: "c-1" } } }),
    ];
    let found = false;
    for (const [k, c] of candidates.entries()) {
      writeFileSync(path.join(dir, `c${k}.json`), c);
      const t = io(dir);
      const code = await main(["eval", invoices, "--action", `c${k}.json`, "--context", "ctx.json", "--json", "--exit-code"], t);
      const effect = (JSON.parse(t.out.join("")) as { effect: string }).effect;
      if (effect === "require_approval") {
        expect(code).toBe(6);
        found = true;
      }
    }
    expect(found).toBe(true);
  });
});
