// One pipeline from files to a policy: the public `compilePolicy` and `xpol check` (and `xpol compile`) report the
// same diagnostics for the same files, because they run the same code (src/compile/pipeline.ts).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { compilePolicy } from "../../src/index.ts";
import { diagnosticToJson } from "../../src/diagnostics/render.ts";
import { ROOT, xpol } from "../cli/helpers.ts";

const CLEAN = 'policy p version "1"\naction a.x { n: int }\ntier a.x = T0\nrule r on a.x { allow }\n';

function tempDir(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "xpol-pipeline-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** The API's diagnostics in the shape `xpol check --format json` prints. */
function apiJson(files: readonly string[], cwd: string): unknown[] {
  const r = compilePolicy({ files, cwd });
  return r.diagnostics.map((d) => diagnosticToJson(d, d.file === undefined ? undefined : r.sources.get(d.file)));
}

async function cliJson(files: readonly string[], cwd: string): Promise<unknown[]> {
  const r = await xpol(["check", "--format", "json", ...files], cwd);
  return JSON.parse(r.stdout) as unknown[];
}

const cases: { name: string; files: Record<string, string | Uint8Array>; check: string[]; codes: string[] }[] = [
  // the parser's error, and nothing after it: checking what the parse left would report a missing header and an
  // unknown action that are only consequences of the syntax error
  { name: "a syntax error", files: { "p.xpol": "rule r on a.b { when x > allow }" }, check: ["p.xpol"], codes: ["XP1001"] },
  {
    name: "a type error",
    files: { "p.xpol": CLEAN + "rule s on a.nope { deny }\n" },
    check: ["p.xpol"],
    codes: ["XP3001"],
  },
  { name: "bytes that are not UTF-8", files: { "p.xpol": Uint8Array.from([0x72, 0x75, 0xff, 0xfe, 0x00]) }, check: ["p.xpol"], codes: ["XP1021"] },
  { name: "an unreadable file", files: {}, check: ["missing.xpol"], codes: ["XP8001"] },
  {
    name: "an unreadable file beside a readable one: no type errors about what the missing file would declare",
    files: { "p.test.xpol": 'test "t" {\n  action a.x { n: 1 }\n  expect allow\n}\n' },
    check: ["p.xpol", "p.test.xpol"],
    codes: ["XP8001"],
  },
  {
    name: "syntax errors in two files of one policy, both reported",
    files: { "a.xpol": "rule r on a.b { when x > allow }", "b.xpol": "rule s on a.b { deny # }" },
    check: ["a.xpol", "b.xpol"],
    codes: ["XP1001", "XP1002"],
  },
  { name: "a clean policy", files: { "p.xpol": CLEAN }, check: ["p.xpol"], codes: [] },
];

describe("compilePolicy and `xpol check` report the same diagnostics", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const dir = tempDir(c.files);
      const api = apiJson(c.check, dir);
      expect(api.map((d) => (d as { code: string }).code)).toEqual(c.codes);
      expect(await cliJson(c.check, dir)).toEqual(api);
    });
  }

  test("the invoice example (two files, a stdlib import, keyrings)", async () => {
    const files = ["examples/invoices/invoices.xpol", "examples/invoices/invoices.test.xpol"];
    expect(await cliJson(files, ROOT)).toEqual(apiJson(files, ROOT));
  });

  test("`xpol compile` refuses with the same diagnostics, and exits 3 only for an unreadable file", async () => {
    const dir = tempDir({ "p.xpol": "rule r on a.b { when x > allow }", "q/p.xpol": CLEAN });
    const bad = await xpol(["compile", "p.xpol"], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error[XP1001]");
    expect(bad.stderr).not.toContain("XP3");
    expect((await xpol(["compile", "missing.xpol"], dir)).code).toBe(3);
    expect((await xpol(["compile", "q/p.xpol"], dir)).code).toBe(0);
  });

  test("the one deliberate difference: files without a `policy` header", async () => {
    // `xpol check` checks them as a stdlib-style module; compilePolicy must produce a policy, so it needs the header
    const dir = tempDir({ "m.xpol": "action a.x { n: int }\ntier a.x = T0\n" });
    expect(await cliJson(["m.xpol"], dir)).toEqual([]);
    expect(compilePolicy({ files: ["m.xpol"], cwd: dir }).diagnostics.map((d) => d.code)).toEqual(["XP3031"]);
  });

  test("texts given as sources go through the same stages as files", () => {
    const r = compilePolicy({ sources: [{ path: "p.xpol", text: "rule r on a.b { when x > allow }" }] });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["XP1001"]);
    expect(r.policy).toBeNull();
    expect(compilePolicy({ sources: [{ path: "p.xpol", text: CLEAN }] }).policy).not.toBeNull();
  });
});
