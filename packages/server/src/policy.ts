// The loaded policy, swapped atomically: a reload compiles the files again and, only when they check, replaces the
// Enforcer with one over the same store. A policy that fails to check is refused with its diagnostics and the
// running one keeps serving; a request in flight finishes on the Enforcer it started with.
import { readFileSync } from "node:fs";
import { Enforcer, compilePolicy, formatDiagnostics, loadBundle, verifyBundle, type BundleSigner, type CompiledPolicy, type StateStore, type Receipt, type VerifiedBundle } from "execlayer";

/** `--bundle-signers KEYRING --bundle-quorum M`: only a bundle approved by M of these loads (at start and on reload). */
export interface BundleCheck {
  readonly signers: readonly BundleSigner[];
  readonly quorum: number;
}

export interface PolicyIdentity {
  readonly name: string;
  readonly version: string | null;
  readonly digest: string;
  /** the files it was compiled from */
  readonly files: readonly string[];
  /** when this policy started serving (RFC 3339) */
  readonly loadedAt: string;
}

export type PolicyLoad = { readonly ok: true; readonly policy: CompiledPolicy; readonly bundle?: VerifiedBundle } | { readonly ok: false; readonly diagnostics: string };

/**
 * Compiles `.xpol` files (one policy), or reads one bundle `.json` from `xpol compile`; with `bundle`, only a signed
 * bundle carrying the quorum loads. Never throws.
 */
export function loadPolicyFiles(files: readonly string[], cwd: string, bundle?: BundleCheck): PolicyLoad {
  try {
    if (bundle !== undefined) {
      if (files.length !== 1 || !files[0]!.endsWith(".json")) return { ok: false, diagnostics: "with --bundle-signers, the policy must be one signed bundle .json (xpol compile -o, then xpol sign-bundle)" };
      const text = readFileSync(new URL(files[0]!, `file://${cwd.endsWith("/") ? cwd : cwd + "/"}`), "utf8");
      const v = verifyBundle(text, bundle.signers, bundle.quorum, files[0]);
      return v.ok ? { ok: true, policy: v.value.policy, bundle: v.value } : { ok: false, diagnostics: v.error };
    }
    if (files.length === 1 && files[0]!.endsWith(".json")) {
      const text = readFileSync(new URL(files[0]!, `file://${cwd.endsWith("/") ? cwd : cwd + "/"}`), "utf8");
      const built = loadBundle(text, files[0]);
      if (built.policy !== null) return { ok: true, policy: built.policy };
      return { ok: false, diagnostics: built.diagnostics.map((d) => `error[${d.code}]: ${d.message}`).join("\n") };
    }
    const r = compilePolicy({ files, cwd });
    if (r.policy === null) return { ok: false, diagnostics: formatDiagnostics(r.diagnostics, r.sources) };
    return { ok: true, policy: r.policy };
  } catch (e: unknown) {
    return { ok: false, diagnostics: e instanceof Error ? e.message : String(e) };
  }
}

export class PolicyHolder {
  #enforcer: Enforcer;
  #policy: CompiledPolicy;
  #identity: PolicyIdentity;
  /** shadow mode's candidate: it stays across reloads of the real policy */
  readonly #shadow: CompiledPolicy | undefined;

  private constructor(enforcer: Enforcer, policy: CompiledPolicy, identity: PolicyIdentity, shadow: CompiledPolicy | undefined) {
    this.#enforcer = enforcer;
    this.#policy = policy;
    this.#identity = identity;
    this.#shadow = shadow;
  }

  static async create(policy: CompiledPolicy, files: readonly string[], store: StateStore<Receipt>, shadow?: CompiledPolicy, bundle?: VerifiedBundle): Promise<PolicyHolder> {
    // a verified bundle is the policy (its receipts name the bundle and its signers)
    const enforcer = await Enforcer.create({ ...(bundle !== undefined ? { bundle } : { policy }), store, ...(shadow !== undefined ? { shadow } : {}) });
    return new PolicyHolder(enforcer, policy, identityOf(policy, files), shadow);
  }

  /** The Enforcer of the policy serving now: take it once per request. */
  get enforcer(): Enforcer {
    return this.#enforcer;
  }

  /** The compiled policy serving now (its action types, for the AuthZEN mapping). */
  get policy(): CompiledPolicy {
    return this.#policy;
  }

  get identity(): PolicyIdentity {
    return this.#identity;
  }

  /** Replaces the policy (over the same store); the old Enforcer is left to finish what it has started. */
  async replace(policy: CompiledPolicy, files: readonly string[], bundle?: VerifiedBundle): Promise<void> {
    const enforcer = await Enforcer.create({ ...(bundle !== undefined ? { bundle } : { policy }), store: this.#enforcer.store, ...(this.#shadow !== undefined ? { shadow: this.#shadow } : {}) });
    this.#enforcer = enforcer;
    this.#policy = policy;
    this.#identity = identityOf(policy, files);
  }
}

function identityOf(policy: CompiledPolicy, files: readonly string[]): PolicyIdentity {
  return { name: policy.name, version: policy.version, digest: policy.digest, files: [...files], loadedAt: new Date().toISOString() };
}
