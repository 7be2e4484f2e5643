// Bundles: a compiled policy's sources in one JSON file, so a service can load exactly what CI checked.
//   { "format": "execlayer-bundle/v1", "digest": "sha256:...", "sources_digest": "sha256:...", "name": ...,
//     "version": ..., "sources": [{path, text}] }
// `digest` is the policy digest (what decides, compile/policy-digest.ts), `sources_digest` the digest of the exact
// texts. Loading checks the texts against `sources_digest`, compiles them (keyrings and stdlib modules come from the
// bundle itself, never from the disk) and refuses a policy whose digest is not `digest`. A bundle written before the
// policy digest covered only what decides has no `sources_digest`, and its `digest` is the sources digest: accepted.
import { diagnostic } from "../diagnostics/diagnostic.ts";
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { sourcesModuleResolver, STDLIB_PREFIX } from "../check/policy-modules.ts";
import { sourcesDigest } from "./policy-digest.ts";
import { buildPolicy, type BuildResult } from "./policy-build.ts";
import type { CompiledPolicy } from "../engine/plan.ts";
import type { SourceText } from "../engine/plan.ts";

export const BUNDLE_FORMAT = "execlayer-bundle/v1";

export interface Bundle {
  readonly format: typeof BUNDLE_FORMAT;
  readonly digest: string;
  readonly sources_digest: string;
  readonly name: string;
  readonly version: string | null;
  readonly sources: readonly SourceText[];
}

export function toBundle(policy: CompiledPolicy): Bundle {
  return {
    format: BUNDLE_FORMAT,
    digest: policy.digest,
    sources_digest: policy.sourcesDigest,
    name: policy.name,
    version: policy.version,
    sources: policy.sources.map((s) => ({ path: s.path, text: s.text })),
  };
}

const AT_START = { start: 0, end: 0 };

function bundleError(file: string, what: string, help?: string): BuildResult {
  return {
    policy: null,
    diagnostics: [diagnostic(Diagnostics.invalidBundle, AT_START, [file, what], help === undefined ? { file } : { file, help })],
    sources: [],
  };
}

/** Loads a bundle (its JSON text or the parsed value); `file` names it in diagnostics. Never throws. */
export function loadBundle(input: string | unknown, file = "<bundle>"): BuildResult {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (e: unknown) {
      return bundleError(file, `not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return bundleError(file, "not a JSON object");
  const b = value as Record<string, unknown>;
  if (b.format !== BUNDLE_FORMAT) return bundleError(file, `\`format\` is ${JSON.stringify(b.format)}, expected "${BUNDLE_FORMAT}"`);
  if (typeof b.digest !== "string") return bundleError(file, "`digest` is missing");
  if (!Array.isArray(b.sources) || b.sources.length === 0) return bundleError(file, "`sources` must be a non-empty array");
  const sources: SourceText[] = [];
  const seen = new Set<string>();
  for (const s of b.sources as unknown[]) {
    if (s === null || typeof s !== "object") return bundleError(file, "every source is `{ path, text }`");
    const { path, text } = s as Record<string, unknown>;
    if (typeof path !== "string" || typeof text !== "string") return bundleError(file, "every source is `{ path, text }` with string values");
    if (seen.has(path)) return bundleError(file, `source \`${path}\` appears twice`);
    seen.add(path);
    sources.push({ path, text });
  }
  const actual = sourcesDigest(sources);
  const mismatch = (claimed: string, computed: string): BuildResult => ({
    policy: null,
    sources: [],
    diagnostics: [
      diagnostic(Diagnostics.bundleDigestMismatch, AT_START, [file, claimed, computed], {
        file,
        help: "the sources were changed after the bundle was written; rebuild it with `xpol compile`",
      }),
    ],
  });
  if (b.sources_digest !== undefined && b.sources_digest !== actual) return mismatch(String(b.sources_digest), actual);
  const texts = new Map(sources.map((s) => [s.path, s.text]));
  // Policy files are the `.xpol` sources outside the stdlib; everything else is a keyring read through `readFile`.
  const policyFiles = sources.filter((s) => s.path.endsWith(".xpol") && !s.path.startsWith(STDLIB_PREFIX));
  const built = buildPolicy(policyFiles, {
    readFile: (path) => texts.get(path) ?? new Error("not in the bundle"),
    modules: sourcesModuleResolver(sources),
  });
  if (built.policy === null) return built;
  if (built.policy.sourcesDigest !== actual) {
    return bundleError(file, "its sources compile to a different set of files than it holds", "rebuild it with `xpol compile`");
  }
  // a bundle from before the policy digest covered only what decides: its `digest` is the sources digest
  const legacy = b.sources_digest === undefined && b.digest === actual;
  if (built.policy.digest !== b.digest && !legacy) return mismatch(b.digest, built.policy.digest);
  return built;
}
