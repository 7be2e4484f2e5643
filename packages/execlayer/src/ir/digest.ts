// The two digests, each with one job:
//  - the action digest names what a human approves: the action (type, target, params) and who asks (the actor
//    without `session`). Request time, session and context are left out, so a retried proposal has the same
//    action digest and an approval binds to it.
//  - the IR digest names the whole IR, time and context included; receipts record it.
// Domain separation: each digest is over the RFC 8785 bytes of a wrapper object whose `kind` names the digest
// (`{"action":…,"actor":…,"kind":"execlayer/action/v1"}`, `{"ir":…,"kind":"execlayer/ir/v1"}`), so the two
// preimages can never be the same bytes, and any JCS library in any language reproduces them.
import { canonicalize, flat, sha256Text } from "./canonicalize.ts";
import { ACTOR_SESSION, type IrActor, type JsonObject, type SovereignIR } from "./types.ts";

export const ACTION_DIGEST_KIND = "execlayer/action/v1";
export const IR_DIGEST_KIND = "execlayer/ir/v1";

/** The actor as the action digest sees it: without `session`. */
function actorForActionDigest(actor: IrActor): JsonObject {
  if (!Object.hasOwn(actor, ACTOR_SESSION)) return actor;
  const { [ACTOR_SESSION]: _session, ...rest } = actor;
  return rest;
}

/** The canonical text the action digest is taken over. */
export function actionDigestPreimage(ir: Pick<SovereignIR, "action" | "actor">): string {
  return canonicalize({ action: ir.action as unknown as JsonObject, actor: actorForActionDigest(ir.actor), kind: ACTION_DIGEST_KIND });
}

/** `sha256:<hex>` naming what is approved; see the file comment. Throws only for a value that is not JSON. */
export function actionDigest(ir: Pick<SovereignIR, "action" | "actor">): string {
  return sha256Text(actionDigestPreimage(ir));
}

/** `sha256:<hex>` naming the whole IR; see the file comment. Throws only for a value that is not JSON. */
export function irDigest(ir: SovereignIR): string {
  return sha256Text(canonicalize({ ir: ir as unknown as JsonObject, kind: IR_DIGEST_KIND }));
}

export interface IrDigests {
  /** the RFC 8785 text of the IR itself */
  readonly canonical: string;
  readonly actionDigest: string;
  readonly irDigest: string;
}

/**
 * All three at the cost of canonicalizing each part once: the wrappers are assembled from the parts' canonical
 * texts in sorted key order, which is exactly their RFC 8785 form. Only for IRs with the five keys of version "1"
 * (what `toSovereignIR` builds); tests check it against `actionDigest` and `irDigest`.
 */
export function digestsOf(ir: SovereignIR): IrDigests {
  const action = canonicalize(ir.action as unknown as JsonObject);
  const actor = canonicalize(ir.actor);
  const actorNoSession = Object.hasOwn(ir.actor, ACTOR_SESSION) ? canonicalize(actorForActionDigest(ir.actor)) : actor;
  // flat: it lives as long as its decision (spliced into the receipt body)
  const canonical = flat(`{"action":${action},"actor":${actor},"context":${canonicalize(ir.context)},"requested_at":${JSON.stringify(ir.requested_at)},"version":${JSON.stringify(ir.version)}}`);
  return {
    canonical,
    actionDigest: sha256Text(`{"action":${action},"actor":${actorNoSession},"kind":"${ACTION_DIGEST_KIND}"}`),
    irDigest: sha256Text(`{"ir":${canonical},"kind":"${IR_DIGEST_KIND}"}`),
  };
}
