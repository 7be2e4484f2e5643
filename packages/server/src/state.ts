// What the handlers share: the policy holder, the store, the approval book, the metrics, and whether the service
// is draining. Reload lives here so the admin route, SIGHUP and the file watcher take the same path.
import type { Logger } from "pino";
import type { StateStore, Receipt } from "execlayer";
import { ApprovalBook } from "./approvals.ts";
import { ServiceMetrics } from "./metrics.ts";
import { loadPolicyFiles, PolicyHolder, type BundleCheck } from "./policy.ts";
import { ReceiptSource, type FleetChains } from "./receipt-source.ts";

export type ReloadOutcome = { readonly ok: true } | { readonly ok: false; readonly diagnostics: string };

export class ServiceState {
  readonly book = new ApprovalBook();
  readonly metrics: ServiceMetrics;
  /** what the receipts routes read: the state directory's log, or the fleet's chains (--postgres) */
  readonly receipts: ReceiptSource;
  draining = false;
  #reloads: Promise<void> = Promise.resolve();

  constructor(
    readonly holder: PolicyHolder,
    readonly store: StateStore<Receipt>,
    /** the durable store's directory; null for a memory store (no receipts) */
    readonly stateDir: string | null,
    readonly policyFiles: readonly string[],
    readonly cwd: string,
    readonly log: Logger,
    /** --bundle-signers / --bundle-quorum: a reload too loads only a bundle with the quorum */
    readonly bundleCheck?: BundleCheck,
    /** --postgres: the fleet's receipt chains, and this replica's current one ("" before its first receipt) */
    fleet?: { readonly chains: FleetChains; readonly current: () => string },
  ) {
    this.receipts = new ReceiptSource(stateDir, fleet ?? null);
    this.metrics = new ServiceMetrics(async () => (await this.holder.enforcer.pendingApprovals()).length);
  }

  /** Why the store cannot take a transaction now (closed, broken, its database unreachable), or null. */
  async storeProblem(): Promise<string | null> {
    const failure = (await this.store.health?.()) ?? null;
    return failure === null ? null : `${failure.code}: ${failure.message}`;
  }

  /**
   * Compiles the policy files again and swaps the policy atomically when they check; otherwise logs the diagnostics
   * and keeps the running policy. Reloads run one after another, each reading the files as they are when it starts.
   */
  reload(why: string): Promise<ReloadOutcome> {
    const run = this.#reloads.then(() => this.#reloadNow(why));
    this.#reloads = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #reloadNow(why: string): Promise<ReloadOutcome> {
    const loaded = loadPolicyFiles(this.policyFiles, this.cwd, this.bundleCheck);
    if (!loaded.ok) {
      this.metrics.reloads.inc({ outcome: "refused" });
      this.log.error({ reload: why, diagnostics: loaded.diagnostics, policy: this.holder.identity.digest }, "policy reload refused; the running policy keeps serving");
      return { ok: false, diagnostics: loaded.diagnostics };
    }
    const before = this.holder.identity.digest;
    await this.holder.replace(loaded.policy, this.policyFiles, loaded.bundle);
    this.metrics.reloads.inc({ outcome: "applied" });
    this.log.info({ reload: why, from: before, to: this.holder.identity.digest, name: this.holder.identity.name, version: this.holder.identity.version }, "policy reloaded");
    return { ok: true };
  }
}
