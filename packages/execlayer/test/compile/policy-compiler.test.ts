// The compiled policy's parts other than decisions: digest, bundles, IR schema, tool mapper, groups, plans, and the
// generated large policies the compile benchmark uses.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { compilePolicy } from "../../src/index.ts";
import { loadBundle, toBundle, BUNDLE_FORMAT } from "../../src/index.ts";
import { sourcesDigest } from "../../src/compile/policy-digest.ts";
import { digest } from "../../src/index.ts";
import { toSovereignIR } from "../../src/index.ts";
import { keyIdOf } from "../../src/index.ts";
import { generatePolicy } from "../../bench/gen-policy.ts";
import { compile, ir, KEYS } from "../engine/engine-helpers.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const invoices = ["examples/invoices/invoices.xpol", "examples/invoices/invoices.test.xpol"];

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "xpol-compile-"));
}

describe("compilePolicy from files", () => {
  test("each unreadable file is an XP8001 diagnostic naming it and the errno code, with no policy", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "p.xpol"), `policy p version "1"\naction a.x { n: int }\ntier a.x = T0\nrule r on a.x { allow }\n`);
    const r = compilePolicy({ files: ["p.xpol", "missing.xpol", "gone/q.xpol"], cwd: dir });
    expect(r.policy).toBeNull();
    expect(r.diagnostics.map((d) => [d.code, d.file, d.message])).toEqual([
      ["XP8001", "missing.xpol", "cannot read `missing.xpol`: ENOENT"],
      ["XP8001", "gone/q.xpol", "cannot read `gone/q.xpol`: ENOENT"],
    ]);
    expect(compilePolicy({ files: ["p.xpol"], cwd: dir }).policy).not.toBeNull();
  });
});

