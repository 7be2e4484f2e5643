// What the service knows about approval requests beyond the store's open list: the action each request is for, as
// the receipt recorded it (the canonical IR with the policy's sensitive fields masked), the last status seen of a
// request that is no longer open (used, vetoed, expired), and the agents waiting for a request to be settled.
import { readReceipts } from "execlayer/receipts";
import { decisionToJson, type ApprovalRequestInfo, type EnforcerDecision, type JsonObject, type JsonValue, type RequestStatus } from "execlayer";

/** The rules and reasons of the decision that asked for approval. */
export interface AskedBy {
  readonly reasons: JsonValue;
  readonly rules: JsonValue;
}

interface Known {
  /** the action as recorded (sensitive fields masked); null when it was never seen (a MemoryStore's request made
   * before a restart cannot exist, so this is only a request whose receipt could not be read) */
  action: JsonObject | null;
  asked: AskedBy | null;
  /** the last state seen; the store's open list is fresher while the request is open */
  info: ApprovalRequestInfo;
}

/** How many settled requests are remembered for `GET /v1/approvals/{id}` after they leave the open list. */
const REMEMBERED = 10_000;

export class ApprovalBook {
  readonly #known = new Map<string, Known>();
  /** told of every change of a request recorded by a decision or an approval (webhooks), after it is recorded */
  onChange: ((before: ApprovalRequestInfo | undefined, after: ApprovalRequestInfo) => void) | null = null;
  readonly #waiters = new Map<string, Set<() => void>>();
  /** @sensitive values of open requests opened by this process (reveal.ts); dropped when a request is settled */
  readonly #revealed = new Map<string, JsonObject>();
  #waiting = 0;

  /** Records what a decision says about its request (and wakes those waiting on it). */
  noteDecision(d: EnforcerDecision): void {
    const info = d.request;
    if (info === undefined) return;
    const id = info.request.id;
    const old = this.#known.get(id);
    const body = d.receipt?.body;
    const ir = body !== undefined && typeof body["ir"] === "object" && body["ir"] !== null && !Array.isArray(body["ir"]) ? (body["ir"] as JsonObject) : null;
    let asked = old?.asked ?? null;
    if (asked === null && d.effect === "require_approval") {
      const j = decisionToJson(d);
      asked = { reasons: j["reasons"] ?? [], rules: j["rules"] ?? [] };
    }
    this.#remember(id, { action: old?.action ?? ir, asked, info });
    this.#wake(id);
    this.onChange?.(old?.info, info);
  }

  /** Records a request's state after a submitted approval (and wakes those waiting on it). */
  noteRequest(info: ApprovalRequestInfo): void {
    const id = info.request.id;
    const old = this.#known.get(id);
    this.#remember(id, { action: old?.action ?? null, asked: old?.asked ?? null, info });
    this.#wake(id);
    this.onChange?.(old?.info, info);
  }

  /** Keeps the sensitive values of an open request (reveal.ts checked they are the decided ones). */
  keepRevealed(id: string, values: JsonObject): void {
    const k = this.#known.get(id);
    if (k === undefined || (k.info.status !== "pending" && k.info.status !== "approved")) return;
    this.#revealed.set(id, values);
  }

  /** The kept sensitive values of an open request, or null. */
  revealed(id: string): JsonObject | null {
    const k = this.lastSeen(id, Date.now());
    if (k === undefined || (k.status !== "pending" && k.status !== "approved")) {
      this.#revealed.delete(id);
      return null;
    }
    return this.#revealed.get(id) ?? null;
  }

  /** The recorded action of a request, when known. */
  action(id: string): JsonObject | null {
    return this.#known.get(id)?.action ?? null;
  }

  /** The rules and reasons that asked for a request, when known. */
  asked(id: string): AskedBy | null {
    return this.#known.get(id)?.asked ?? null;
  }

  /** The last state seen of a request, with its status at `now` (an unsettled request past its expiry is expired). */
  lastSeen(id: string, now: number): ApprovalRequestInfo | undefined {
    const k = this.#known.get(id);
    if (k === undefined) return undefined;
    const settled: readonly RequestStatus[] = ["consumed", "vetoed", "expired"];
    if (!settled.includes(k.info.status) && now > k.info.request.expiresAt) return { ...k.info, status: "expired" };
    return k.info;
  }

  /**
   * Reads the actions of the given open requests from a state directory's receipt log (the receipt that created
   * each request carries its IR as recorded). For requests made before this process started.
   */
  async loadFromLog(dir: string, open: readonly ApprovalRequestInfo[]): Promise<void> {
    const wanted = new Map(open.map((r) => [r.request.id, r] as const));
    if (wanted.size === 0) return;
    for await (const item of readReceipts(dir)) {
      if (!item.ok) break;
      const body = item.receipt.body;
      const req = body["request"];
      const ir = body["ir"];
      if (typeof req !== "object" || req === null || Array.isArray(req)) continue;
      const id = (req as JsonObject)["id"];
      if (typeof id !== "string" || !wanted.has(id) || this.#known.has(id)) continue;
      if (typeof ir !== "object" || ir === null || Array.isArray(ir)) continue;
      const decision = body["decision"];
      const d = typeof decision === "object" && decision !== null && !Array.isArray(decision) ? (decision as JsonObject) : {};
      this.#remember(id, { action: ir as JsonObject, asked: { reasons: d["reasons"] ?? [], rules: d["rules"] ?? [] }, info: wanted.get(id)! });
    }
  }

  /**
   * Resolves when request `id` changes (a decision or an approval touches it), at `deadline` (ms), or when the
   * service closes; false when too many are waiting already.
   */
  wait(id: string, untilMs: number, limit: number): Promise<void> | false {
    if (this.#waiting >= limit) return false;
    this.#waiting++;
    return new Promise<void>((resolve) => {
      let set = this.#waiters.get(id);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(id, set);
      }
      const done = (): void => {
        clearTimeout(timer);
        const s = this.#waiters.get(id);
        if (s !== undefined && s.delete(done) && s.size === 0) this.#waiters.delete(id);
        this.#waiting--;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, untilMs - Date.now()));
      set.add(done);
    });
  }

  /** Releases every waiter (the service is closing: they answer with the state as it is). */
  wakeAll(): void {
    for (const id of [...this.#waiters.keys()]) this.#wake(id);
  }

  #wake(id: string): void {
    const set = this.#waiters.get(id);
    if (set === undefined) return;
    for (const done of [...set]) done();
  }

  #remember(id: string, k: Known): void {
    if (k.info.status !== "pending" && k.info.status !== "approved") this.#revealed.delete(id);
    this.#known.delete(id);
    this.#known.set(id, k);
    if (this.#known.size > REMEMBERED) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) {
        this.#known.delete(oldest);
        this.#revealed.delete(oldest);
      }
    }
  }
}
