// Stateful decisions for `xpol eval --state DIR`: the same proposals as the stateless `eval`, decided by an Enforcer
// over the durable store in DIR, so counters and approval requests carry over between invocations.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { DurableStore } from "../store/durable.ts";
import { StoreError } from "../runtime/store.ts";
import type { DecideContext } from "../engine/enforceable.ts";
import { Enforcer } from "../runtime/enforcer.ts";
import type { CompiledPolicy } from "../engine/plan.ts";
import type { EnforcerDecision } from "../runtime/outcome.ts";

export interface StatefulEvalOptions {
  /** the state directory (created if missing) */
  readonly dir: string;
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
  let store: DurableStore;
  try {
    store = await DurableStore.open(options.dir);
  } catch (e: unknown) {
    if (e instanceof StoreError) return { ok: false, error: e };
    return { ok: false, error: new StoreError(Diagnostics.storeOpenFailed.code, e instanceof Error ? e.message : String(e), "io") };
  }
  // As in the stateless `eval`: the decision time is `now` if given, else the clock; never the proposal's own.
  const fixed = options.now === undefined ? undefined : Date.parse(options.now);
  let current = Date.now();
  const enforcer = await Enforcer.create({ policy, store, clock: () => current });
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
