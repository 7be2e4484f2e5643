// `--postgres` loads @execlayer/postgres on demand (the core never depends on it or on `pg`); without the package the
// commands say how to get it. The commands with a real server are tested in packages/postgres/test/cli.test.ts.
import { describe, expect, it } from "vitest";
import { loadPostgres } from "../../src/cli/postgres.ts";
import { main } from "../../src/cli/main.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), cwd: process.cwd() }, out, err };
}

describe("--postgres", () => {
  it("a package that is not installed: a clear message, not an exception", async () => {
    const r = await loadPostgres("@execlayer/not-installed-here");
    expect(r).toEqual({ ok: false, error: "--postgres needs the package @execlayer/not-installed-here, which is not installed: npm install @execlayer/not-installed-here" });
  });

  it("usage errors come before any loading", async () => {
    const c = capture();
    expect(await main(["db", "migrate"], c.io)).toBe(2);
    expect(c.err.join("\n")).toContain("--postgres URL is required");
    const d = capture();
    expect(await main(["verify", "--postgres", "postgresql://x@127.0.0.1:1/db", "--checkpoint", "cp.txt"], d.io)).toBe(2);
    expect(d.err.join("\n")).toContain("--postgres takes no DIR, --server or --checkpoint");
    const s = capture();
    expect(await main(["approvals", "list", "--server", "http://127.0.0.1:1", "--postgres", "postgresql://x@h/db"], s.io)).toBe(2);
    expect(s.err.join("\n")).toContain("give one of --state DIR, --server URL, --postgres URL");
    const e = capture();
    expect(await main(["eval", "p.xpol", "--action", "a.json", "--state", "s", "--postgres", "postgresql://x@h/db"], e.io)).toBe(2);
    expect(e.err.join("\n")).toContain("at most one of --state and --postgres");
  });
});
