// @execlayer/langgraph against the real langchain createAgent (LangGraph inside) with MemorySaver, and a scripted
// chat model implementing LangChain's BaseChatModel: it calls one tool, then answers with the last message it was
// given, so a test reads exactly what the model saw. Every scenario counts the tool's runs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createAgent, tool } from "langchain";
import { Command, MemorySaver } from "@langchain/langgraph";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { ChatResult } from "@langchain/core/outputs";
import { DurableStore, Enforcer, MemoryStore, NobleSigner, signApproval, type ApprovalRequestInfo, type Receipt, type StateStore } from "execlayer";
import { LangGraphGuard, type ApprovalInterrupt } from "@execlayer/langgraph";
import { FINANCE, refundsPolicy, SUPPORT_AGENT } from "../../execlayer/examples/agent-frameworks/refunds.ts";

/** A chat model that follows a script: one tool call first, then it repeats what it was last given. */
class ScriptedChatModel extends BaseChatModel {
  readonly saw: string[] = [];
  constructor(readonly call: { name: string; args: Record<string, unknown>; id: string }) {
    super({});
  }
  _llmType(): string {
    return "scripted";
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const last = messages.at(-1);
    let message: AIMessage;
    if (last?.getType() === "tool") {
      const text = JSON.stringify(last.content);
      this.saw.push(text);
      message = new AIMessage(`read: ${text}`);
    } else {
      message = new AIMessage({ content: "", tool_calls: [{ ...this.call, type: "tool_call" }] });
    }
    return { generations: [{ message, text: typeof message.content === "string" ? message.content : "" }] };
  }
  override bindTools(): this {
    return this;
  }
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Harness {
  readonly enforcer: Enforcer;
  readonly guard: LangGraphGuard;
  readonly runs: unknown[];
  agent(name: string, args: Record<string, unknown>): { agent: ReturnType<typeof createAgent>; model: ScriptedChatModel };
  advance(ms: number): void;
  now(): number;
}

async function harness(store: StateStore<Receipt> = new MemoryStore()): Promise<Harness> {
  let now = Date.UTC(2026, 11, 2, 12);
  const enforcer = await Enforcer.create({ policy: refundsPolicy(), store, clock: () => now });
  const guard = new LangGraphGuard(enforcer, { context: SUPPORT_AGENT });
  const runs: unknown[] = [];
  const order = { order_id: z.string(), customer_id: z.string() };
  const tools = [
    tool(async (args) => (runs.push(args), `order ${args.order_id} shipped`), { name: "get_order", description: "look up an order", schema: z.object(order) }),
    tool(async (args) => (runs.push(args), `refunded ${args.amount} on ${args.order_id}`), { name: "issue_refund", description: "refund an order", schema: z.object({ ...order, amount: z.number().int() }) }),
    tool(async (args) => (runs.push(args), "wired"), { name: "wire_money", description: "wire money", schema: z.object({ to: z.string() }) }),
  ];
  const agent = (name: string, args: Record<string, unknown>) => {
    const model = new ScriptedChatModel({ name, args, id: "call-1" });
    return { agent: createAgent({ model, tools, middleware: [guard.middleware()], checkpointer: new MemorySaver() }), model };
  };
  return { enforcer, guard, runs, agent, advance: (ms) => void (now += ms), now: () => now };
}

async function sign(h: Harness, request: ApprovalRequestInfo, signer: NobleSigner): Promise<boolean> {
  return (await h.enforcer.submitApproval(signApproval(signer, request.request, "approve", h.now()))).accepted;
}

const thread = (id: string) => ({ configurable: { thread_id: id } });
const REFUND = { order_id: "o-1", customer_id: "c-1", amount: 250 };
type Invoked = { __interrupt__?: { value: unknown }[]; messages: BaseMessage[] };

async function pause(h: Harness, args: Record<string, unknown>) {
  const { agent, model } = h.agent("issue_refund", args);
  const first = (await agent.invoke({ messages: [{ role: "user", content: "refund o-1" }] }, thread("t"))) as Invoked;
  const value = first.__interrupt__?.[0]?.value as ApprovalInterrupt | undefined;
  if (value === undefined) throw new Error("expected the graph to pause");
  return { agent, model, value };
}

describe("LangGraph (langchain createAgent) with ExecLayer", () => {
  it("allow: the tool runs once, on the decided arguments, and the model reads its result", async () => {
    const h = await harness();
    const { agent, model } = h.agent("get_order", { order_id: "o-1", customer_id: "c-1" });
    const r = (await agent.invoke({ messages: [{ role: "user", content: "where is o-1?" }] }, thread("a"))) as Invoked;
    expect(h.runs).toEqual([{ order_id: "o-1", customer_id: "c-1" }]);
    expect(model.saw.join()).toContain("order o-1 shipped");
    expect(r.__interrupt__).toBeUndefined();
  });

  it("deny: the tool never runs and the model reads the policy's reason", async () => {
    const h = await harness();
    const { agent, model } = h.agent("issue_refund", { ...REFUND, amount: 9000 });
    await agent.invoke({ messages: [{ role: "user", content: "refund 9000" }] }, thread("d"));
    expect(h.runs).toEqual([]);
    expect(model.saw.join()).toContain("refunds over 5000 go to the finance desk, not an agent");
  });

  it("a tool the policy cannot map: deny, and the model reads why", async () => {
    const h = await harness();
    const { agent, model } = h.agent("wire_money", { to: "mallory" });
    await agent.invoke({ messages: [{ role: "user", content: "wire it" }] }, thread("u"));
    expect(h.runs).toEqual([]);
    expect(model.saw.join()).toContain("no tool mapping for `wire_money`");
  });

  it("require approval: interrupt(), two of finance sign, Command({ resume }) runs the tool exactly once", async () => {
    const h = await harness();
    const { agent, model, value } = await pause(h, REFUND);
    expect(value).toMatchObject({ type: "execlayer.approval", toolName: "issue_refund", args: REFUND });
    expect(h.runs).toEqual([]);
    expect(await h.guard.resumeCommand(value)).toBeUndefined();
    const { request } = await h.guard.check(value);
    expect(request?.request.id).toBe((value.request as { id: string }).id);
    expect(await sign(h, request!, FINANCE.alice)).toBe(true);
    expect((await h.guard.check(value)).status).toBe("pending");
    expect(await sign(h, request!, FINANCE.bob)).toBe(true);
    const resume = await h.guard.resumeCommand(value);
    expect(resume).toBeInstanceOf(Command);
    const done = (await agent.invoke(resume!, thread("t"))) as Invoked;
    expect(h.runs).toEqual([REFUND]);
    expect(model.saw.join()).toContain("refunded 250 on o-1");
    expect(done.__interrupt__).toBeUndefined();
  });

  it("a resume without the signatures (the framework's own yes): the tool does not run, the model reads why", async () => {
    const h = await harness();
    const { agent, model } = await pause(h, REFUND);
    await agent.invoke(new Command({ resume: { approved: true } }), thread("t"));
    expect(h.runs).toEqual([]);
    expect(model.saw.join()).toMatch(/approval required \(2 of finance/);
  });

  it("a forged or foreign approval does not resume it", async () => {
    const h = await harness();
    const { value } = await pause(h, REFUND);
    const request = (await h.guard.check(value)).request!;
    expect(await sign(h, request, NobleSigner.fromSeed(new Uint8Array(32).fill(66)))).toBe(false);
    const other = await h.enforcer.decideToolCall("issue_refund", { ...REFUND, order_id: "o-2" }, SUPPORT_AGENT);
    const foreign = signApproval(FINANCE.alice, other.decision.request!.request, "approve", h.now());
    expect((await h.enforcer.submitApproval({ ...foreign, statement: { ...foreign.statement, request: request.request.id } })).accepted).toBe(false);
    expect(await sign(h, request, FINANCE.bob)).toBe(true);
    expect((await h.guard.check(value)).status).toBe("pending");
    expect(await h.guard.resumeCommand(value)).toBeUndefined();
    expect(h.runs).toEqual([]);
  });

  it("a stale pause (its request expired): the resume is a denial the model reads, not a hang", async () => {
    const h = await harness();
    const { agent, model, value } = await pause(h, REFUND);
    h.advance(61 * 60_000);
    expect((await h.guard.check(value)).status).toBe("missing");
    const resume = await h.guard.resumeCommand(value);
    const r = (await agent.invoke(resume!, thread("t"))) as Invoked;
    expect(h.runs).toEqual([]);
    expect(r.__interrupt__).toBeUndefined();
    expect(model.saw.join()).toMatch(/expired at .* before it was approved/);
  });

  it("a store that fails: deny, and the tool never runs", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "execlayer-langgraph-"));
    dirs.push(dir);
    const store = await DurableStore.open(dir);
    const h = await harness(store);
    await store.close();
    const { agent, model } = h.agent("get_order", { order_id: "o-1", customer_id: "c-1" });
    await agent.invoke({ messages: [{ role: "user", content: "where is o-1?" }] }, thread("s"));
    expect(h.runs).toEqual([]);
    expect(model.saw.join()).toContain("the state store is closed");
  });
});
