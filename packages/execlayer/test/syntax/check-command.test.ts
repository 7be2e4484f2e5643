// `xpol check`, run in-process through main() with captured output.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { main } from "../../src/cli/main.ts";
import { checkSources } from "../../src/cli/commands/check.ts";

const repo = resolve(fileURLToPath(new URL("../..", import.meta.url)));

async function xpol(args: string[], cwd = repo): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { stdout: (t) => (out += t + "\n"), stderr: (t) => (err += t + "\n"), cwd });
  return { code, out, err };
}

function tempDir(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "xpol-check-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

describe("xpol check", () => {
  test("the invoice example is clean: exit 0", async () => {
    const r = await xpol(["check", "examples/invoices/invoices.xpol", "examples/invoices/invoices.test.xpol"]);
    expect(r.out.trim()).toBe("checked 2 files: no problems");
    expect(r.code).toBe(0);
  });

  test("a directory brings in every *.xpol under it", async () => {
    const r = await xpol(["check", "examples/invoices"]);
    expect(r.out.trim()).toBe("checked 2 files: no problems");
    expect(r.code).toBe(0);
  });

  test("syntax errors: rendered with file:line:col, source line and caret, a summary, exit 1", async () => {
    const dir = tempDir({ "bad.xpol": "rule a on x {\n  when 1 +\n  allow\n}\n" });
    const r = await xpol(["check", "bad.xpol"], dir);
    expect(r.out).toBe(
      [
        "error[XP1001]: unexpected `allow`, expected an expression",
        "  --> bad.xpol:3:3",
        "  |",
        "3 |   allow",
        "  |   ^^^^^",
        "",
        "checked 1 file: 1 error, 0 warnings",
        "",
      ].join("\n"),
    );
    expect(r.code).toBe(1);
  });

  test("--format json prints the diagnostics as JSON", async () => {
    const dir = tempDir({ "bad.xpol": "rule a on x { deny # }" });
    const r = await xpol(["check", "--format", "json", "bad.xpol"], dir);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as { code: string; file: string; start: { line: number; column: number } }[];
    expect(json.map((d) => [d.code, d.file, d.start.line, d.start.column])).toEqual([["XP1002", "bad.xpol", 1, 20]]);
    const clean = await xpol(["check", "--format=json", "examples/invoices"]);
    expect(JSON.parse(clean.out)).toEqual([]);
    expect(clean.code).toBe(0);
  });

  test("an unreadable file: exit 3, with a message", async () => {
    const r = await xpol(["check", "does/not/exist.xpol"]);
    expect(r.out).toContain("error[XP8001]: cannot read `does/not/exist.xpol`: ENOENT");
    expect(r.code).toBe(3);
  });

  test("a file that is not UTF-8 is reported, not parsed", async () => {
    const dir = tempDir({ "bin.xpol": Uint8Array.from([0x72, 0x75, 0xff, 0xfe, 0x00]) });
    const r = await xpol(["check", "bin.xpol"], dir);
    expect(r.out).toContain("error[XP1021]: file is not valid UTF-8");
    expect(r.out).toContain("--> bin.xpol:1:3");
    expect(r.code).toBe(1);
  });

  test("usage errors: exit 2", async () => {
    expect((await xpol(["check"])).code).toBe(2);
    expect((await xpol(["check", "--format", "xml", "a.xpol"])).code).toBe(2);
    expect((await xpol(["check", "--bogus", "a.xpol"])).code).toBe(2);
    expect((await xpol(["check", "--help"])).code).toBe(0);
  });

  test("files of different directories are checked as different policies", async () => {
    const dir = tempDir({
      "a/p.xpol": 'policy a version "1"\naction x.y { }\ntier x.y = T0\nrule r on x.y { allow }\n',
      "b/p.xpol": 'policy b version "1"\naction x.y { }\ntier x.y = T0\nrule r on x.y { deny }\n',
    });
    const r = await xpol(["check", "."], dir);
    expect(r.out.trim()).toBe("checked 2 files: no problems");
    expect(r.code).toBe(0);
  });

  test("checkSources: syntax errors stop before type checking", () => {
    const r = checkSources([{ path: "p.xpol", text: "rule r on a.b { when x > allow }" }]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["XP1001"]);
    expect(r.sources.has("p.xpol")).toBe(true);
  });
});
