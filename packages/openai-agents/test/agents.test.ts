// @execlayer/openai-agents against the real @openai/agents (Node 22), with the SDK's own ScriptedModel: the model
// calls one tool, then answers with the last thing it was given, so a test reads exactly what the model saw. Every
// scenario counts the tool's runs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Agent, run, RunState, setTracingDisabled } from "@openai/agents";
import { assistantMessage, functionCall, modelResponder, ScriptedModel } from "@openai/agents-core/testing";
import { DurableStore, Enforcer, MemoryStore, NobleSigner, signApproval, type ApprovalRequestInfo, type Receipt, type StateStore } from "execlayer";
import { OpenAIAgentsGuard } from "@execlayer/openai-agents";
import { FINANCE, refundsPolicy, SUPPORT_AGENT } from "../../execlayer/examples/agent-frameworks/refunds.ts";

beforeAll(() => setTracingDisabled(true));

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "execlayer-openai-agents-"));
  dirs.push(d);
  return d;
}

interface Harness {
  readonly enforcer: Enforcer;
  readonly guard: OpenAIAgentsGuard;
  readonly runs: unknown[];
  readonly saw: string[];
  agent(toolName: string, input: Record<string, unknown>, callId?: string): Agent;
  advance(ms: number): void;
  now(): number;
}

const START = Date.UTC(2026, 11, 2, 12);

async function harness(store: StateStore<Receipt> = new MemoryStore(), start = START): Promise<Harness> {
  let now = start;
  const enforcer = await Enforcer.create({ policy: refundsPolicy(), store, clock: () => now });
  const guard = new OpenAIAgentsGuard(enforcer, { context: SUPPORT_AGENT });
  const runs: unknown[] = [];
  const saw: string[] = [];
  const order = { order_id: z.string(), customer_id: z.string() };
  const tools = [
    guard.tool({ name: "get_order", description: "look up an order", parameters: z.object(order), execute: async (args) => (runs.push(args), `order ${args.order_id} shipped`) }),
    guard.tool({ name: "issue_refund", description: "refund an order", parameters: z.object({ ...order, amount: z.number().int() }), execute: async (args) => (runs.push(args), `refunded ${args.amount} on ${args.order_id}`) }),
    // a tool the policy has no mapping for
    guard.tool({ name: "wire_money", description: "wire money", parameters: z.object({ to: z.string() }), execute: async (args) => (runs.push(args), "wired") }),
  ];
  /** The model: calls the tool, then (each time it is asked again) says what it was last given. */
  const agent = (toolName: string, input: Record<string, unknown>, callId = "call-1"): Agent => {
    const answer = modelResponder((call) => {
      const given = JSON.stringify((call.request.input as unknown[]).at(-1));
      saw.push(given);
      return [assistantMessage(`read: ${given}`)];
    });
    const model = new ScriptedModel([[functionCall(toolName, input, { callId })], answer, answer, answer]);
    return new Agent({ name: "support", instructions: "help with refunds", model, tools });
  };
  return { enforcer, guard, runs, saw, agent, advance: (ms) => void (now += ms), now: () => now };
}

async function sign(h: Harness, request: ApprovalRequestInfo, signer: NobleSigner): Promise<boolean> {
  return (await h.enforcer.submitApproval(signApproval(signer, request.request, "approve", h.now()))).accepted;
}

const REFUND = { order_id: "o-1", customer_id: "c-1", amount: 250 };

