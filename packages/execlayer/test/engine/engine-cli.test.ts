// `xpol eval` and `xpol compile` through the CLI dispatcher, with captured output.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.ts";
import type { CliIO } from "../../src/cli/io.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function io(cwd: string): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { cwd, out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
}

function workdir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "xpol-eval-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const invoices = path.join(repo, "examples/invoices/invoices.xpol");
const who = JSON.stringify({ actor: { agent: "bot", on_behalf_of: "alice" }, context: { assigned_customers: ["c-1"] } });
const update = JSON.stringify({ action: { type: "invoice.update_status", params: { invoice_id: "i", customer_id: "c-1", status: "paid" } } });

describe("xpol eval", () => {
  test("one action, human-readable", async () => {
    const dir = workdir({ "a.json": update, "ctx.json": JSON.stringify({ ...JSON.parse(who), counters: { status_updates: 1000 } }) });
    const t = io(dir);
    expect(await main(["eval", invoices, "--action", "a.json", "--context", "ctx.json"], t)).toBe(0);
    expect(t.out.join("\n")).toBe(
      [
        "effect: require_approval",
        "tier:   T1",
        "action: invoice.update_status",
        "rules:",
        "  status_updates_within_threshold (else): require_approval",
        "approval:",
        "  1 of finance within 24h",
        "reasons:",
        "  - rule `status_updates_within_threshold` (else) requires approval by 1 of `finance` within 24h",
      ].join("\n"),
    );
  });

  test("--json prints one decision object", async () => {
    const dir = workdir({ "a.json": update, "ctx.json": who });
    const t = io(dir);
    expect(await main(["eval", invoices, "--action", "a.json", "--context", "ctx.json", "--json"], t)).toBe(0);
    expect(JSON.parse(t.out.join(""))).toMatchObject({ effect: "allow", tier: "T1", rules: [{ rule: "status_updates_within_threshold", effect: "allow" }] });
  });

  test("--actions: one decision per line; a bad line gets a deny, not a crash", async () => {
    const tool = JSON.stringify({ type: "tool_use", id: "t", name: "delete_invoice", input: { invoice_id: "i", customer_id: "c-1" } });
    const dir = workdir({ "a.jsonl": [update, "{not json", "", tool, '{"action":{"type":"nope","params":{}}}'].join("\n"), "ctx.json": who });
    const t = io(dir);
    expect(await main(["eval", invoices, "--actions", "a.jsonl", "--context", "ctx.json"], t)).toBe(0);
    const lines = t.out.join("\n").split("\n").map((l) => JSON.parse(l));
    expect(lines.map((d) => d.effect)).toEqual(["allow", "deny", "require_approval", "deny"]);
    expect(lines[1].code).toBe("XP4001");
    expect(lines[3].code).toBe("XP4020");
  });

  test("a policy with errors prints the diagnostics and exits 1", async () => {
    const dir = workdir({ "p.xpol": 'policy p version "1"\naction a.x { n: int }\nrule r on a.y { allow }\n', "a.json": update });
    const t = io(dir);
    expect(await main(["eval", "p.xpol", "--action", "a.json"], t)).toBe(1);
    const err = t.err.join("\n");
    expect(err).toContain("error[XP3006]: action type `a.x` has no tier");
    expect(err).toContain("error[XP3001]: unknown action type `a.y`");
    expect(err).toContain("  --> p.xpol:3:11");
  });

  test("usage errors exit 2, unreadable files exit 3", async () => {
    expect(await main(["eval", invoices], io(repo))).toBe(2);
    expect(await main(["eval", invoices, "--action", "a", "--actions", "b"], io(repo))).toBe(2);
    expect(await main(["eval", invoices, "--action", "missing.json"], io(repo))).toBe(3);
    expect(await main(["eval", "missing.xpol", "--action", "x.json"], io(repo))).toBe(3);
  });
});

describe("xpol compile", () => {
  test("writes a bundle that xpol eval loads", async () => {
    const dir = workdir({ "a.json": update, "ctx.json": who });
    const t = io(dir);
    expect(await main(["compile", invoices, path.join(repo, "examples/invoices/invoices.test.xpol"), "-o", "b.json"], t)).toBe(0);
    const bundle = JSON.parse(readFileSync(path.join(dir, "b.json"), "utf8"));
    expect(bundle).toMatchObject({ format: "execlayer-bundle/v1", name: "invoices", version: "1.0.0" });
    expect(bundle.sources.map((s: { path: string }) => s.path)).toEqual(["invoices.test.xpol", "invoices.xpol"]);
    const e = io(dir);
    expect(await main(["eval", "b.json", "--action", "a.json", "--context", "ctx.json", "--json"], e)).toBe(0);
    expect(JSON.parse(e.out.join("")).effect).toBe("allow");
  });

  test("a tampered bundle is refused", async () => {
    const dir = workdir({ "a.json": update });
    await main(["compile", invoices, "-o", "b.json"], io(dir));
    const b = JSON.parse(readFileSync(path.join(dir, "b.json"), "utf8"));
    b.sources[0].text = b.sources[0].text.replace("status_updates < 1000", "status_updates < 1000000");
    writeFileSync(path.join(dir, "b.json"), JSON.stringify(b));
    const t = io(dir);
    expect(await main(["eval", "b.json", "--action", "a.json"], t)).toBe(1);
    expect(t.err.join("\n")).toContain("error[XP8102]");
  });

  test("errors fail the build and write nothing", async () => {
    const dir = workdir({ "p.xpol": 'policy p version "1"\naction a.x { n: int }\n' });
    const t = io(dir);
    expect(await main(["compile", "p.xpol", "-o", "b.json"], t)).toBe(1);
    expect(t.err.join("\n")).toContain("XP3006");
    expect(() => readFileSync(path.join(dir, "b.json"))).toThrow();
  });
});
