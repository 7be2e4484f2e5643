// What the approval book's changes mean for webhooks: each change of a request (a decision opened or consumed it, an
// approval or a veto was counted) becomes its events (webhooks.ts `transitions`), and a timer per open request sends
// `request.expired` when its window closes unused. Each event carries the request as the console shows it.
import type { ApprovalRequestInfo, CompiledPolicy, JsonValue } from "execlayer";
import type { ApprovalBook } from "./approvals.ts";
import { approvalView } from "./view.ts";
import { transitions, type Notifier, type WebhookEvent } from "./webhooks.ts";

/** How many expired requests are remembered, so each is announced once. */
const REMEMBERED_EXPIRED = 10_000;

export class ApprovalNotifier {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #expired = new Set<string>();
  #baseUrl: string;

  constructor(
    readonly notifier: Notifier,
    readonly book: ApprovalBook,
    readonly policy: () => CompiledPolicy,
    baseUrl: string,
  ) {
    this.#baseUrl = baseUrl;
  }

  /** The URL links point to (the service's own, known once it listens, unless a public URL was given). */
  set baseUrl(url: string) {
    this.#baseUrl = url.replace(/\/+$/, "");
  }

  /** A request changed (the book calls this after recording it). */
  changed(before: ApprovalRequestInfo | undefined, after: ApprovalRequestInfo): void {
    if (!this.notifier.enabled) return;
    const id = after.request.id;
    for (const type of transitions(before, after)) {
      if (type === "request.expired" && !this.#markExpired(id)) continue;
      this.#send(type, after);
    }
    if (after.status === "pending" || after.status === "approved") this.#watchExpiry(after);
    else this.#unwatch(id);
  }

  #send(type: WebhookEvent, info: ApprovalRequestInfo): void {
    // never revealed: a webhook goes to a receiver, not to an approver whose token may see @sensitive values
    const { action, reasons, rules, tier_basis, sensitive, console_path, ...request } = approvalView(info, this.book, this.policy(), false);
    const content: Record<string, JsonValue> = { request, action, reasons, rules, tier_basis, sensitive, link: `${this.#baseUrl}${console_path}` };
    if (type === "signature.added") {
      const last = request["approvals"];
      if (Array.isArray(last) && last.length > 0) content["signature"] = last[last.length - 1]!;
    }
    this.notifier.send(type, content);
  }

  /** Watches the expiry of a request opened before this process started (its opening was announced then). */
  watch(info: ApprovalRequestInfo): void {
    if (this.notifier.enabled && (info.status === "pending" || info.status === "approved")) this.#watchExpiry(info);
  }

  #watchExpiry(info: ApprovalRequestInfo): void {
    const id = info.request.id;
    if (this.#timers.has(id)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      const now = this.book.lastSeen(id, Date.now());
      if (now !== undefined && now.status === "expired" && this.#markExpired(id)) this.#send("request.expired", now);
    }, Math.max(0, info.request.expiresAt - Date.now() + 10));
    timer.unref();
    this.#timers.set(id, timer);
  }

  #unwatch(id: string): void {
    const t = this.#timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(id);
  }

  /** True the first time a request is marked expired. */
  #markExpired(id: string): boolean {
    if (this.#expired.has(id)) return false;
    this.#expired.add(id);
    if (this.#expired.size > REMEMBERED_EXPIRED) this.#expired.delete(this.#expired.values().next().value!);
    return true;
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.notifier.close();
  }
}