describe("@openai/agents with ExecLayer", () => {
  it("allow: the tool runs once, on the decided arguments, and the model reads its result", async () => {
    const h = await harness();
    const r = await run(h.agent("get_order", { order_id: "o-1", customer_id: "c-1" }), "where is o-1?");
    expect(h.runs).toEqual([{ order_id: "o-1", customer_id: "c-1" }]);
    expect(Object.isFrozen(h.runs[0])).toBe(true);
    expect(String(r.finalOutput)).toContain("order o-1 shipped");
  });

  it("deny: the input guardrail rejects with the policy's reason, the model reads it, the tool never runs", async () => {
    const h = await harness();
    const r = await run(h.agent("issue_refund", { ...REFUND, amount: 9000 }), "refund 9000");
    expect(h.runs).toEqual([]);
    expect(r.interruptions).toEqual([]);
    expect(h.saw.join()).toContain("refunds over 5000 go to the finance desk, not an agent");
    expect(r.state.toJSON().toolInputGuardrailResults.map((g) => g.output.behavior.type)).toContain("rejectContent");
  });

  it("a tool the policy cannot map: deny, and the model reads why", async () => {
    const h = await harness();
    await run(h.agent("wire_money", { to: "mallory" }), "wire it");
    expect(h.runs).toEqual([]);
    expect(h.saw.join()).toContain("no tool mapping for `wire_money`");
  });

  it("require approval: an interruption; two of finance sign; resolve approves it; the tool runs exactly once", async () => {
    const h = await harness();
    const agent = h.agent("issue_refund", REFUND);
    const first = await run(agent, "refund 250");
    expect(first.interruptions).toHaveLength(1);
    expect(h.runs).toEqual([]);
    const [waiting] = await h.guard.resolve(first.state);
    expect(waiting).toMatchObject({ status: "pending", action: "waiting" });
    expect(await sign(h, waiting!.request!, FINANCE.alice)).toBe(true);
    expect((await h.guard.resolve(first.state))[0]).toMatchObject({ status: "pending", action: "waiting" });
    expect(await sign(h, waiting!.request!, FINANCE.bob)).toBe(true);
    expect((await h.guard.resolve(first.state))[0]).toMatchObject({ status: "approved", action: "approved" });
    const done = await run(agent, first.state);
    expect(h.runs).toEqual([REFUND]);
    expect(String(done.finalOutput)).toContain("refunded 250 on o-1");
  });

  it("the SDK's own state.approve without the signatures: the tool does not run, the model reads why", async () => {
    const h = await harness();
    const agent = h.agent("issue_refund", REFUND);
    const first = await run(agent, "refund 250");
    first.state.approve(first.interruptions[0]!);
    await run(agent, first.state);
    expect(h.runs).toEqual([]);
    expect(h.saw.join()).toMatch(/approval required \(2 of finance/);
    expect(h.saw.join()).toContain("the tool did not run");
  });

  it("a forged or foreign approval does not resume it", async () => {
    const h = await harness();
    const first = await run(h.agent("issue_refund", REFUND), "refund 250");
    const [c] = await h.guard.resolve(first.state);
    const request = c!.request!;
    const mallory = NobleSigner.fromSeed(new Uint8Array(32).fill(66));
    expect(await sign(h, request, mallory)).toBe(false);
    const other = await h.enforcer.decideToolCall("issue_refund", { ...REFUND, order_id: "o-2" }, SUPPORT_AGENT);
    const foreign = signApproval(FINANCE.alice, other.decision.request!.request, "approve", h.now());
    expect((await h.enforcer.submitApproval({ ...foreign, statement: { ...foreign.statement, request: request.request.id } })).accepted).toBe(false);
    expect(await sign(h, request, FINANCE.bob)).toBe(true);
    expect((await h.guard.resolve(first.state))[0]).toMatchObject({ status: "pending", action: "waiting" });
    expect(first.state.getInterruptions()).toHaveLength(1);
    expect(h.runs).toEqual([]);
  });

  it("a stale interruption (its request expired) is rejected with the reason: a denial, not a hang", async () => {
    const h = await harness();
    const agent = h.agent("issue_refund", REFUND);
    const first = await run(agent, "refund 250");
    h.advance(61 * 60_000);
    expect((await h.guard.resolve(first.state))[0]).toMatchObject({ status: "missing", action: "rejected" });
    const r = await run(agent, first.state);
    expect(h.runs).toEqual([]);
    expect(r.interruptions).toEqual([]);
    expect(h.saw.join()).toContain("it expired, was used, or was never made");
  });

  it("a stale interruption approved in the state anyway meets the expired request at the gate", async () => {
    const h = await harness();
    const agent = h.agent("issue_refund", REFUND);
    const first = await run(agent, "refund 250");
    h.advance(61 * 60_000);
    first.state.approve(first.interruptions[0]!);
    await run(agent, first.state);
    expect(h.runs).toEqual([]);
    // the core's approval-expired deny, read by the model
    expect(h.saw.join()).toMatch(/expired at .* before it was approved/);
  });

  it("a store that fails: deny, and the tool never runs", async () => {
    const store = await DurableStore.open(tempDir());
    const h = await harness(store);
    await store.close();
    await run(h.agent("get_order", { order_id: "o-1", customer_id: "c-1" }), "where is o-1?");
    expect(h.runs).toEqual([]);
    expect(h.saw.join()).toContain("the state store is closed");
  });

  it("a run state serialized, restored in a fresh Enforcer on the same state directory, resumes and runs once", async () => {
    const dir = tempDir();
    const before = await harness(await DurableStore.open(dir));
    const first = await run(before.agent("issue_refund", REFUND), "refund 250");
    expect(first.interruptions).toHaveLength(1);
    const saved = first.state.toString();
    await before.enforcer.close();

    // another process, in effect: a new Enforcer, guard, tools and agent; only the state directory and the string
    const after = await harness(await DurableStore.open(dir), START + 60_000);
    const agent = after.agent("issue_refund", REFUND);
    const state = await RunState.fromString(agent, saved);
    const [c] = await after.guard.resolve(state);
    expect(c).toMatchObject({ status: "pending", action: "waiting" });
    for (const signer of [FINANCE.alice, FINANCE.bob]) expect(await sign(after, c!.request!, signer)).toBe(true);
    expect((await after.guard.resolve(state))[0]).toMatchObject({ status: "approved", action: "approved" });
    const done = await run(agent, state);
    expect(after.runs).toEqual([REFUND]);
    expect(String(done.finalOutput)).toContain("refunded 250 on o-1");
    // the same saved state restored again and approved by the SDK alone: the used request refuses a second run
    const again = await RunState.fromString(agent, saved);
    again.approve(again.getInterruptions()[0]!);
    await run(agent, again);
    expect(after.runs).toHaveLength(1);
    expect(after.saw.at(-1)).toContain("XP5005");
    expect(before.runs).toEqual([]);
    await after.enforcer.close();
  });
});
