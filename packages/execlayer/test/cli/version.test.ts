// `xpol --version` / `-V` print the version in this package's package.json (read at run time, not a copied constant).
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { main } from "../../src/cli/main.ts";

const version: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;

for (const flag of ["--version", "-V"]) {
  test(`xpol ${flag} prints the package version and exits 0`, async () => {
    let stdout = "";
    let stderr = "";
    const code = await main([flag], { cwd: process.cwd(), stdout: (t) => void (stdout += t + "\n"), stderr: (t) => void (stderr += t + "\n") });
    expect(typeof version).toBe("string");
    expect(stdout).toBe(`${String(version)}\n`);
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
}
