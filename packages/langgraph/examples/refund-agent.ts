// A refund agent on LangChain's createAgent (LangGraph inside), guarded by ExecLayer's middleware, with a scripted
// chat model (no network, no API key) and LangGraph's MemorySaver checkpointer. A refund that needs two of finance
// pauses the graph with interrupt(); once alice and bob have signed, Command({ resume }) runs it, once.
//
//   npm run example -w @execlayer/langgraph
//
// The policy is packages/execlayer/examples/agent-frameworks/refunds.xpol.
import { z } from "zod";
import { createAgent, tool } from "langchain";
import { MemorySaver } from "@langchain/langgraph";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { ChatResult } from "@langchain/core/outputs";
import { Enforcer, MemoryStore, signApproval } from "execlayer";
import { LangGraphGuard, type ApprovalInterrupt } from "@execlayer/langgraph";
import { FINANCE, refundsPolicy, SUPPORT_AGENT } from "../../execlayer/examples/agent-frameworks/refunds.ts";

/** Asks for one refund of `amount`, then reports what the tool answered. */
class ScriptedChatModel extends BaseChatModel {
  constructor(readonly amount: number) {
    super({});
  }
  _llmType(): string {
    return "scripted";
  }
  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const last = messages.at(-1);
    const message =
      last?.getType() === "tool"
        ? new AIMessage(`tool said: ${String(last.content)}`)
        : new AIMessage({ content: "", tool_calls: [{ type: "tool_call", id: `refund-${this.amount}`, name: "issue_refund", args: { order_id: "o-1", customer_id: "c-1", amount: this.amount } }] });
    return { generations: [{ message, text: typeof message.content === "string" ? message.content : "" }] };
  }
  override bindTools(): this {
    return this;
  }
}

type Result = { messages: BaseMessage[]; __interrupt__?: { value: unknown }[] };

export async function main(log: (line: string) => void = console.log): Promise<number> {
  const enforcer = await Enforcer.create({ policy: refundsPolicy(), store: new MemoryStore() });
  const guard = new LangGraphGuard(enforcer, { context: SUPPORT_AGENT });
  let refunds = 0;
  const issueRefund = tool(async ({ order_id, amount }) => (refunds++, `refunded ${amount} on ${order_id}`), {
    name: "issue_refund",
    description: "refund an order",
    schema: z.object({ order_id: z.string(), customer_id: z.string(), amount: z.number().int() }),
  });
  const agentFor = (amount: number) => createAgent({ model: new ScriptedChatModel(amount), tools: [issueRefund], middleware: [guard.middleware()], checkpointer: new MemorySaver() });
  const lastText = (r: Result) => String(r.messages.at(-1)?.content);

  // 1. 50 runs at once; 9000 is denied, and the model reads the policy's reason.
  for (const amount of [50, 9000]) {
    const r = (await agentFor(amount).invoke({ messages: [{ role: "user", content: `refund ${amount}` }] }, { configurable: { thread_id: `t-${amount}` } })) as Result;
    log(`refund ${amount}: ${lastText(r)}`);
  }

  // 2. 250 needs two of finance: the graph pauses at interrupt() with the ExecLayer request.
  const agent = agentFor(250);
  const config = { configurable: { thread_id: "t-250" } };
  const paused = (await agent.invoke({ messages: [{ role: "user", content: "refund 250" }] }, config)) as Result;
  const pause = paused.__interrupt__?.[0]?.value as ApprovalInterrupt;
  log(`refund 250: paused, ExecLayer request ${String(pause.request["id"])} is ${(await guard.check(pause)).status}`);

  // 3. Two humans sign the exact action (in a real deployment: `xpol approve`, or the approval console).
  const { request } = await guard.check(pause);
  for (const signer of [FINANCE.alice, FINANCE.bob]) await enforcer.submitApproval(signApproval(signer, request!.request, "approve", Date.now()));

  // 4. Settled: resumeCommand gives the Command; the middleware decides again and the refund runs, once.
  const resume = await guard.resumeCommand(pause);
  if (resume === undefined) throw new Error("still waiting for signatures");
  log(`refund 250: ${lastText((await agent.invoke(resume, config)) as Result)}`);
  log(`refunds that ran: ${refunds}`);
  await enforcer.close();
  return refunds;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
