// What the Enforcer needs from a policy. The compiled policy (src/compile) is adapted to it in `fromCompiled`
// (enforcer-adapter.ts); tests can implement it directly.
import type { JsonObject } from "../ir/types.ts";
import type { SovereignIR } from "../ir/types.ts";
import type { ApproverGroups } from "./approvals.ts";
import type { CounterUse } from "./counters.ts";
import type { Decision } from "./decision.ts";

/** Who proposes, and the situation: supplied by the embedding service, never by the model. */
export interface DecideContext {
  readonly actor?: JsonObject;
  readonly context?: JsonObject;
}

export type IrBuild =
  | { readonly ok: true; readonly ir: SovereignIR; readonly actionDigest: string; readonly irDigest: string }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly path?: string } };

export type CounterUses =
  | { readonly ok: true; readonly uses: readonly CounterUse[] }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export interface EnforceablePolicy {
  readonly name: string;
  readonly version: string | null;
  /** `sha256:<hex>`: approvals and receipts bind to it */
  readonly digest: string;
  /** approver groups with decoded keys */
  readonly groups: ApproverGroups;
  /** a tool call or IR-shaped proposal -> normalized SovereignIR and its two digests; never throws */
  toIR(proposal: unknown, options: DecideContext & { readonly requestedAt: string }): IrBuild;
  /** the counters this action reads (`counter.NAME`) and would increment, with keys and amounts */
  countersFor(ir: SovereignIR): CounterUses;
  /** the stateless decision, with `counter.NAME` read from `counters` (0 when absent); never throws */
  evaluate(ir: SovereignIR, counters: ReadonlyMap<string, number>): Decision;
  /** the IR as recorded in receipts (sensitive fields replaced by their digests); the IR itself when absent */
  receiptIR?(ir: SovereignIR): JsonObject;
}
