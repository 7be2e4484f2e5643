import { describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratch, wellFormedXml, xpol } from "./helpers.ts";

describe("xpol check --format junit|github, and its exit codes", () => {
  const broken = (): string => {
    const dir = scratch();
    writeFileSync(join(dir, "p.xpol"), 'policy p\naction a.b { x: strin }\ntier a.b = T0\n');
    return dir;
  };

  it("github: an ::error per error diagnostic with its position; exit 1", async () => {
    const r = await xpol(["check", "p.xpol", "--format", "github"], broken());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error file=p\.xpol,line=2,col=17,endLine=2,endColumn=22,title=XP3004::unknown type `strin`/m);
  });

  it("junit: well-formed, the failing file as a failed test case; exit 1", async () => {
    const r = await xpol(["check", "p.xpol", "--format", "junit"], broken());
    expect(r.code).toBe(1);
    expect(wellFormedXml(r.stdout)).toBeNull();
    expect(r.stdout).toContain('<testsuites name="xpol check" tests="1" failures="1" errors="0" skipped="0">');
  });

  it("text and junit: a related note in another file of the policy shows its line and column", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "a.xpol"), "policy p\naction a.b { }\ntier a.b = T0\nrule r on a.b { allow }\n");
    writeFileSync(join(dir, "b.xpol"), "\n\nrule r on a.b { allow }\n");
    const text = await xpol(["check", "a.xpol", "b.xpol"], dir);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("  --> b.xpol:3:6");
    expect(text.stdout).toContain("   = note: first declared here (a.xpol:4:6)");
    const junit = await xpol(["check", "a.xpol", "b.xpol", "--format", "junit"], dir);
    expect(junit.stdout).toContain("   = note: first declared here (a.xpol:4:6)");
  });

  it("a directory: every .xpol under it, one policy per directory, hidden directories and node_modules skipped", async () => {
    const dir = scratch();
    const bad = "policy p\naction a.b { x: strin }\ntier a.b = T0\n";
    for (const sub of ["x", "x/y", ".hidden", "node_modules"]) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, "x/a.xpol"), "policy p\naction a.b { }\ntier a.b = T0\n");
    writeFileSync(join(dir, "x/y/b.xpol"), "policy q\naction a.b { }\ntier a.b = T0\n");
    writeFileSync(join(dir, "x/notes.txt"), bad);
    writeFileSync(join(dir, ".hidden/c.xpol"), bad);
    writeFileSync(join(dir, "node_modules/d.xpol"), bad);
    const r = await xpol(["check", "."], dir);
    expect(r.stdout).toBe("checked 2 files: no problems\n");
    expect(r.code).toBe(0);
    writeFileSync(join(dir, "x/y/e.xpol"), "rule r on a.c { allow }\n");
    const junit = await xpol(["check", ".", "--format", "junit"], dir);
    expect(junit.code).toBe(1);
    expect(junit.stdout).toContain('tests="3"');
  });

  it("0 on a clean policy, 2 on a bad format, 3 on a missing file", async () => {
    expect((await xpol(["check", "examples/invoices", "--format", "junit"])).code).toBe(0);
    expect((await xpol(["check", "examples/invoices", "--format", "xml"])).code).toBe(2);
    expect((await xpol(["check", "nope.xpol", "--format", "github"])).code).toBe(3);
  });
});
