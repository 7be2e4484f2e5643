// Stateful decisions for `xpol eval --state DIR` and `xpol eval --postgres URL`: the same proposals as the stateless
// `eval`, decided by an Enforcer over the durable store in DIR, or the PostgreSQL store (@execlayer/postgres, loaded
// on demand; each run writes its receipts as a new chain), so counters and approval requests carry over between
// invocations.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { DurableStore } from "../store/durable.ts";
import { StoreError } from "../runtime/store.ts";
import type { DecideContext } from "../engine/enforceable.ts";
import { Enforcer } from "../runtime/enforcer.ts";
import type { CompiledPolicy } from "../engine/plan.ts";
import type { EnforcerDecision } from "../runtime/outcome.ts";
import type { StateStore } from "../runtime/store.ts";
import type { Receipt } from "../receipts/receipt.ts";
import { loadPostgres } from "./postgres.ts";
import type { RedactionKey } from "../receipts/redaction.ts";

export interface StatefulEvalOptions {
  /** the state directory (created if missing) */
  readonly dir?: string;
  /** or the PostgreSQL database (its schema migrated: `xpol db migrate`) */
  readonly postgres?: string;
  /** with `postgres`: the fleet's redaction key (required there to decide; XP5026 when it is not the fleet's) */
  readonly redactionKey?: RedactionKey;
  /** a fixed decision time (RFC 3339); default: the clock (a proposal's own `requested_at` is never used) */
  readonly now?: string;
}

export type StatefulEvalResult = { readonly ok: true; readonly decisions: readonly EnforcerDecision[] } | { readonly ok: false; readonly error: StoreError };

/** Decides each proposal in order (JSON text or a value). Opens and closes the store; never throws. */
export async function decideWithState(
  policy: CompiledPolicy,
  proposals: readonly unknown[],
  context: DecideContext,
  options: StatefulEvalOptions,
): Promise<StatefulEvalResult> {
  let store: StateStore<Receipt>;
  try {
    store = await openStore(options);
  } catch (e: unknown) {
    return { ok: false, error: asStoreError(e) };
  }
  // As in the stateless `eval`: the decision time is `now` if given, else the clock; never the proposal's own.
  const fixed = options.now === undefined ? undefined : Date.parse(options.now);
  let current = Date.now();
  let enforcer: Enforcer;
  try {
    enforcer = await Enforcer.create({ policy, store, clock: () => current });
  } catch (e: unknown) {
    // a fleet's store without the fleet's redaction key (XP5026)
    await store.close().catch(() => undefined);
    return { ok: false, error: asStoreError(e) };
  }
  const decisions: EnforcerDecision[] = [];
  try {
    for (const p of proposals) {
      current = fixed ?? Date.now();
      decisions.push(await enforcer.decide(p, context));
    }
  } finally {
    await store.close().catch(() => undefined);
  }
  return { ok: true, decisions };
}

function asStoreError(e: unknown): StoreError {
  if (e instanceof StoreError) return e;
  if (e instanceof Error && e.name === "StoreError") return e as StoreError;
  return new StoreError(Diagnostics.storeOpenFailed.code, e instanceof Error ? e.message : String(e), "io");
}

async function openStore(options: StatefulEvalOptions): Promise<StateStore<Receipt>> {
  if (options.postgres === undefined) return DurableStore.open(options.dir ?? ".");
  const pg = await loadPostgres();
  if (!pg.ok) throw new StoreError(Diagnostics.storeDatabaseFailed.code, pg.error, "io");
  return pg.value.PostgresStore.connect(options.postgres, { replica: "xpol-eval", ...(options.redactionKey !== undefined ? { redactionKey: options.redactionKey } : {}) });
}
