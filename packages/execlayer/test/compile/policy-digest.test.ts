// The policy digest covers what decides, canonically: approvals survive edits that change nothing (issue 17, item 4).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { fc, test as fcTest } from "@fast-check/vitest";
import { compilePolicy, formatDiagnostics, formatPolicy, Enforcer, MemoryStore, POLICY_DIGEST_KIND, policyDigestDocument } from "../../src/index.ts";
import type { CompiledPolicy } from "../../src/index.ts";
import { parsePolicy } from "../../src/syntax/parse.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (f: string): string => readFileSync(path.join(repo, "examples/invoices", f), "utf8");
const POLICY = read("invoices.xpol");
const TESTS = read("invoices.test.xpol");

function build(files: Record<string, string>): CompiledPolicy {
  const r = compilePolicy({ sources: Object.entries(files).map(([p, text]) => ({ path: p, text })) });
  if (r.policy === null) throw new Error(formatDiagnostics(r.diagnostics, r.sources));
  return r.policy;
}

const base = build({ "invoices.xpol": POLICY });

describe("approvals survive edits that change nothing", () => {
  test("evaluating the policy alone, then with its test file, finds the same pending request", async () => {
    // the bug: the digest covered the test file's text, so the second evaluation opened a second request
    const store = new MemoryStore();
    const now = () => Date.parse("2026-01-31T10:00:00Z");
    const del = { action: { type: "invoice.delete", params: { invoice_id: "inv-1", customer_id: "c-1" } } };
    const ctx = { actor: { agent: "bot", on_behalf_of: "u-1" }, context: { assigned_customers: ["c-1"] } };
    const alone = await Enforcer.create({ policy: base, store, clock: now });
    const first = await alone.decide(del, ctx);
    const withTests = await Enforcer.create({ policy: build({ "invoices.xpol": POLICY, "invoices.test.xpol": TESTS }), store, clock: now });
    const second = await withTests.decide(del, ctx);
    expect(first.effect).toBe("require_approval");
    expect(second.effect).toBe("require_approval");
    expect(second.request?.request.id).toBe(first.request?.request.id);
    expect(first.request?.request.id).toMatch(/^apr_/);
    expect(await withTests.pendingApprovals()).toHaveLength(1);
  });

  test("a version bump, the formatter, and a keyring file instead of inline keys keep the digest", () => {
    expect(build({ "invoices.xpol": POLICY.replace('version "1.0.0"', 'version "1.0.1"') }).digest).toBe(base.digest);
    const formatted = formatPolicy(POLICY);
    expect(formatted.ok).toBe(true);
    if (formatted.ok) expect(build({ "invoices.xpol": formatted.text }).digest).toBe(base.digest);
    const members = /group finance \{([^}]*)\}/.exec(POLICY)![1]!;
    const keyring = [...members.matchAll(/(\w+): "([^"]+)"/g)].map(([, n, k]) => `${n}   ${k}  # ${n}`).join("\n");
    const r = compilePolicy(
      { sources: [{ path: "invoices.xpol", text: POLICY.replace(/group finance \{[^}]*\}/, 'group finance from "finance.keyring"') }] },
      { readFile: (p) => (p === "finance.keyring" ? keyring : new Error("ENOENT")) },
    );
    expect(r.policy?.digest).toBe(base.digest);
  });

  test("the digest is sha256 over JCS of the decision document, which names no file, test or version", () => {
    const doc = policyDigestDocument(base);
    expect(doc["kind"]).toBe(POLICY_DIGEST_KIND);
    expect(Object.keys(doc).sort()).toEqual(["actions", "actor", "context", "counters", "groups", "kind", "options", "rules", "tools"]);
    expect(JSON.stringify(doc)).not.toContain("invoices.xpol");
    expect(JSON.stringify(doc)).not.toContain("1.0.0");
  });
});

// --- properties ---------------------------------------------------------------------------------------------------

