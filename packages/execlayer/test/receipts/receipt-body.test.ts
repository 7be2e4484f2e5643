// The receipt body's schema (src/runtime/receipt-body.ts, documented in src/receipts/README.md "Receipt bodies"),
// pinned: one scenario through the real compiler, Enforcer and stores writes one body of every kind the runtime
// writes, and they must equal test/receipts/golden/receipt-bodies.json exactly, as must the hash of the signed lines
// (so the receipt bytes are pinned too). A change to the schema is a visible diff of that file: review it, then
// regenerate with `UPDATE_GOLDEN=1 npx vitest run test/receipts/receipt-body.test.ts`.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/index.ts";
import { redactionKeyFromBytes } from "../../src/index.ts";
import { canonicalize } from "../../src/index.ts";
import type { JsonObject, JsonValue } from "../../src/index.ts";
import { formatPublicKey } from "../../src/index.ts";
import type { Receipt } from "../../src/index.ts";
import { NobleSigner } from "../../src/index.ts";
import { signApproval } from "../../src/index.ts";
import { Enforcer } from "../../src/index.ts";
import { changeFromJson, changeToJson, RECEIPT_BODY_VERSION, RUNTIME_RECEIPT_KINDS, stateChangesFromBody } from "../../src/runtime/receipt-body.ts";
import { DurableStore } from "../../src/index.ts";
import { MemoryJournal } from "../../src/index.ts";
import { MemoryStore } from "../../src/index.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const GOLDEN = path.join(here, "golden/receipt-bodies.json");

const seed = (n: number) => new Uint8Array(32).fill(n);
const alice = NobleSigner.fromSeed(seed(1));
const runtimeKey = NobleSigner.fromSeed(seed(9));
const T0 = Date.parse("2026-01-31T10:00:00Z");
const H = 3_600_000;

const POLICY = `
policy payments version "1.2.0"

actor {
  agent: string
}

action payment.send {
  to: string
  amount: int
  card: string @sensitive
}

action payment.wire {
  to: string
  amount: int
}

tier payment.send = T1
tier payment.wire = T3

counter daily_spend {
  on payment.send
  per actor.agent
  sum action.amount
  window calendar day
}

group finance {
  alice: "${formatPublicKey(alice.publicKey)}"
}

rule spend_limit on payment.send {
  when counter.daily_spend + action.amount <= 100
  allow "within the daily budget"
}

rule wires_need_approval on payment.wire {
  require approval 1 of finance within 1h
}
`;

/** the body with its keys in canonical (JCS) order: the golden file shows what is signed, not construction order */
function sorted(body: JsonObject): JsonObject {
  return JSON.parse(canonicalize(body)) as JsonObject;
}

interface Pinned {
  readonly name: string;
  readonly kind: string;
  readonly time: string;
  readonly body: JsonObject;
}

