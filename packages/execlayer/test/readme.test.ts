// The README stays true of the code: its policy checks and its tests pass, its TypeScript runs and prints what the
// comments say, and its shell commands exit 0.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import { describe, expect, test, vi } from "vitest";
import { main } from "../src/cli/main.ts";
import type { CliIO } from "../src/cli/io.ts";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repo = path.resolve(pkg, "../..");
const readme = readFileSync(path.join(repo, "README.md"), "utf8");

function blocks(lang: string): string[] {
  return [...readme.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}

async function xpol(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const io: CliIO = { stdout: (t) => void (out += t + "\n"), stderr: (t) => void (out += t + "\n"), cwd: repo };
  const code = await main(args, io);
  return { code, out };
}

describe("README", () => {
  test("the language reference policy checks cleanly and its tests pass", async () => {
    const [policy] = blocks("xpol");
    expect(policy).toBeDefined();
    const dir = mkdtempSync(path.join(pkg, "test/.readme-"));
    try {
      const file = path.join(dir, "payments.xpol");
      writeFileSync(file, policy!);
      const checked = await xpol(["check", file]);
      expect(checked.out).toContain("no problems");
      expect(checked.code).toBe(0);
      const tested = await xpol(["test", "--seed", "1", "--runs", "50", dir]);
      expect(tested.out).toMatch(/^3 passed, 0 failed$/m);
      expect(tested.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the language reference shows every kind of declaration", () => {
    const [policy] = blocks("xpol");
    for (const keyword of ["policy", "import", "option", "actor", "context", "action", "tier", "counter", "group", "rule", "tool", "test", "property"]) {
      expect(policy).toMatch(new RegExp(`^${keyword}\\b`, "m"));
    }
  });

  test("the embedding example runs and prints what its comments say", async () => {
    const [code] = blocks("ts");
    const dir = mkdtempSync(path.join(pkg, "test/.readme-"));
    const file = path.join(dir, "embedding.ts");
    writeFileSync(file, code!);
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(format(...args)));
    const cwd = process.cwd();
    try {
      process.chdir(repo);
      await import(file);
    } finally {
      process.chdir(cwd);
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^approval required \(1 of finance\): request apr_[0-9a-f]+$/);
    expect(lines[1]).toBe("allow T0");
  });

  test("every xpol command in it exits 0", async () => {
    const commands = blocks("sh")
      .flatMap((b) => b.split("\n"))
      .map((l) => l.trim())
      .filter((l) => l.startsWith("npx xpol "));
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const line of commands) {
      const args = line.slice("npx xpol ".length).split(/\s+/);
      const { code, out } = await xpol(args);
      expect({ line, code, out }).toMatchObject({ line, code: 0 });
    }
  });
});
