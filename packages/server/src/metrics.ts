// Prometheus metrics (prom-client), in a registry of the service's own (never the process-global one, so two
// services in one process, as in tests, do not share counters).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ServiceDiagnostics as D, type EnforcerDecision } from "execlayer";

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly decisions: Counter<"effect" | "tier">;
  readonly ruleDecisions: Counter<"rule" | "effect">;
  readonly latency: Histogram<"endpoint">;
  readonly storeErrors: Counter<"code">;
  readonly reloads: Counter<"outcome">;
  readonly pending: Gauge;
  readonly webhooks: Counter<"outcome">;
  readonly shadowDecisions: Counter<"effect" | "shadow_effect">;

  constructor(pendingCount: () => Promise<number>) {
    const registers = [this.registry];
    this.decisions = new Counter({ name: "xpol_decisions_total", help: "decisions by effect and tier", labelNames: ["effect", "tier"], registers });
    this.ruleDecisions = new Counter({ name: "xpol_rule_decisions_total", help: "contributions of each rule to decisions, by the rule's effect", labelNames: ["rule", "effect"], registers });
    this.latency = new Histogram({
      name: "xpol_decision_duration_seconds",
      help: "time to decide a request (parse to answer), by endpoint",
      labelNames: ["endpoint"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.storeErrors = new Counter({ name: "xpol_store_errors_total", help: "decisions denied because the store could not record them, by code", labelNames: ["code"], registers });
    this.reloads = new Counter({ name: "xpol_policy_reloads_total", help: "policy reloads by outcome (applied, refused)", labelNames: ["outcome"], registers });
    this.pending = new Gauge({
      name: "xpol_pending_approvals",
      help: "open approval requests (pending or approved, not yet used)",
      registers,
      async collect() {
        this.set(await pendingCount());
      },
    });
    this.webhooks = new Counter({ name: "xpol_webhook_deliveries_total", help: "webhook attempts by outcome (delivered, retried, failed, dropped)", labelNames: ["outcome"], registers });
    this.shadowDecisions = new Counter({
      name: "xpol_shadow_decisions_total",
      help: "shadow mode: decisions by the real policy's effect and the candidate's (never enforced)",
      labelNames: ["effect", "shadow_effect"],
      registers,
    });
    collectDefaultMetrics({ register: this.registry, prefix: "xpol_" });
  }

  /** Counts one decision. Store failures are the XP5004 / XP5023 denies. */
  count(d: EnforcerDecision): void {
    this.decisions.inc({ effect: d.effect, tier: d.tier ?? "none" });
    for (const r of d.rules) this.ruleDecisions.inc({ rule: r.rule, effect: r.effect });
    if (d.shadow !== undefined) this.shadowDecisions.inc({ effect: d.effect, shadow_effect: d.shadow.effect });
    if (d.code === D.storeUnavailable.code || d.code === D.storeClosed.code) this.storeErrors.inc({ code: d.code });
  }
}
