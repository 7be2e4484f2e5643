// A refund agent on the OpenAI Agents SDK, guarded by ExecLayer, with the SDK's own ScriptedModel: no network, no
// API key. The run pauses on a refund that needs two of finance, its state is saved as a string, and a "second
// process" (a fresh Enforcer on the same state directory) restores it, collects the signatures and resumes.
//
//   npm run example -w @execlayer/openai-agents        (Node 22, which @openai/agents needs)
//
// The policy is packages/execlayer/examples/agent-frameworks/refunds.xpol.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { Agent, run, RunState, setTracingDisabled } from "@openai/agents";
import { assistantMessage, functionCall, modelResponder, ScriptedModel } from "@openai/agents-core/testing";
import { DurableStore, Enforcer, signApproval } from "execlayer";
import { OpenAIAgentsGuard } from "@execlayer/openai-agents";
import { FINANCE, refundsPolicy, SUPPORT_AGENT } from "../../execlayer/examples/agent-frameworks/refunds.ts";

setTracingDisabled(true);

/** One process's agent: a guard over an Enforcer on `dir`, the refund tool, a model that asks for `amount`. */
async function agentIn(dir: string, amount: number, refunds: string[]): Promise<{ enforcer: Enforcer; guard: OpenAIAgentsGuard; agent: Agent }> {
  const enforcer = await Enforcer.create({ policy: refundsPolicy(), store: await DurableStore.open(dir) });
  const guard = new OpenAIAgentsGuard(enforcer, { context: SUPPORT_AGENT });
  const issueRefund = guard.tool({
    name: "issue_refund",
    description: "refund an order",
    parameters: z.object({ order_id: z.string(), customer_id: z.string(), amount: z.number().int() }),
    execute: async ({ order_id, amount }) => {
      refunds.push(`${amount} on ${order_id}`);
      return `refunded ${amount} on ${order_id}`;
    },
  });
  const says = modelResponder((call) => [assistantMessage(`tool said: ${JSON.stringify((call.request.input as unknown[]).at(-1))}`)]);
  const model = new ScriptedModel([[functionCall("issue_refund", { order_id: "o-1", customer_id: "c-1", amount }, { callId: `refund-${amount}` })], says]);
  return { enforcer, guard, agent: new Agent({ name: "support", instructions: "help with refunds", model, tools: [issueRefund] }) };
}

export async function main(dir: string, log: (line: string) => void = console.log): Promise<string[]> {
  const refunds: string[] = [];
  // 1. 50 runs at once; 9000 is refused by the policy through the tool input guardrail, and the model reads why.
  for (const amount of [50, 9000]) {
    const a = await agentIn(dir, amount, refunds);
    log(`refund ${amount}: ${String((await run(a.agent, `refund ${amount}`)).finalOutput)}`);
    await a.enforcer.close();
  }

  // 2. 250 needs two of finance: the run is interrupted; the state is saved as a string, the process "exits".
  const first = await agentIn(dir, 250, refunds);
  const paused = await run(first.agent, "refund 250");
  log(`refund 250: interrupted (${paused.interruptions.length} approval), request ${(await first.guard.check(paused.interruptions[0]!)).request?.request.id}`);
  const saved = paused.state.toString();
  await first.enforcer.close();

  // 3. Another process: a fresh Enforcer on the same state directory restores the run state.
  const second = await agentIn(dir, 250, refunds);
  const state = await RunState.fromString(second.agent, saved);
  const [waiting] = await second.guard.resolve(state);
  log(`restored: ${waiting?.status}, ${waiting?.action}`);
  // Two humans sign the exact action (in a real deployment: `xpol approve --state DIR`, or the approval console).
  for (const signer of [FINANCE.alice, FINANCE.bob]) await second.enforcer.submitApproval(signApproval(signer, waiting!.request!.request, "approve", Date.now()));
  const [ready] = await second.guard.resolve(state);
  log(`after alice and bob sign: ${ready?.status}, ${ready?.action}`);
  log(`refund 250: ${String((await run(second.agent, state)).finalOutput)}`);
  await second.enforcer.close();
  log(`refunds that ran: ${refunds.join("; ")}`);
  return refunds;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), "execlayer-openai-agents-"));
  await main(dir);
  console.log(`state and receipts: ${dir}`);
}
