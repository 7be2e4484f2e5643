// The patterns chapter (docs/patterns.md) stays true: each pattern's policy is the example file it shows, its
// test blocks pass, and the prompt-injection defence holds over a real sequence of calls (the counter per session
// is the store's, not a test's constant).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compilePolicy, Enforcer, MemoryStore } from "../../src/index.ts";
import { findPolicySets, testPolicySet } from "../../src/testing/load.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const doc = readFileSync(path.resolve(ROOT, "../../docs/patterns.md"), "utf8");

/** The ```xpol blocks of the chapter that start with `// file: PATH`, by path. */
function shownFiles(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of doc.matchAll(/```xpol\n\/\/ file: (\S+)\n([\s\S]*?)```/g)) out.set(m[1]!, m[2]!);
  return out;
}

describe("docs/patterns.md", () => {
  it("shows each pattern's files as they are in the repository", () => {
    const shown = shownFiles();
    expect(shown.size).toBeGreaterThanOrEqual(2);
    for (const [file, text] of shown) expect(text, file).toBe(readFileSync(path.join(ROOT, file), "utf8"));
  });

  it("the patterns' test blocks pass", async () => {
    const { sets } = findPolicySets(["examples/patterns"], ROOT);
    expect(sets.length).toBeGreaterThanOrEqual(1);
    for (const set of sets) {
      const r = await testPolicySet(set, ROOT, { properties: false });
      expect(r.diagnostics.filter((d) => d.severity === "error"), set.label).toEqual([]);
      expect(r.results.length, set.label).toBeGreaterThan(0);
      expect(r.results.filter((c) => c.status !== "passed").map((c) => c.name), set.label).toEqual([]);
    }
  });

  it("prompt injection: after an untrusted read in a session, that session's outbound actions need approval; other sessions are not affected", async () => {
    const text = readFileSync(path.join(ROOT, "examples/patterns/untrusted-content.xpol"), "utf8");
    const { policy, diagnostics } = compilePolicy({ sources: [{ path: "untrusted-content.xpol", text }] });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const enforcer = await Enforcer.create({ policy: policy!, store: new MemoryStore() });
    const inSession = (session: string) => ({ actor: { agent: "assistant", session } });
    const send = { action: { type: "email.send", params: { to: "bob@example.com", subject: "report" } } };
    const fetchPage = { action: { type: "web.fetch", params: { url: "https://attacker.example/page" } } };
    const exportAll = { action: { type: "crm.export", params: { segment: "all" } } };

    expect((await enforcer.decide(send, inSession("s-1"))).effect).toBe("allow");
    expect((await enforcer.decide(exportAll, inSession("s-1"))).effect).toBe("require_approval");
    expect((await enforcer.decide(fetchPage, inSession("s-1"))).effect).toBe("allow");
    // the page may have carried instructions: from now on this session's outbound actions are held
    expect((await enforcer.decide(send, inSession("s-1"))).effect).toBe("require_approval");
    const denied = await enforcer.decide(exportAll, inSession("s-1"));
    expect(denied.effect).toBe("deny");
    expect(denied.reasons.join(" ")).toContain("this session read untrusted content: no bulk export");
    // another session has read nothing untrusted
    expect((await enforcer.decide(send, inSession("s-2"))).effect).toBe("allow");
  });
});

describe("outbound pattern over real counters", () => {
  it("the per-domain limit counts EXAMPLE.com and example.com as one domain", async () => {
    const text = readFileSync(path.join(ROOT, "examples/patterns/outbound.xpol"), "utf8");
    const { policy, diagnostics } = compilePolicy({ sources: [{ path: "outbound.xpol", text }] });
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const enforcer = await Enforcer.create({ policy: policy!, store: new MemoryStore() });
    const who = { actor: { agent: "assistant" } };
    const mail = (to: string) => ({ action: { type: "email.send", params: { to, subject: "hi" } } });
    for (let i = 0; i < 20; i++) expect((await enforcer.decide(mail(i % 2 === 0 ? "a@example.com" : "b@EXAMPLE.com"), who)).effect).toBe("allow");
    expect((await enforcer.decide(mail("c@Example.Com"), who)).effect).toBe("deny");
    expect((await enforcer.decide(mail("c@other.org"), who)).effect).toBe("allow");
  });
});
