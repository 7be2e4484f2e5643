import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { scratch, xpol } from "./helpers.ts";

const FORMATTED = 'policy p\n\naction a.b {\n  x: string\n}\n';
const UNFORMATTED = "policy p\naction a.b { x : string }\n";

describe("xpol fmt", () => {
  it("rewrites unformatted files in place and exits 0", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "p.xpol"), UNFORMATTED);
    const r = await xpol(["fmt", "p.xpol"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 file reformatted, 0 already formatted");
    expect(readFileSync(join(dir, "p.xpol"), "utf8")).toBe(FORMATTED);
  });

  it("--check exits 1 listing unformatted files, and changes nothing", async () => {
    const dir = scratch();
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "ok.xpol"), FORMATTED);
    writeFileSync(join(dir, "sub", "bad.xpol"), UNFORMATTED);
    const r = await xpol(["fmt", "--check", "."], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("error[XP7020]: `sub/bad.xpol` is not formatted");
    expect(r.stdout).not.toContain("ok.xpol");
    expect(r.stdout).toContain("1 of 2 files are not formatted");
    expect(readFileSync(join(dir, "sub", "bad.xpol"), "utf8")).toBe(UNFORMATTED);
  });

  it("--check exits 0 when everything is formatted, and says the files are already formatted", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "ok.xpol"), FORMATTED);
    writeFileSync(join(dir, "ok2.xpol"), FORMATTED);
    const r = await xpol(["fmt", "--check", "."], dir);
    expect([r.code, r.stdout.trim()]).toEqual([0, "2 files are already formatted"]);
    const one = await xpol(["fmt", "--check", "ok.xpol"], dir);
    expect([one.code, one.stdout.trim()]).toEqual([0, "1 file is already formatted"]);
    // formatting clean files rewrites nothing and says so
    const again = await xpol(["fmt", "."], dir);
    expect([again.code, again.stdout.trim()]).toEqual([0, "0 files reformatted, 2 already formatted"]);
  });

  it("a file with syntax errors is not rewritten: diagnostics and exit 1", async () => {
    const dir = scratch();
    const broken = "policy p\nrule r on * { when allow }\n";
    writeFileSync(join(dir, "bad.xpol"), broken);
    const r = await xpol(["fmt", "bad.xpol"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("error[XP7021]: `bad.xpol` has syntax errors and was not formatted");
    expect(r.stdout).toContain("error[XP1001]");
    expect(readFileSync(join(dir, "bad.xpol"), "utf8")).toBe(broken);
  });

  it("a file that is not UTF-8 is reported (XP1021, as `xpol check` does) and left byte for byte", async () => {
    const dir = scratch();
    // Latin-1 "é" in a comment: a lossy decoding would parse, and writing it back would replace the byte with U+FFFD
    const bytes = Buffer.concat([Buffer.from("// caf"), Buffer.from([0xe9]), Buffer.from("\n" + UNFORMATTED)]);
    writeFileSync(join(dir, "latin1.xpol"), bytes);
    const r = await xpol(["fmt", "latin1.xpol"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("error[XP1021]: file is not valid UTF-8");
    expect(readFileSync(join(dir, "latin1.xpol")).equals(bytes)).toBe(true);
  });

  it(".xpolfmtignore excludes paths from directory searches", async () => {
    const dir = scratch();
    mkdirSync(join(dir, "golden"));
    writeFileSync(join(dir, "golden", "g.xpol"), UNFORMATTED);
    writeFileSync(join(dir, ".xpolfmtignore"), "# inputs whose positions matter\ngolden/\n");
    const r = await xpol(["fmt", "--check", "."], dir);
    expect([r.code, r.stdout.trim()]).toEqual([0, "0 files are already formatted"]);
  });

  it("exit 2 on usage errors, 3 on unreadable paths", async () => {
    const usage: [string[], string][] = [
      [["fmt"], "xpol fmt: give at least one file or directory"],
      [["fmt", "--frobnicate", "x"], "xpol fmt: unknown option `--frobnicate`"],
      [["fmt", "--format", "yaml", "x"], "xpol fmt: --format needs one of human, json, junit, github"],
    ];
    for (const [args, problem] of usage) {
      const u = await xpol(args);
      expect(u.code).toBe(2);
      expect(u.stderr.split("\n\n")[0]).toBe(problem);
      expect(u.stderr).toContain("\n\nusage: xpol fmt ");
    }
    const r = await xpol(["fmt", "--check", "does/not/exist.xpol"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("XP8001");
  });

  it("--format github annotates unformatted files", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "p.xpol"), UNFORMATTED);
    const r = await xpol(["fmt", "--check", "--format", "github", "."], dir);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe("::error file=p.xpol,line=1,col=1,endLine=1,endColumn=1,title=XP7020::`p.xpol` is not formatted%0Ahelp: run `xpol fmt` on it");
  });
});

describe("xpol --help", () => {
  it("lists test and fmt and the exit codes shared by every command", async () => {
    const r = await xpol(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+test\s+run the test and property blocks/m);
    expect(r.stdout).toMatch(/^\s+fmt\s+format \.xpol files/m);
    expect(r.stdout).toContain("exit codes: 0 ok, 1 findings, 2 usage error, 3 unreadable input");
    expect((await xpol([])).code).toBe(2);
    expect((await xpol(["no-such-command"])).code).toBe(2);
  });
});
