// Webhooks: approvers are told when they are needed. An event is sent when a request is opened, a signature is
// added, a request is approved, vetoed, expires, or its action is run (consumed). The body carries the request, the
// action as the console shows it (view.ts) and a link to the console's page of it; or, with the Slack format, a
// Slack message (incoming webhooks' `text` + `blocks`).
//
// Signature (as Stripe signs theirs): header `X-ExecLayer-Signature: t=<unix seconds>,v1=<hex>` where
//   v1 = HMAC-SHA256(secret, "<t>." + <the raw body bytes>)
// A receiver recomputes v1 over the raw body with the shared secret, compares in constant time, and refuses a
// timestamp too far from its clock (replays); `verifyWebhookSignature` does exactly that. `X-ExecLayer-Event` names the
// event type and `X-ExecLayer-Delivery` the event id (the same on every retry: deduplicate on it).
//
// Delivery never touches a decision: events are queued after the decision or approval is answered, sent in the
// background, retried with exponential backoff (with jitter) on a network error, a timeout or a non-2xx answer, each
// failure logged; after the last attempt the event is dropped and logged. Nothing waits for a receiver.
//
// With an outbox file (xpol serve: STATE/webhooks.jsonl) an event outlives the process: each (event, target) is
// appended when queued and marked done when delivered or given up; a stop (or a crash) leaves the rest, and the next
// start sends them again with the same delivery id, so a receiver that deduplicates sees each event once. The file is
// rewritten to the open events at start and, while running, whenever the lines appended since outgrow them.
import { appendFileSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import type { ApprovalRequestInfo, JsonObject, JsonValue } from "execlayer";
import type { Counter } from "prom-client";

export const WEBHOOK_EVENTS = ["request.opened", "signature.added", "request.approved", "request.vetoed", "request.expired", "request.consumed"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const SIGNATURE_HEADER = "x-execlayer-signature";
/** the outbox's file name in `xpol serve`'s state directory */
export const WEBHOOK_OUTBOX_FILE = "webhooks.jsonl";
export const EVENT_HEADER = "x-execlayer-event";
export const DELIVERY_HEADER = "x-execlayer-delivery";

export interface WebhookTarget {
  readonly url: string;
  /** the shared HMAC secret */
  readonly secret: string;
  /** `json` (default): the event as JSON; `slack`: a Slack incoming-webhook message */
  readonly format?: "json" | "slack";
}

export interface WebhookOptions {
  readonly targets: readonly WebhookTarget[];
  /** attempts per event and target, the first included (default 6) */
  readonly attempts?: number;
  /** the delay before the first retry, doubled for each next one (default 1000 ms) ... */
  readonly backoffMs?: number;
  /** ... up to this (default 60 s) */
  readonly maxBackoffMs?: number;
  /** ms before an attempt counts as failed (default 5000) */
  readonly timeoutMs?: number;
  /** events in flight at once, all targets (default 1000); more are dropped and logged */
  readonly maxQueued?: number;
  /**
   * a file that keeps undelivered events across stops and crashes of the process (not a power loss: it is not
   * fsync'd); none: they live in memory only
   */
  readonly outbox?: string;
  /**
   * the outbox is rewritten to just the events still open once this many lines were appended since it last was
   * (and they are at least 4 times the open events), so a long-running service's file stays small (default 1024)
   */
  readonly outboxCompactLines?: number;
}

/** One line of the outbox: an event queued for a target, or the end of its delivery. */
type QueuedLine = { readonly op: "queued"; readonly key: string; readonly url: string; readonly type: WebhookEvent; readonly id: string; readonly body: string };
type OutboxLine = QueuedLine | { readonly op: "done"; readonly key: string };

const outboxKey = (id: string, url: string): string => `${id} ${url}`;

/** The events of an outbox file still to deliver, in the order they were queued; bad lines are skipped (and counted). */
function readOutbox(file: string): { open: QueuedLine[]; bad: number } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { open: [], bad: 0 };
  }
  const open = new Map<string, QueuedLine>();
  let bad = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const l = JSON.parse(line) as OutboxLine;
      if (l.op === "queued" && typeof l.body === "string" && typeof l.url === "string" && (WEBHOOK_EVENTS as readonly string[]).includes(l.type)) open.set(l.key, l);
      else if (l.op === "done") open.delete(l.key);
      else bad++;
    } catch {
      bad++; // a line torn by a crash mid-append
    }
  }
  return { open: [...open.values()], bad };
}

