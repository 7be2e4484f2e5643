// The policy digest: what approvals and receipts bind to. It covers every text that decides what the policy does
// (the policy files, the stdlib modules they import, the keyrings their groups read) and nothing else, so the same
// policy compiled from another directory, or loaded from a bundle, has the same digest.
//
//   digest = sha256 over RFC 8785 of { kind: "execlayer/policy/v1", sources: [{ path, text }, ...] }
//
// with sources sorted by path and paths relative to the deepest directory holding all policy files (POSIX `/`);
// stdlib modules keep their virtual `<std>/NAME.xpol` path.
import { posix } from "node:path";
import { digest } from "../ir/canonicalize.ts";
import { STDLIB_PREFIX } from "../check/policy-modules.ts";
import { commonDirectory, toPosix } from "../check/policy-paths.ts";
import type { PolicySource } from "../check/policy-symbols.ts";
import type { SourceText } from "../engine/plan.ts";

export const POLICY_DIGEST_KIND = "execlayer/policy/v1";

/** The sources with canonical (relative, POSIX) paths, sorted by path. */
export function canonicalSources(sources: readonly PolicySource[]): SourceText[] {
  const policyPaths = sources.filter((s) => s.kind === "policy").map((s) => s.path);
  const base = commonDirectory(policyPaths);
  const rel = (p: string): string => {
    if (p.startsWith(STDLIB_PREFIX)) return p;
    const r = posix.relative(base, posix.normalize(toPosix(p)));
    return r === "" ? posix.basename(p) : r;
  };
  return sources
    .map((s) => ({ path: rel(s.path), text: s.text }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** `sha256:<hex>` of canonical sources (already canonical: as `canonicalSources` returns them). */
export function policyDigest(sources: readonly SourceText[]): string {
  const sorted = [...sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return digest({ kind: POLICY_DIGEST_KIND, sources: sorted.map((s) => ({ path: s.path, text: s.text })) });
}
