// `xpol serve` loads @execlayer/server on demand: the core depends on no HTTP framework. Without the package the
// command says how to install it (XP8210, exit 3); with it (the workspace), the package's own usage answers.
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/commands/serve.ts";
import { xpol } from "./helpers.ts";

function io(): { out: string[]; err: string[]; io: Parameters<typeof run>[1] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { cwd: process.cwd(), stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) } };
}

describe("xpol serve", () => {
  it("without the server package: a clear message naming the package to install, exit 3", async () => {
    const c = io();
    const code = await run(["--policy", "x.xpol"], c.io, "@execlayer/server-not-installed");
    expect(code).toBe(3);
    expect(c.err.join("\n")).toBe(
      "xpol serve: XP8210: `xpol serve` needs the package `@execlayer/server-not-installed`, which is not installed (npm install @execlayer/server-not-installed)",
    );
  });

  it("with the server package installed (the workspace): its usage and argument checks", async () => {
    const help = await xpol(["serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: xpol serve --policy PATH...");
    const bad = await xpol(["serve"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("give the policy: --policy PATH");
  });

  it("is listed by `xpol --help`", async () => {
    expect((await xpol(["--help"])).stdout).toMatch(/serve +run the HTTP decision service/);
  });
});