/** The signature header's value for `body` at unix time `t` (seconds). */
export function signWebhook(secret: string, body: string | Uint8Array, t: number): string {
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.`).update(body).digest("hex")}`;
}

/**
 * Checks a webhook's signature header against the raw body (the bytes received, before any JSON parsing) and the
 * shared secret: ok with the timestamp, or why not. A timestamp more than `toleranceS` (default 300) seconds from
 * `now` is refused, so a captured delivery cannot be replayed later.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string | Uint8Array,
  options: { readonly toleranceS?: number; readonly now?: number } = {},
): { readonly ok: true; readonly value: { readonly timestamp: number } } | { readonly ok: false; readonly error: string } {
  if (typeof header !== "string" || header === "") return { ok: false, error: `no ${SIGNATURE_HEADER} header` };
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    const k = part.slice(0, at).trim();
    const v = part.slice(at + 1).trim();
    if (k === "t" && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === "v1" && /^[0-9a-f]{64}$/.test(v)) v1.push(v);
  }
  if (t === null) return { ok: false, error: "the signature header has no timestamp `t=`" };
  if (v1.length === 0) return { ok: false, error: "the signature header has no `v1=` signature" };
  const now = options.now ?? Date.now();
  if (Math.abs(now / 1000 - t) > (options.toleranceS ?? 300)) return { ok: false, error: `the timestamp ${t} is too far from now` };
  const expected = Buffer.from(signWebhook(secret, body, t).split("v1=")[1]!, "hex");
  // every candidate compared in constant time (a header may carry several during a secret rotation)
  let match = false;
  for (const s of v1) if (timingSafeEqual(expected, Buffer.from(s, "hex"))) match = true;
  return match ? { ok: true, value: { timestamp: t } } : { ok: false, error: "no signature matches the body with this secret" };
}

/** The events a change of a request's state means, in order. `before` is undefined for a request not seen before. */
export function transitions(before: ApprovalRequestInfo | undefined, after: ApprovalRequestInfo): WebhookEvent[] {
  const out: WebhookEvent[] = [];
  if (before === undefined && (after.status === "pending" || after.status === "approved")) out.push("request.opened");
  const had = before?.approvals.length ?? 0;
  for (const a of after.approvals.slice(had)) if (a.verdict === "approve") out.push("signature.added");
  if (after.status !== before?.status) {
    if (after.status === "approved") out.push("request.approved");
    else if (after.status === "vetoed") out.push("request.vetoed");
    else if (after.status === "consumed") out.push("request.consumed");
    else if (after.status === "expired") out.push("request.expired");
  }
  return out;
}

/** A Slack mrkdwn text with `&`, `<`, `>` escaped (Slack's rule for text it must not read as links or mentions). */
function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const TITLES: Readonly<Record<WebhookEvent, string>> = {
  "request.opened": "Approval needed",
  "signature.added": "Signature added",
  "request.approved": "Approved",
  "request.vetoed": "Vetoed",
  "request.expired": "Expired",
  "request.consumed": "Approved action ran",
};

const obj = (v: JsonValue | undefined): JsonObject => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as JsonObject) : {});
const text = (v: JsonValue | undefined): string => (typeof v === "string" ? v : JSON.stringify(v));