async function scenario(): Promise<{ pinned: Pinned[]; linesSha256: string }> {
  const { policy, diagnostics } = compilePolicy({ sources: [{ path: "payments.xpol", text: POLICY }] });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  let now = T0;
  const journal = new MemoryJournal(runtimeKey, { retain: true });
  // a fixed redaction key: the golden bytes hold its commitments
  const store = new MemoryStore<Receipt>({ journal, redactionKey: redactionKeyFromBytes(new Uint8Array(32).fill(7)) });
  const enforcer = await Enforcer.create({ policy: policy!, store, clock: () => now });
  const who = { actor: { agent: "pay-bot" } };
  const send = (amount: number) => ({ action: { type: "payment.send", params: { to: "bob", amount, card: "4111-1111-1111-1111" } } });
  const wire = (to: string) => ({ action: { type: "payment.wire", params: { to, amount: 5000 } } });

  const pinned: Pinned[] = [];
  const pin = (name: string, r: Receipt | undefined): void => {
    expect(r, name).toBeDefined();
    pinned.push({ name, kind: r!.kind, time: r!.time, body: sorted(r!.body) });
  };

  pin("decision: allow, counted, sensitive field redacted", (await enforcer.decide(send(60), who)).receipt);
  now += 1000;
  pin("decision: deny (no rule allows), counter read, nothing added", (await enforcer.decide(send(60), who)).receipt);
  now += 1000;
  const first = await enforcer.decide(wire("acme"), who);
  pin("decision: require approval, a request opened", first.receipt);
  now += 1000;
  pin("approval: refused (malformed)", (await enforcer.submitApproval({ statement: "nope" })).receipt);
  now += 1000;
  const signed = signApproval(alice, first.request!.request, "approve", now);
  pin("approval: accepted", (await enforcer.submitApproval(signed)).receipt);
  now += 1000;
  pin("consumption: the approved request used", (await enforcer.decide(wire("acme"), who)).receipt);
  now += 1000;
  await enforcer.decide(wire("globex"), who);
  now += 2 * H;
  pin("decision: deny, the request expired unused (closed)", (await enforcer.decide(wire("globex"), who)).receipt);
  now += 1000;
  pin("decision: deny, invalid input (input_error)", (await enforcer.decide({ action: { type: "payment.send", params: { to: "bob" } } }, who)).receipt);
  const linesSha256 = createHash("sha256").update(journal.lines.join("\n")).digest("hex");

  // a runtime-forced deny before anything is known (the clock failed): the body has no action
  const broken = await Enforcer.create({ policy: policy!, store: new MemoryStore<Receipt>({ journal: new MemoryJournal(runtimeKey) }), clock: () => Number.NaN });
  const b = (await broken.decide(send(1), who)).receipt;
  expect(b).toBeDefined();
  pinned.push({ name: "decision: deny, runtime internal error (no action)", kind: b!.kind, time: "(the wall clock)", body: sorted(b!.body) });

  // a step journaled without an event of its own (the durable store): kind `state`
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xp-golden-"));
  dirs.push(dir);
  const durable = await DurableStore.open(dir, { signer: runtimeKey, durability: "none", redactionKey: redactionKeyFromBytes(new Uint8Array(32).fill(7)) });
  try {
    const day = { kind: "calendar", unit: "day" } as const;
    const out = await durable.transact({ now }, () => ({ result: null, changes: [{ op: "count", counter: "daily_spend", window: day, key: '["pay-bot"]', at: now, amount: 7 }] }));
    pin("state: changes journaled without an event (durable store)", out.ok ? out.receipt : undefined);
  } finally {
    await durable.close();
  }
  return { pinned, linesSha256 };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("the receipt body's schema", () => {
  it("writes exactly the golden bodies (and bytes) for a known scenario", async () => {
    const { pinned, linesSha256 } = await scenario();
    const actual = { schema: RECEIPT_BODY_VERSION, lines_sha256: linesSha256, receipts: pinned };
    const text = JSON.stringify(actual, null, 2) + "\n";
    if (process.env["UPDATE_GOLDEN"] === "1") fs.writeFileSync(GOLDEN, text);
    expect(text).toBe(fs.readFileSync(GOLDEN, "utf8"));
  });

  it("covers every kind the runtime writes", async () => {
    const { pinned } = await scenario();
    expect(new Set(pinned.map((p) => p.kind))).toEqual(new Set(RUNTIME_RECEIPT_KINDS));
  });

  it("every body's `state` reads back through the replay parser to the same JSON", async () => {
    const { pinned } = await scenario();
    for (const p of pinned) {
      const parsed = stateChangesFromBody(p.body);
      expect(parsed.why, p.name).toBeNull();
      expect(canonicalize(parsed.changes.map(changeToJson) as JsonValue), p.name).toBe(canonicalize(p.body["state"] as JsonValue));
    }
    expect(changeFromJson({ op: "close", request: "apr_x", at: "2026-01-31T10:00:00.000Z", reason: "used" })).toEqual({ ok: false, error: "`reason` must be expired" });
  });
});
