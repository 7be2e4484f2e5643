// A refund agent on the Vercel AI SDK (`ai` 7), guarded by ExecLayer. The model is the SDK's own MockLanguageModelV3,
// scripted: no network, no API key. Run (Node 22, which `ai` 7 needs):
//
//   npm run example -w @execlayer/ai-sdk
//
// The policy is packages/execlayer/examples/agent-frameworks/refunds.xpol: a refund over 100 needs two of finance.
import { generateText, jsonSchema, stepCountIs, tool, type ModelMessage } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { Enforcer, MemoryStore, signApproval } from "execlayer";
import { AiSdkGuard } from "@execlayer/ai-sdk";
import { FINANCE, refundsPolicy, SUPPORT_AGENT } from "../../execlayer/examples/agent-frameworks/refunds.ts";

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 1, text: 1, reasoning: undefined } };

/** A model that asks for one refund, then reports what the tool answered. */
function scriptedModel(amount: number): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doGenerate: async ({ prompt }) => {
      const last = prompt.at(-1);
      if (last?.role === "tool") return { content: [{ type: "text", text: `tool said: ${JSON.stringify(last.content[0])}` }], finishReason: { unified: "stop", raw: undefined }, usage, warnings: [] };
      const input = JSON.stringify({ order_id: "o-1", customer_id: "c-1", amount });
      return { content: [{ type: "tool-call", toolCallId: `refund-${amount}`, toolName: "issue_refund", input }], finishReason: { unified: "tool-calls", raw: undefined }, usage, warnings: [] };
    },
  });
}

export async function main(log: (line: string) => void = console.log): Promise<number> {
  // MemoryStore for the example; DurableStore.open(dir) keeps requests and receipts across restarts.
  const enforcer = await Enforcer.create({ policy: refundsPolicy(), store: new MemoryStore() });
  const guard = new AiSdkGuard(enforcer, { context: SUPPORT_AGENT });
  let refunds = 0;
  const tools = guard.tools({
    issue_refund: tool({
      description: "refund an order",
      inputSchema: jsonSchema<{ order_id: string; customer_id: string; amount: number }>({
        type: "object",
        properties: { order_id: { type: "string" }, customer_id: { type: "string" }, amount: { type: "integer" } },
        required: ["order_id", "customer_id", "amount"],
      }),
      execute: async ({ order_id, amount }) => (refunds++, `refunded ${amount} on ${order_id}`),
    }),
  });

  // 1. 50 is within policy: it runs at once. 9000 is over the limit: the model reads the policy's reason.
  for (const amount of [50, 9000]) {
    const r = await generateText({ model: scriptedModel(amount), tools, toolApproval: guard.toolApproval, stopWhen: stepCountIs(3), prompt: `refund ${amount}` });
    log(`refund ${amount}: ${r.text}`);
  }

  // 2. 250 needs two of finance: the run pauses with the SDK's tool-approval-request.
  const model = scriptedModel(250);
  const messages: ModelMessage[] = [{ role: "user", content: "refund 250" }];
  const paused = await generateText({ model, tools, toolApproval: guard.toolApproval, stopWhen: stepCountIs(3), messages });
  const ask = paused.content.find((p) => p.type === "tool-approval-request");
  if (ask === undefined) throw new Error("expected the run to pause for approval");
  const waiting = await guard.checkApproval(ask);
  log(`refund 250: paused, ExecLayer request ${waiting.request?.request.id} is ${waiting.status}`);

  // 3. Two humans sign the exact action (in a real deployment: `xpol approve`, or the approval console).
  for (const signer of [FINANCE.alice, FINANCE.bob]) {
    const r = await enforcer.submitApproval(signApproval(signer, waiting.request!.request, "approve", Date.now()));
    log(`  ${signer === FINANCE.alice ? "alice" : "bob"} signs: ${r.accepted ? r.request.status : r.error.message}`);
  }

  // 4. Only now does checkApproval give the SDK its yes; the run resumes and the refund runs, once.
  const ready = await guard.checkApproval(ask);
  if (ready.response === undefined) throw new Error(`still ${ready.status}`);
  const resumed = await generateText({ model, tools, toolApproval: guard.toolApproval, stopWhen: stepCountIs(3), messages: [...messages, ...paused.response.messages, { role: "tool", content: [ready.response] }] });
  log(`refund 250: ${resumed.text}`);
  log(`refunds that ran: ${refunds}`);
  await enforcer.close();
  return refunds;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