const parsed = parsePolicy(POLICY, "invoices.xpol");
const header = parsed.ast.header!;
/** The policy's declarations as texts (each with the comment lines just above it), in order. */
const declarations: string[] = parsed.ast.declarations.map((d, i, all) => {
  const start = i === 0 ? header.span.end : all[i - 1]!.span.end;
  return POLICY.slice(start, d.span.end).trim();
});
const headerText = POLICY.slice(0, header.span.end);
const testBlocks = parsePolicy(TESTS, "invoices.test.xpol").ast.declarations.filter((d) => d.kind === "test").map((d) => TESTS.slice(d.span.start, d.span.end));

const variant = fc.record({
  order: fc.shuffledSubarray(declarations.map((_, i) => i), { minLength: declarations.length, maxLength: declarations.length }),
  // where the declarations are split into a second file (0: one file)
  split: fc.nat({ max: declarations.length - 1 }),
  tests: fc.subarray(testBlocks),
});

function variantFiles(v: { order: number[]; split: number; tests: string[] }, pad: (s: string) => string): Record<string, string> {
  const decls = v.order.map((i) => declarations[i]!);
  const first = decls.slice(0, v.split === 0 ? decls.length : v.split);
  const second = v.split === 0 ? [] : decls.slice(v.split);
  const files: Record<string, string> = { "invoices.xpol": pad(headerText + "\n\n" + first.join("\n\n") + "\n") };
  if (second.length > 0) files["more/extra.xpol"] = pad(`${second.join("\n\n")}\n`);
  if (v.tests.length > 0) files["invoices.test.xpol"] = v.tests.join("\n\n") + "\n";
  return files;
}

describe("the policy digest, for all edits", () => {
  fcTest.prop([variant, fc.infiniteStream(fc.constantFrom("", " ", "\t", "\n", "\n// an edit that changes nothing\n", "/* note */ "))], { numRuns: 25 })(
    "reordering declarations, moving them between files, adding comments, blank lines or test blocks never changes it",
    (v, pads) => {
      // spacing: at every line start, one of a few harmless prefixes (never inside a string: the examples have none spanning lines)
      const pad = (s: string) =>
        s
          .split("\n")
          .map((l) => (l.trim() === "" || l.trimStart().startsWith("//") ? l : pads.next().value + l))
          .join("\n");
      expect(build(variantFiles(v, pad)).digest).toBe(base.digest);
    },
  );

  fcTest.prop([fc.integer({ min: 0, max: 1_000_000 }).filter((n) => n !== 1000)], { numRuns: 10 })("changing a threshold always changes it", (n) => {
    const changed = POLICY.replace("counter.status_updates < 1000", `counter.status_updates < ${n}`);
    expect(build({ "invoices.xpol": changed }).digest).not.toBe(base.digest);
  });

  test.each([
    ["a quorum", "require approval 2 of finance", "require approval 3 of finance"],
    ["a window", "1 of finance within 24h\n}", "1 of finance within 12h\n}"],
    ["a tier", "tier invoice.delete = T2", "tier invoice.delete = T3"],
    ["a member's name", "alice: \"ed25519:", "alicia: \"ed25519:"],
    ["a tool mapping", 'target: "invoice/" + args.invoice_id\n  invoice_id: args.invoice_id\n  customer_id: args.customer_id\n}', 'target: "inv/" + args.invoice_id\n  invoice_id: args.invoice_id\n  customer_id: args.customer_id\n}'],
    ["a field's type", "note?: string", "note?: int"],
    ["a counter's window", "window calendar month", "window calendar week"],
    ["a reason", "require approval 1 of finance within 24h\n}", 'require approval 1 of finance within 24h "delete"\n}'],
  ])("changing %s changes it", (_what, from, to) => {
    expect(POLICY).toContain(from);
    const changed = POLICY.replace(from, to);
    const r = compilePolicy({ sources: [{ path: "invoices.xpol", text: changed }] });
    // a change that no longer compiles has no digest to compare
    if (r.policy !== null) expect(r.policy.digest).not.toBe(base.digest);
    else throw new Error(formatDiagnostics(r.diagnostics, r.sources));
  });
});
