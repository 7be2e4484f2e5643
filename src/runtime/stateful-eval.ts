// Stateful decisions for `xpol eval --state DIR`: the same proposals as the stateless `eval`, decided by an Enforcer
// over the durable store in DIR, so counters and approval requests carry over between invocations.
import type { CompiledPolicy } from "../compile/policy-compiler.ts";
import { DurableStore } from "../store/durable.ts";
import { StoreError } from "../store/types.ts";
import type { DecideContext } from "./enforceable.ts";
import { Enforcer, type EnforcerDecision } from "./enforcer.ts";

export interface StatefulEvalOptions {
  /** the state directory (created if missing) */
  readonly dir: string;
  /** a fixed decision time (RFC 3339); default: the clock */
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
    return { ok: false, error: new StoreError("XP5022", e instanceof Error ? e.message : String(e), "io") };
  }
  const fixed = options.now === undefined ? undefined : Date.parse(options.now);
  const enforcer = await Enforcer.create({ policy, store, ...(fixed !== undefined ? { clock: () => fixed } : {}) });
  const decisions: EnforcerDecision[] = [];
  try {
    for (const p of proposals) decisions.push(await enforcer.decide(p, context));
  } finally {
    await store.close().catch(() => undefined);
  }
  return { ok: true, decisions };
}
