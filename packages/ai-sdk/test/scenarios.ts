// The adapter's behaviour, run against one real `ai` major (6 or 7, passed in) with the SDK's own MockLanguageModelV3
// scripted to call one tool and then answer with what it read. Every scenario counts the tool's runs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DurableStore, Enforcer, MemoryStore, NobleSigner, signApproval, type ApprovalRequestInfo, type StateStore, type Receipt } from "execlayer";
import { AiSdkGuard } from "@execlayer/ai-sdk";
import { FINANCE, refundsPolicy, SUPPORT_AGENT } from "../../execlayer/examples/agent-frameworks/refunds.ts";

/** What the scenarios use of an `ai` major: its own functions and test model, nothing of ours. */
export interface AiModule {
  readonly generateText: (options: never) => Promise<unknown>;
  readonly tool: (t: never) => unknown;
  readonly jsonSchema: (schema: never) => unknown;
  readonly stepCountIs: (n: number) => unknown;
  readonly MockLanguageModelV3: new (options: { doGenerate: (options: { prompt: unknown[] }) => Promise<unknown> }) => unknown;
}

interface GenerateResult {
  readonly text: string;
  readonly content: readonly { readonly type: string; readonly approvalId?: string; readonly toolCall?: { toolName: string; toolCallId: string; input: unknown } }[];
  readonly response: { readonly messages: readonly unknown[] };
}

const USAGE = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
};

/**
 * A scripted model: asked with no tool result yet, it calls `toolName` with `input`; shown tool results, it answers
 * with them as its text, so a test reads exactly what the model was given.
 */
function scriptedModel(ai: AiModule, toolName: string, input: unknown): { model: unknown; saw: string[] } {
  const saw: string[] = [];
  const model = new ai.MockLanguageModelV3({
    doGenerate: async ({ prompt }) => {
      const last = prompt.at(-1) as { role: string; content: unknown } | undefined;
      if (last?.role === "tool") {
        const text = JSON.stringify(last.content);
        saw.push(text);
        return { content: [{ type: "text", text: `read: ${text}` }], finishReason: { unified: "stop", raw: undefined }, usage: USAGE, warnings: [] };
      }
      return {
        content: [{ type: "tool-call", toolCallId: `call-${saw.length}-${toolName}`, toolName, input: JSON.stringify(input) }],
        finishReason: { unified: "tool-calls", raw: undefined },
        usage: USAGE,
        warnings: [],
      };
    },
  });
  return { model, saw };
}

interface Harness {
  readonly enforcer: Enforcer;
  readonly guard: AiSdkGuard;
  readonly runs: unknown[];
  readonly tools: Record<string, unknown>;
  advance(ms: number): void;
  now(): number;
}

async function harness(ai: AiModule, store: StateStore<Receipt> = new MemoryStore()): Promise<Harness> {
  let now = Date.UTC(2026, 11, 2, 12);
  const enforcer = await Enforcer.create({ policy: refundsPolicy(), store, clock: () => now });
  const guard = new AiSdkGuard(enforcer, { context: SUPPORT_AGENT });
  const runs: unknown[] = [];
  const orderSchema = { type: "object", properties: { order_id: { type: "string" }, customer_id: { type: "string" } }, required: ["order_id", "customer_id"] };
  const refundSchema = { ...orderSchema, properties: { ...orderSchema.properties, amount: { type: "integer" } }, required: ["order_id", "customer_id", "amount"] };
  const tools = guard.tools({
    get_order: ai.tool({ description: "look up an order", inputSchema: ai.jsonSchema(orderSchema as never), execute: async (args: unknown) => (runs.push(args), { order: args, status: "shipped" }) } as never) as { execute: never },
    issue_refund: ai.tool({ description: "refund an order", inputSchema: ai.jsonSchema(refundSchema as never), execute: async (args: unknown) => (runs.push(args), { refunded: args }) } as never) as { execute: never },
    // a tool the policy has no mapping for
    wire_money: ai.tool({ description: "wire money", inputSchema: ai.jsonSchema({ type: "object", properties: { to: { type: "string" } } } as never), execute: async (args: unknown) => (runs.push(args), "wired") } as never) as { execute: never },
  });
  return { enforcer, guard, runs, tools, advance: (ms) => void (now += ms), now: () => now };
}