// The policy digest (what decides) has its own file: policy-digest.test.ts. These are the sources digest's.
describe("the sources digest", () => {
  test("is sha256 over JCS of the sorted sources", () => {
    const p = compile(`policy p version "1"\naction a.x { n: int }\ntier a.x = T0\nrule r on a.x { allow }\n`);
    expect(p.sourcesDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(p.sourcesDigest).toBe(digest({ kind: "execlayer/policy/v1", sources: [{ path: "policy.xpol", text: p.sources[0]!.text }] }));
  });

  test("does not depend on the directory the policy is compiled from, nor on the order files are given", () => {
    const a = compilePolicy({ files: invoices, cwd: repo }).policy!;
    const b = compilePolicy({ files: [...invoices].reverse().map((f) => path.join(repo, f)) }).policy!;
    const dir = tempDir();
    for (const f of invoices) writeFileSync(path.join(dir, path.basename(f)), readFileSync(path.join(repo, f)));
    const c = compilePolicy({ files: invoices.map((f) => path.basename(f)), cwd: dir }).policy!;
    expect(b.sourcesDigest).toBe(a.sourcesDigest);
    expect(c.sourcesDigest).toBe(a.sourcesDigest);
    expect(b.digest).toBe(a.digest);
    expect(c.digest).toBe(a.digest);
    expect(a.sources.map((s) => s.path)).toEqual(["invoices.test.xpol", "invoices.xpol"]);
  });

  test("changes with any byte of any source", () => {
    const base = `policy p version "1"\naction a.x { n: int }\ntier a.x = T0\nrule r on a.x { allow }\n`;
    const p = compile(base);
    expect(compile(base + "// comment\n").sourcesDigest).not.toBe(p.sourcesDigest);
    expect(compile(base.replace('"1"', '"2"')).sourcesDigest).not.toBe(p.sourcesDigest);
  });

  test("covers imported stdlib modules and keyrings", () => {
    const text = `policy p version "1"\nimport std.http\ngroup ops from "keys/ops.keyring"\nrule r on http.request { require approval 1 of ops }\n`;
    const keyring = `alice ${KEYS.alice}\n`;
    const p = compile(text, { "keys/ops.keyring": keyring });
    expect(p.sources.map((s) => s.path)).toEqual(["<std>/http.xpol", "keys/ops.keyring", "policy.xpol"]);
    expect(compile(text, { "keys/ops.keyring": keyring + "# another comment\n" }).sourcesDigest).not.toBe(p.sourcesDigest);
  });

  fcTest.prop([fc.array(fc.record({ path: fc.string({ minLength: 1, maxLength: 8 }), text: fc.string() }), { maxLength: 4 })])(
    "sourcesDigest is independent of the order of sources",
    (sources) => {
      const unique = [...new Map(sources.map((s) => [s.path, s])).values()];
      expect(sourcesDigest([...unique].reverse())).toBe(sourcesDigest(unique));
    },
  );
});

describe("bundles", () => {
  const policy = compilePolicy({ files: invoices, cwd: repo }).policy!;

  test("round trip: the loaded policy has the same digest and decides the same", () => {
    const bundle = toBundle(policy);
    expect(bundle).toMatchObject({ format: BUNDLE_FORMAT, digest: policy.digest, sources_digest: policy.sourcesDigest, name: "invoices", version: "1.0.0" });
    const loaded = loadBundle(JSON.stringify(bundle), "b.json");
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.policy!.digest).toBe(policy.digest);
    const action = ir("invoice.delete", { invoice_id: "i", customer_id: "c" }, { actor: { on_behalf_of: "u" }, context: { assigned_customers: [] } });
    expect(loaded.policy!.evaluate(action)).toEqual(policy.evaluate(action));
  });

  test("a tampered source is refused with the digest mismatch", () => {
    const bundle = toBundle(policy);
    const tampered = { ...bundle, sources: bundle.sources.map((s) => ({ ...s, text: s.text.replace("require approval 2 of finance", "allow") })) };
    const r = loadBundle(tampered, "b.json");
    expect(r.policy).toBeNull();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["XP8102"]);
    expect(r.diagnostics[0]!.message).toContain(bundle.sources_digest);
  });

  test("a source changed where it does not decide is still refused (the sources digest), unless re-digested", () => {
    const bundle = toBundle(policy);
    const edited = bundle.sources.map((s) => ({ ...s, text: s.text + "\n// a comment\n" }));
    expect(loadBundle({ ...bundle, sources: edited }, "b.json").diagnostics.map((d) => d.code)).toEqual(["XP8102"]);
    const redigested = loadBundle({ ...bundle, sources: edited, sources_digest: sourcesDigest(edited) }, "b.json");
    expect(redigested.diagnostics).toEqual([]);
    expect(redigested.policy!.digest).toBe(policy.digest);
  });

  test("a bundle whose policy decides differently than its `digest` says is refused", () => {
    const bundle = toBundle(policy);
    const edited = bundle.sources.map((s) => ({ ...s, text: s.text.replace("require approval 2 of finance", "require approval 1 of finance") }));
    const r = loadBundle({ ...bundle, sources: edited, sources_digest: sourcesDigest(edited) }, "b.json");
    expect(r.policy).toBeNull();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["XP8102"]);
    expect(r.diagnostics[0]!.message).toContain(bundle.digest);
  });

  test("a bundle written before the policy digest covered only what decides (digest = sources digest) still loads", () => {
    const { sources_digest, ...bundle } = toBundle(policy);
    const r = loadBundle({ ...bundle, digest: sources_digest }, "old.json");
    expect(r.diagnostics).toEqual([]);
    expect(r.policy!.digest).toBe(policy.digest);
  });

  test("keyrings and stdlib modules travel inside the bundle", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "keys"));
    writeFileSync(path.join(dir, "keys", "ops.keyring"), `alice ${KEYS.alice}\nbob ${KEYS.bob}\n`);
    writeFileSync(path.join(dir, "p.xpol"), `policy p version "1"\nimport std.http\ngroup ops from "keys/ops.keyring"\nrule r on http.request { require approval 2 of ops }\n`);
    const p = compilePolicy({ files: ["p.xpol"], cwd: dir }).policy!;
    const loaded = loadBundle(JSON.stringify(toBundle(p)));
    expect(loaded.policy?.digest).toBe(p.digest);
    expect(loaded.policy?.groups.get("ops")?.map((k) => k.name)).toEqual(["alice", "bob"]);
  });

  test("a bundle holding a source twice, or a source the policy does not read, is refused", () => {
    const bundle = toBundle(policy);
    const twice = [...bundle.sources, bundle.sources[0]!];
    const dup = loadBundle({ ...bundle, sources: twice, sources_digest: sourcesDigest(twice) }, "b.json");
    expect(dup.policy).toBeNull();
    expect(dup.diagnostics.map((d) => d.code)).toEqual(["XP8101"]);
    expect(dup.diagnostics[0]!.message).toContain(`source \`${bundle.sources[0]!.path}\` appears twice`);
    // the digest matches the sources, but compiling them does not read the extra one: not what CI checked
    const extra = [...bundle.sources, { path: "unused.keyring", text: `alice ${KEYS.alice}\n` }];
    const r = loadBundle({ ...bundle, sources: extra, sources_digest: sourcesDigest(extra) }, "b.json");
    expect(r.policy).toBeNull();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["XP8101"]);
    expect(r.diagnostics[0]!.message).toContain("its sources compile to a different set of files than it holds");
  });

  test("malformed bundles are diagnostics, not exceptions", () => {
    for (const bad of ["not json", "[]", JSON.stringify({ format: "x" }), JSON.stringify({ format: BUNDLE_FORMAT, digest: "sha256:00", sources: [] }), JSON.stringify({ format: BUNDLE_FORMAT, digest: "d", sources: [{ path: 1 }] })]) {
      const r = loadBundle(bad);
      expect(r.policy).toBeNull();
      expect(r.diagnostics[0]!.code).toBe("XP8101");
    }
  });
});

