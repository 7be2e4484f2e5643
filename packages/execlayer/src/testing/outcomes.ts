// Expected outcomes (`expect allow`, `expect deny "reason"`, `expect require approval 2 of finance`,
// `expect not allow`, `expect that EXPR`) against a decision, and both as text for failure messages.
import type { ExpectedOutcome } from "../syntax/ast.ts";
import type { Decision } from "../vocabulary/decision.ts";
import { formatMillis } from "../engine/combine.ts";

/**
 * Whether a decision meets an expected outcome (`that` is evaluated by the caller):
 * - `deny "text"`: the effect is deny and some reason contains the text;
 * - `require approval N of G`: the effect is require_approval and G is required with quorum N (other groups may be
 *   required too); `require approval N`: some group is required with quorum N.
 */
export function outcomeHolds(o: Exclude<ExpectedOutcome, { kind: "that" }>, d: Decision): boolean {
  switch (o.kind) {
    case "allow":
      return d.effect === "allow";
    case "not_allow":
      return d.effect !== "allow";
    case "deny":
      return d.effect === "deny" && (o.reason === null || d.reasons.some((r) => r.includes(o.reason!.value)));
    case "require_approval": {
      if (d.effect !== "require_approval") return false;
      const reqs = d.approval?.requirements ?? [];
      return reqs.some(
        (r) => (o.quorum === null || r.quorum === o.quorum.value) && (o.group === null || r.group === o.group.text),
      ) || (o.quorum === null && o.group === null);
    }
  }
}

/** `allow`, `deny matching "text"`, `require approval 1 of finance`, `not allow`, `that <expression>`. */
export function describeExpected(o: ExpectedOutcome, source?: string): string {
  switch (o.kind) {
    case "allow":
      return "allow";
    case "not_allow":
      return "not allow";
    case "deny":
      return o.reason === null ? "deny" : `deny with a reason containing ${JSON.stringify(o.reason.value)}`;
    case "require_approval":
      return `require approval${o.quorum === null ? "" : ` ${o.quorum.value}`}${o.group === null ? "" : ` of ${o.group.text}`}`;
    case "that":
      return source === undefined ? "the `expect that` condition to hold" : `\`${source.slice(o.condition.span.start, o.condition.span.end)}\` to hold`;
  }
}

/** `allow (T0)`, `deny (T2)`, `require approval 2 of finance within 24h (T3)`. */
export function describeDecision(d: Decision): string {
  const tier = d.tier === null ? "invalid input" : d.tier;
  switch (d.effect) {
    case "allow":
      return `allow (${tier})`;
    case "deny":
      return `deny (${tier})`;
    case "require_approval": {
      const reqs = (d.approval?.requirements ?? []).map((r) => `${r.quorum} of ${r.group} within ${formatMillis(r.withinMs)}`);
      return `require approval ${reqs.join(" and ")} (${tier})`;
    }
  }
}

/** The contributing rules, one line each: `read_invoices: allow`, `limits (else): require_approval`. */
export function describeRules(d: Decision): string[] {
  return d.rules.map((r) => `${r.rule}${r.otherwise === true ? " (else)" : ""}: ${r.effect}${r.error === true ? " (evaluation error)" : ""}`);
}