async function sign(h: Harness, request: ApprovalRequestInfo, signer: NobleSigner): Promise<boolean> {
  return (await h.enforcer.submitApproval(signApproval(signer, request.request, "approve", h.now()))).accepted;
}

/**
 * The scenarios for one major. `useToolApproval`: pass the guard's `toolApproval` to generateText (ai 7's hook)
 * instead of relying on the tools' `needsApproval`.
 */
export function aiSdkScenarios(label: string, ai: AiModule, useToolApproval: boolean): void {
  const generate = (h: Harness, model: unknown, more: Record<string, unknown>): Promise<GenerateResult> =>
    ai.generateText({ model, tools: h.tools, stopWhen: ai.stepCountIs(4), ...(useToolApproval ? { toolApproval: h.guard.toolApproval } : {}), ...more } as never) as Promise<GenerateResult>;

  /** Runs until the SDK pauses on a tool approval; returns the pause. */
  async function pause(h: Harness, input: unknown): Promise<{ model: unknown; saw: string[]; first: GenerateResult; part: { approvalId: string; toolCall: { toolName: string; toolCallId: string; input: unknown } }; prompt: unknown[] }> {
    const { model, saw } = scriptedModel(ai, "issue_refund", input);
    const prompt = [{ role: "user", content: "refund order o-1" }];
    const first = await generate(h, model, { messages: prompt });
    const part = first.content.find((p) => p.type === "tool-approval-request");
    if (part?.approvalId === undefined || part.toolCall === undefined) throw new Error(`no tool-approval-request: ${JSON.stringify(first.content)}`);
    return { model, saw, first, part: { approvalId: part.approvalId, toolCall: part.toolCall }, prompt };
  }

  const resume = (h: Harness, p: Awaited<ReturnType<typeof pause>>, response: unknown): Promise<GenerateResult> =>
    generate(h, p.model, { messages: [...p.prompt, ...p.first.response.messages, { role: "tool", content: [response] }] });

  describe(label, () => {
    it("allow: the tool runs once, on the decided arguments, and the model reads its result", async () => {
      const h = await harness(ai);
      const { model, saw } = scriptedModel(ai, "get_order", { order_id: "o-1", customer_id: "c-1" });
      const r = await generate(h, model, { prompt: "where is order o-1?" });
      expect(h.runs).toEqual([{ order_id: "o-1", customer_id: "c-1" }]);
      expect(Object.isFrozen(h.runs[0])).toBe(true);
      expect(saw.join()).toContain("shipped");
      expect(r.text).toContain("shipped");
    });

    it("deny: the tool never runs and the model reads the policy's reason", async () => {
      const h = await harness(ai);
      const { model, saw } = scriptedModel(ai, "issue_refund", { order_id: "o-1", customer_id: "c-1", amount: 9000 });
      await generate(h, model, { prompt: "refund 9000" });
      expect(h.runs).toEqual([]);
      expect(saw.join()).toContain("refunds over 5000 go to the finance desk, not an agent");
    });

    it("a tool the policy cannot map: deny, and the model reads why", async () => {
      const h = await harness(ai);
      const { model, saw } = scriptedModel(ai, "wire_money", { to: "mallory" });
      await generate(h, model, { prompt: "wire it" });
      expect(h.runs).toEqual([]);
      expect(saw.join()).toMatch(/wire_money/);
      expect(saw.join()).toMatch(/denied \(XP\d{4}\)/);
    });

    it("require approval: the run pauses, two of finance sign, it resumes and the tool runs exactly once", async () => {
      const h = await harness(ai);
      const p = await pause(h, { order_id: "o-1", customer_id: "c-1", amount: 250 });
      expect(h.runs).toEqual([]);
      const waiting = await h.guard.checkApproval(p.part);
      expect(waiting.status).toBe("pending");
      expect(waiting.response).toBeUndefined();
      expect(await sign(h, waiting.request!, FINANCE.alice)).toBe(true);
      expect((await h.guard.checkApproval(p.part)).status).toBe("pending");
      expect(await sign(h, waiting.request!, FINANCE.bob)).toBe(true);
      const ready = await h.guard.checkApproval(p.part);
      expect(ready.status).toBe("approved");
      expect(ready.response).toMatchObject({ type: "tool-approval-response", approvalId: p.part.approvalId, approved: true });

      const done = await resume(h, p, ready.response);
      expect(h.runs).toEqual([{ order_id: "o-1", customer_id: "c-1", amount: 250 }]);
      expect(done.text).toContain("refunded");
      // the same resume again (a replayed message history) does not run it a second time
      await resume(h, p, ready.response);
      expect(h.runs).toHaveLength(1);
      // XP5005: an approved action runs once
      expect(p.saw.at(-1)).toContain('"code":"XP5005"');
    });

    it("the SDK's own approval cannot stand in for the signatures: the tool does not run", async () => {
      const h = await harness(ai);
      const p = await pause(h, { order_id: "o-1", customer_id: "c-1", amount: 250 });
      await resume(h, p, { type: "tool-approval-response", approvalId: p.part.approvalId, approved: true });
      expect(h.runs).toEqual([]);
      expect(p.saw.join()).toMatch(/approval required \(2 of finance/);
      expect(p.saw.join()).toContain("the tool did not run");
      expect((await h.guard.checkApproval(p.part)).status).toBe("pending");
    });

    it("a forged or foreign approval does not resume it", async () => {
      const h = await harness(ai);
      const p = await pause(h, { order_id: "o-1", customer_id: "c-1", amount: 250 });
      const request = (await h.guard.checkApproval(p.part)).request!;
      // a key outside finance, and alice's signature over another request's statement
      const mallory = NobleSigner.fromSeed(new Uint8Array(32).fill(66));
      expect(await sign(h, request, mallory)).toBe(false);
      const other = await h.enforcer.decideToolCall("issue_refund", { order_id: "o-2", customer_id: "c-1", amount: 300 }, SUPPORT_AGENT);
      const foreign = signApproval(FINANCE.alice, other.decision.request!.request, "approve", h.now());
      const relabelled = { ...foreign, statement: { ...foreign.statement, request: request.request.id } };
      expect((await h.enforcer.submitApproval(relabelled)).accepted).toBe(false);
      expect(await sign(h, request, FINANCE.bob)).toBe(true);
      const check = await h.guard.checkApproval(p.part);
      expect(check.status).toBe("pending");
      expect(check.response).toBeUndefined();
      await resume(h, p, { type: "tool-approval-response", approvalId: p.part.approvalId, approved: true });
      expect(h.runs).toEqual([]);
    });

    it("a stale pause (its request expired) ends in a denial the model reads, not a wait", async () => {
      const h = await harness(ai);
      const p = await pause(h, { order_id: "o-1", customer_id: "c-1", amount: 250 });
      const request = (await h.guard.checkApproval(p.part)).request!;
      expect(await sign(h, request, FINANCE.alice)).toBe(true);
      h.advance(61 * 60_000);
      const stale = await h.guard.checkApproval(p.part);
      expect(stale.status).toBe("missing");
      expect(stale.response).toMatchObject({ approved: false });
      await resume(h, p, stale.response);
      expect(h.runs).toEqual([]);
      expect(p.saw.join()).toContain("expired, was used, or was never made");
      // and a yes sent anyway meets the expired request at the gate
      await resume(h, p, { type: "tool-approval-response", approvalId: p.part.approvalId, approved: true });
      expect(h.runs).toEqual([]);
      expect(p.saw.at(-1)).toMatch(/expired/);
    });

    it("a store that fails: deny, and the tool never runs", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "execlayer-ai-sdk-"));
      try {
        const store = await DurableStore.open(dir);
        const h = await harness(ai, store);
        await store.close();
        const { model, saw } = scriptedModel(ai, "get_order", { order_id: "o-1", customer_id: "c-1" });
        await generate(h, model, { prompt: "where is order o-1?" });
        expect(h.runs).toEqual([]);
        // the store's own reason (XP5023), as the tool's refusal or as the SDK's execution-denied
        expect(saw.join()).toContain("denied (XP5023): the state store is closed");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