/** The Slack message of an event: a summary line, the parameters (masked ones say so), progress, and the link. */
export function slackMessage(event: JsonObject): JsonObject {
  const type = event["type"] as WebhookEvent;
  const request = obj(event["request"]);
  const recorded = obj(event["action"]);
  const action = obj(recorded["action"]);
  const actor = obj(recorded["actor"]);
  const masked = new Set(Array.isArray(event["sensitive"]) ? (event["sensitive"] as string[]) : []);
  const what = `\`${text(request["action_type"])}\`${request["target"] !== null && request["target"] !== undefined ? ` on \`${text(request["target"])}\`` : ""}`;
  const progress = Array.isArray(request["progress"]) ? (request["progress"] as JsonObject[]).map((p) => `${text(p["group"])}: ${(p["approvedBy"] as string[]).length} of ${text(p["quorum"])}`).join("; ") : "";
  const params = Object.entries(obj(action["params"])).map(([k, v]) => `• *${slackEscape(k)}*: ${masked.has(`action.params.${k}`) ? "_masked (@sensitive)_" : slackEscape(text(v))}`);
  const summary = `${TITLES[type] ?? type}: ${slackEscape(what)} (${text(request["tier"])}) asked by ${slackEscape(text(actor["agent"] ?? "?"))}${actor["on_behalf_of"] !== undefined ? ` on behalf of ${slackEscape(text(actor["on_behalf_of"]))}` : ""}`;
  const lines = [`*${summary}*`, ...params, `Signatures: ${slackEscape(progress)} · status *${text(request["status"])}* · expires ${text(request["expires_at"])}`];
  const link = typeof event["link"] === "string" ? event["link"] : null;
  if (link !== null) lines.push(`<${link}|Review in the approval console>`);
  return {
    text: summary,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: lines.join("\n") } }],
  };
}

/** Sends events to every target in the background, with retries; never throws, never blocks its caller. */
export class Notifier {
  readonly #targets: readonly WebhookTarget[];
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #timeoutMs: number;
  readonly #maxQueued: number;
  readonly #inFlight = new Set<AbortController>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #outbox: string | null;
  /** the outbox's events not yet done, by key: what a rewrite keeps */
  readonly #open = new Map<string, QueuedLine>();
  readonly #compactLines: number;
  #appended = 0;
  #queued = 0;
  #closed = false;

  constructor(
    options: WebhookOptions,
    readonly log: Logger,
    readonly counter: Counter<"outcome"> | null,
  ) {
    this.#targets = options.targets;
    this.#attempts = Math.max(1, options.attempts ?? 6);
    this.#backoffMs = options.backoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxQueued = options.maxQueued ?? 1000;
    this.#outbox = options.outbox ?? null;
    this.#compactLines = Math.max(1, options.outboxCompactLines ?? 1024);
  }

  /**
   * Sends again what the outbox holds from an earlier run (to targets still configured; the others are dropped and
   * logged), after compacting the file to just those events. Call once, before the first `send`.
   */
  resume(): number {
    const file = this.#outbox;
    if (file === null || this.#targets.length === 0) return 0;
    const { open, bad } = readOutbox(file);
    if (bad > 0) this.log.warn({ outbox: file, lines: bad }, "webhook outbox: unreadable lines skipped");
    const byUrl = new Map(this.#targets.map((t) => [t.url, t]));
    const again = open.filter((l) => byUrl.has(l.url));
    for (const l of open) if (!byUrl.has(l.url)) this.log.warn({ webhook: l.url, event: l.type, id: l.id }, "webhook dropped: its target is no longer configured");
    for (const l of again) this.#open.set(l.key, l);
    this.#rewrite(file);
    for (const l of again) {
      this.#queued++;
      this.log.info({ webhook: l.url, event: l.type, id: l.id }, "webhook resumed from the outbox");
      void this.#deliver(byUrl.get(l.url) as WebhookTarget, l.type, l.id, l.body, 1);
    }
    return again.length;
  }

  /** Appends to the outbox; a failure is logged, never thrown (delivery goes on in memory). */
  #record(line: OutboxLine): void {
    const file = this.#outbox;
    if (file === null) return;
    if (line.op === "queued") this.#open.set(line.key, line);
    else this.#open.delete(line.key);
    // a rewrite that fails leaves the old file: the line is appended to it as usual
    if (line.op === "done" && this.#appended >= this.#compactLines && this.#appended >= 4 * this.#open.size && this.#rewrite(file)) return;
    try {
      appendFileSync(file, JSON.stringify(line) + "\n", { mode: 0o600 });
      this.#appended++;
    } catch (e: unknown) {
      this.log.error({ outbox: file, err: e instanceof Error ? e.message : String(e) }, "webhook outbox: cannot append");
    }
  }

  /** Replaces the outbox with the events still open (a new file renamed over it: a crash leaves the old or the new). */
  #rewrite(file: string): boolean {
    try {
      writeFileSync(`${file}.tmp`, [...this.#open.values()].map((l) => JSON.stringify(l) + "\n").join(""), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
      this.#appended = 0;
      return true;
    } catch (e: unknown) {
      this.log.error({ outbox: file, err: e instanceof Error ? e.message : String(e) }, "webhook outbox: cannot rewrite it");
      return false;
    }
  }

  get enabled(): boolean {
    return this.#targets.length > 0;
  }

  /** Queues one event (`event` is the JSON body's content without id, type and time) for every target. */
  send(type: WebhookEvent, content: JsonObject): void {
    if (this.#closed || this.#targets.length === 0) return;
    const event: JsonObject = { id: `evt_${randomUUID()}`, type, created_at: new Date().toISOString(), ...content };
    for (const target of this.#targets) {
      if (this.#queued >= this.#maxQueued) {
        this.counter?.inc({ outcome: "dropped" });
        this.log.error({ webhook: target.url, event: type, id: event["id"] }, "webhook dropped: too many events in flight");
        continue;
      }
      const body = JSON.stringify(target.format === "slack" ? slackMessage(event) : event);
      const id = String(event["id"]);
      this.#queued++;
      this.#record({ op: "queued", key: outboxKey(id, target.url), url: target.url, type, id, body });
      void this.#deliver(target, type, id, body, 1);
    }
  }

  async #deliver(target: WebhookTarget, type: WebhookEvent, id: string, body: string, attempt: number): Promise<void> {
    const abort = new AbortController();
    this.#inFlight.add(abort);
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    let failure: string;
    try {
      const res = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "execlayer-webhooks/1",
          [SIGNATURE_HEADER]: signWebhook(target.secret, body, Math.floor(Date.now() / 1000)),
          [EVENT_HEADER]: type,
          [DELIVERY_HEADER]: id,
        },
        body,
        signal: abort.signal,
        redirect: "manual",
      });
      // the body is read so the connection can be reused; its content does not matter
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        this.#queued--;
        this.#record({ op: "done", key: outboxKey(id, target.url) });
        this.counter?.inc({ outcome: "delivered" });
        this.log.info({ webhook: target.url, event: type, id, attempt, status: res.status }, "webhook delivered");
        return;
      }
      failure = `answered ${res.status}`;
    } catch (e: unknown) {
      failure = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason.message : e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(abort);
    }
    if (this.#closed || attempt >= this.#attempts) {
      this.#queued--;
      if (this.#closed && this.#outbox !== null) {
        this.log.warn({ webhook: target.url, event: type, id, attempt, error: failure }, "webhook kept in the outbox: the service is stopping");
        return;
      }
      this.#record({ op: "done", key: outboxKey(id, target.url) });
      this.counter?.inc({ outcome: "failed" });
      this.log.error({ webhook: target.url, event: type, id, attempt, error: failure }, this.#closed ? "webhook dropped: the service is stopping" : "webhook failed: giving up after the last attempt");
      return;
    }
    // exponential backoff with jitter: half the delay fixed, half random, so retries of many events spread out
    const delay = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (attempt - 1));
    const wait = delay / 2 + Math.random() * (delay / 2);
    this.counter?.inc({ outcome: "retried" });
    this.log.warn({ webhook: target.url, event: type, id, attempt, error: failure, retry_in_ms: Math.round(wait) }, "webhook attempt failed; retrying");
    const retry = setTimeout(() => {
      this.#timers.delete(retry);
      void this.#deliver(target, type, id, body, attempt + 1);
    }, wait);
    retry.unref();
    this.#timers.add(retry);
  }

  /** Stops: attempts in flight aborted, pending retries dropped (and logged), or kept in the outbox for the next start. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    if (this.#timers.size > 0) this.log.warn({ events: this.#timers.size }, this.#outbox !== null ? "webhooks kept in the outbox at shutdown" : "webhooks dropped at shutdown");
    this.#queued -= this.#timers.size;
    this.#timers.clear();
    for (const a of this.#inFlight) a.abort(new Error("the service is stopping"));
  }
}