describe("what the runtime gets", () => {
  const p = compilePolicy({ files: invoices, cwd: repo }).policy!;

  test("groups with decoded keys and key ids", () => {
    const finance = p.groups.get("finance")!;
    expect(finance.map((m) => m.name)).toEqual(["alice", "bob", "carol"]);
    expect(Buffer.from(finance[0]!.publicKey).toString("hex")).toBe(KEYS.alice.slice("ed25519:".length));
    expect(finance[0]!.keyId).toBe(keyIdOf(finance[0]!.publicKey));
  });

  test("counter specs", () => {
    expect([...p.counters.values()]).toEqual([
      { name: "status_updates", window: { kind: "calendar", unit: "month" }, actionTypes: ["invoice.update_status"] },
    ]);
  });

  test("the IR schema normalizes with src/ir, aliases and tool mappings included", () => {
    expect([...p.irSchema.actionTypes.keys()].sort()).toEqual(["invoice.delete", "invoice.delete_all", "invoice.read", "invoice.update_status"]);
    expect(p.irSchema.actionTypes.get("invoice.read")!.aliases).toEqual(["get_invoice"]);
    const who = { actor: { agent: "bot", on_behalf_of: "u" }, context: { assigned_customers: [] }, requestedAt: "2026-01-31T12:00:00Z" };
    const fromTool = toSovereignIR({ type: "tool_use", id: "t1", name: "delete_invoice", input: { invoice_id: "i-1", customer_id: "c-1" } }, p.irSchema, { ...who, mapper: p.toolMapper });
    expect(fromTool.ok && fromTool.ir.action).toEqual({ type: "invoice.delete", target: "invoice/i-1", params: { invoice_id: "i-1", customer_id: "c-1" } });
    const byAlias = toSovereignIR({ action: { type: "set_invoice_status", params: { invoice_id: "i", customer_id: "c", status: "paid" } } }, p.irSchema, who);
    expect(byAlias.ok && byAlias.ir.action.type).toBe("invoice.update_status");
  });

  test("tool mapper: optional parameters reading missing arguments are left out; other failures are errors", () => {
    const q = compile(`policy q version "1"
action a.x { id: string  note?: string }
tier a.x = T0
rule r on a.x { allow }
tool do_x -> a.x { target: "x/" + args.id  id: args.id  note: args.note }
`);
    expect(q.toolMapper.tools).toEqual(["do_x"]);
    expect(q.toolMapper.map("do_x", { id: "1" })).toEqual({ ok: true, value: { type: "a.x", target: "x/1", params: { id: "1" } } });
    expect(q.toolMapper.map("do_x", { id: "1", note: "n" })).toEqual({ ok: true, value: { type: "a.x", target: "x/1", params: { id: "1", note: "n" } } });
    // a required value reading a missing argument fails the call, naming the entry
    expect(q.toolMapper.map("do_x", {})).toEqual({ ok: false, error: "`target`: no such key: 'id'" });
    expect(q.toolMapper.map("nope", {})).toEqual({ ok: false, error: "no mapping for tool `nope`" });
  });
});

describe("generated policies (the compile benchmark's input)", () => {
  for (const size of [10, 100, 1000]) {
    test(`${size} rules compile without errors, with every rule in a plan`, () => {
      const g = generatePolicy(size);
      const r = compilePolicy({ sources: [{ path: g.path, text: g.text }] });
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(r.policy!.checked.rules.length).toBe(size);
      const planned = new Set([...r.policy!.plans.values()].flatMap((p) => p.rulesByTier.flat().map((x) => x.name)));
      expect(planned.size).toBe(size);
      // the benchmark's premise: each rule applies to a bounded number of types, so the planned work is linear
      const pairs = [...r.policy!.plans.values()].reduce((n, p) => n + new Set(p.rulesByTier.flat()).size, 0);
      expect(pairs).toBeGreaterThanOrEqual(size);
      expect(pairs).toBeLessThanOrEqual(3 * size);
    });
  }
  test("the generator is deterministic", () => expect(generatePolicy(50).text).toBe(generatePolicy(50).text));
});
