// Each adapter shape with a realistic payload; all of them mean the same action and so give one action digest.
import { describe, expect, test } from "vitest";
import { extractToolCalls, toSovereignIR, type ToolMapper } from "../../src/index.ts";
import { mapper, options, schema } from "./fixtures.ts";

const args = { invoice_id: "inv-1", customer_id: "c-1" };
const argsText = JSON.stringify(args);

const openaiToolCall = { id: "call_Yh3kQ2", type: "function", function: { name: "delete_invoice", arguments: argsText } };
const openaiMessage = { role: "assistant", content: null, refusal: null, tool_calls: [openaiToolCall] };
const openaiCompletion = {
  id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  object: "chat.completion",
  created: 1741569952,
  model: "gpt-4.1-2025-04-14",
  choices: [{ index: 0, message: openaiMessage, logprobs: null, finish_reason: "tool_calls" }],
  usage: { prompt_tokens: 82, completion_tokens: 17, total_tokens: 99 },
};
const responsesItem = { type: "function_call", id: "fc_67ca09c6bedc8190a7abfec07b1a1332", call_id: "call_unLAR8MvFNptuiZK6K6HCy5k", name: "delete_invoice", arguments: argsText, status: "completed" };
const responsesResponse = {
  id: "resp_67ca09c5efe0819096d0511c92b8c890",
  object: "response",
  created_at: 1741294021,
  status: "completed",
  model: "gpt-4.1-2025-04-14",
  output: [{ type: "reasoning", id: "rs_1", summary: [] }, responsesItem],
};
const anthropicBlock = { type: "tool_use", id: "toolu_01A09q90qw90lq917835lq9", name: "delete_invoice", input: args };
const anthropicMessage = {
  id: "msg_01Aq9w938a90dw8q",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5",
  content: [{ type: "text", text: "I'll delete invoice inv-1 now." }, anthropicBlock],
  stop_reason: "tool_use",
  stop_sequence: null,
  usage: { input_tokens: 472, output_tokens: 91 },
};
const mcpRequest = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "delete_invoice", arguments: args, _meta: { progressToken: 7 } } };
const aiSdkV5 = { type: "tool-call", toolCallId: "call_1a2b3c", toolName: "delete_invoice", input: args };
const aiSdkV4 = { type: "tool-call", toolCallId: "call_1a2b3c", toolName: "delete_invoice", args };
const aiSdkMessage = { role: "assistant", content: [{ type: "text", text: "Deleting." }, aiSdkV5] };
const agentsItem = {
  type: "tool_call_item",
  rawItem: { type: "function_call", id: "fc_1", callId: "call_agents_1", name: "delete_invoice", arguments: argsText, status: "completed", providerData: {} },
  agent: { name: "Invoice agent" },
};
const agentsApproval = { type: "tool_approval_item", rawItem: agentsItem.rawItem, agent: { name: "Invoice agent" } };
const agentsRaw = agentsItem.rawItem;
const agentsPython = { type: "tool_call_item", raw_item: { type: "function_call", call_id: "call_py_1", name: "delete_invoice", arguments: argsText } };

const shapes: [string, unknown, string, string | undefined][] = [
  ["OpenAI chat tool call", openaiToolCall, "openai-chat", "call_Yh3kQ2"],
  ["OpenAI chat assistant message", openaiMessage, "openai-chat", "call_Yh3kQ2"],
  ["OpenAI chat completion", openaiCompletion, "openai-chat", "call_Yh3kQ2"],
  ["OpenAI Responses function_call", responsesItem, "openai-responses", "call_unLAR8MvFNptuiZK6K6HCy5k"],
  ["OpenAI Responses response", responsesResponse, "openai-responses", "call_unLAR8MvFNptuiZK6K6HCy5k"],
  ["Anthropic tool_use block", anthropicBlock, "anthropic", "toolu_01A09q90qw90lq917835lq9"],
  ["Anthropic message", anthropicMessage, "anthropic", "toolu_01A09q90qw90lq917835lq9"],
  ["MCP tools/call", mcpRequest, "mcp", "2"],
  ["AI SDK v5 tool-call", aiSdkV5, "ai-sdk", "call_1a2b3c"],
  ["AI SDK v4 tool-call", aiSdkV4, "ai-sdk", "call_1a2b3c"],
  ["AI SDK assistant message", aiSdkMessage, "ai-sdk", "call_1a2b3c"],
  ["OpenAI Agents SDK tool_call_item", agentsItem, "openai-agents", "call_agents_1"],
  ["OpenAI Agents SDK tool_approval_item", agentsApproval, "openai-agents", "call_agents_1"],
  ["OpenAI Agents SDK raw function_call", agentsRaw, "openai-agents", "call_agents_1"],
  ["OpenAI Agents SDK (Python) tool_call_item", agentsPython, "openai-agents", "call_py_1"],
];

describe("extractToolCalls", () => {
  for (const [name, payload, format, callId] of shapes) {
    test(name, () => {
      for (const p of [payload, JSON.stringify(payload)]) {
        const r = extractToolCalls(p);
        expect(r.ok ? r.value.map((c) => ({ tool: c.tool, args: c.args, format: c.format, callId: c.callId })) : r.error).toEqual([
          { tool: "delete_invoice", args, format, callId },
        ]);
      }
    });
  }

  test("several calls in one message are all returned, in order", () => {
    const msg = { ...openaiMessage, tool_calls: [openaiToolCall, { ...openaiToolCall, id: "call_2", function: { name: "get_invoice", arguments: "{}" } }] };
    const r = extractToolCalls(msg);
    expect(r.ok ? r.value.map((c) => [c.tool, c.path]) : r.error).toEqual([
      ["delete_invoice", "$.tool_calls[0]"],
      ["get_invoice", "$.tool_calls[1]"],
    ]);
  });

  test("MCP without arguments, and empty argument strings, mean no arguments", () => {
    const r = extractToolCalls({ jsonrpc: "2.0", id: "req-1", method: "tools/call", params: { name: "ping" } });
    expect(r.ok ? r.value[0]!.args : r.error).toEqual({});
    const e = extractToolCalls({ ...openaiToolCall, function: { name: "ping", arguments: "" } });
    expect(e.ok ? e.value[0]!.args : e.error).toEqual({});
  });

  test("malformed arguments: typed errors with the path inside the arguments", () => {
    const at = (payload: unknown) => {
      const r = extractToolCalls(payload);
      return r.ok ? "ok" : `${r.error.code} ${r.error.path}`;
    };
    const withArgs = (a: string) => ({ ...openaiCompletion, choices: [{ ...openaiCompletion.choices[0], message: { ...openaiMessage, tool_calls: [{ ...openaiToolCall, function: { name: "x", arguments: a } }] } }] });
    expect(at(withArgs('{"invoice_id": "a", "invoice_id": "b"}'))).toBe("XP4002 $.choices[0].message.tool_calls[0].function.arguments.invoice_id");
    expect(at(withArgs('{"invoice_id": }'))).toBe("XP4001 $.choices[0].message.tool_calls[0].function.arguments.invoice_id");
    expect(at(withArgs("[1, 2]"))).toBe("XP4011 $.choices[0].message.tool_calls[0].function.arguments");
    expect(at({ ...anthropicBlock, input: "not an object" })).toBe("XP4001 $.input");
    expect(at({ ...anthropicBlock, input: 7 })).toBe("XP4011 $.input");
    expect(at({ ...anthropicBlock, name: "" })).toBe("XP4011 $.name");
    expect(at({ ...mcpRequest, method: "tools/list" })).toBe("XP4011 $.method");
    expect(at({ ...mcpRequest, jsonrpc: "1.0" })).toBe("XP4011 $.jsonrpc");
    expect(at({ ...mcpRequest, id: null })).toBe("XP4011 $.id");
    expect(at({ type: "tool_call_item", rawItem: { type: "hosted_tool_call", name: "web_search" } })).toBe("XP4011 $.rawItem");
    expect(at({ ...openaiCompletion, choices: [openaiCompletion.choices[0], openaiCompletion.choices[0]] })).toBe("XP4011 $.choices");
  });

  test("shapes that hold no tool call, or are unknown", () => {
    const code = (payload: unknown) => {
      const r = extractToolCalls(payload);
      return r.ok ? "ok" : r.error.code;
    };
    expect(code({ role: "assistant", content: "Sure, done." })).toBe("XP4017");
    expect(code({ ...anthropicMessage, content: [{ type: "text", text: "no" }] })).toBe("XP4017");
    expect(code([])).toBe("XP4017");
    expect(code({ name: "delete_invoice", arguments: argsText })).toBe("XP4010");
    expect(code("not json")).toBe("XP4001");
    expect(code(42)).toBe("XP4010");
  });
});

describe("tool call -> action", () => {
  const digests = new Set<string>();
  for (const [name, payload] of shapes) {
    test(`${name} becomes the invoice.delete action`, () => {
      const r = toSovereignIR(payload, schema, options);
      expect(r.ok ? r.ir.action : r.error).toEqual({ type: "invoice.delete", target: "invoice/inv-1", params: args });
      if (r.ok) digests.add(r.actionDigest);
    });
  }
  test("every shape gives the same action digest", () => {
    expect(digests.size).toBe(1);
  });

  test("tool names resolve exactly: every variant and undeclared MCP prefix is refused (XP4012), naming the nearest tool", () => {
    for (const tool of ["delete_invoice ", "_delete_invoice_", "delete__invoice", "Delete_Invoice", "DeleteInvoice", "delete-invoice", "deleteInvoice"]) {
      const r = toSovereignIR({ ...anthropicBlock, name: tool }, schema, options);
      expect([tool, r.ok ? r.ir.action.type : r.error.code, r.ok ? null : r.error.help]).toEqual([tool, "XP4012", "did you mean `delete_invoice`? tool names resolve exactly"]);
    }
    const prefixed = toSovereignIR({ ...anthropicBlock, name: "mcp__x__delete_invoice" }, schema, options);
    expect(prefixed.ok ? null : prefixed.error).toMatchObject({
      code: "XP4012",
      help: "`x` is not an MCP server the policy declares for `delete_invoice`; declare it with `mcp server x { delete_invoice }`",
    });
    const fs = toSovereignIR({ ...anthropicBlock, name: "mcp__fs__read_file", input: { path: "/etc/passwd" } }, schema, options);
    expect(fs.ok ? "ok" : fs.error.code).toBe("XP4012");
  });

  test("declared aliases and MCP-prefixed names resolve to their tool", () => {
    const aliased: ToolMapper = { ...mapper, aliases: new Map([["remove_invoice", "delete_invoice"], ["mcp__billing__delete_invoice", "delete_invoice"]]) };
    for (const tool of ["delete_invoice", "remove_invoice", "mcp__billing__delete_invoice"]) {
      const r = toSovereignIR({ ...anthropicBlock, name: tool }, schema, { ...options, mapper: aliased });
      expect([tool, r.ok ? r.ir.action.type : r.error.code]).toEqual([tool, "invoice.delete"]);
    }
    const other = toSovereignIR({ ...anthropicBlock, name: "mcp__other__delete_invoice" }, schema, { ...options, mapper: aliased });
    expect(other.ok ? "ok" : other.error.code).toBe("XP4012");
  });

  test("fails closed: unmapped tool, no mapper, mapping error, throwing mapper, several calls", () => {
    const unmapped = toSovereignIR({ ...anthropicBlock, name: "drop_database" }, schema, options);
    expect(unmapped.ok ? null : unmapped.error).toMatchObject({
      code: "XP4012",
      message: "no tool mapping for `drop_database`; mapped tools: `delete_customer_invoices`, `delete_invoice`, `fs.read_file`, `get_invoice`, `set_invoice_status`, `transfer`",
    });
    const noMapper = toSovereignIR(anthropicBlock, schema, { actor: options.actor, requestedAt: options.requestedAt });
    expect(noMapper.ok ? null : noMapper.error.code).toBe("XP4016");
    const failing: ToolMapper = { tools: ["delete_invoice"], map: () => ({ ok: false, error: { message: "no such key `invoice_id`" } }) };
    const failed = toSovereignIR(anthropicBlock, schema, { ...options, mapper: failing });
    expect(failed.ok ? null : failed.error).toMatchObject({ code: "XP4014", message: "tool mapping for `delete_invoice` failed: no such key `invoice_id`" });
    const throwing: ToolMapper = { tools: ["delete_invoice"], map: () => { throw new Error("boom"); } };
    const thrown = toSovereignIR(anthropicBlock, schema, { ...options, mapper: throwing });
    expect(thrown.ok ? null : thrown.error.code).toBe("XP4014");
    const two = toSovereignIR({ ...anthropicMessage, content: [anthropicBlock, anthropicBlock] }, schema, options);
    expect(two.ok ? null : two.error.code).toBe("XP4015");
  });

  test("the mapping's output is normalized like a proposal", () => {
    const r = toSovereignIR({ type: "tool_use", id: "t", name: "transfer", input: { amount: "1e3", hold: "PT1M" } }, schema, options);
    expect(r.ok ? r.ir.action : r.error).toEqual({ type: "payment.transfer", target: null, params: { amount: 1000, hold: "60s" } });
    const bad = toSovereignIR({ type: "tool_use", id: "t", name: "set_invoice_status", input: { ...args, status: "gone" } }, schema, options);
    expect(bad.ok ? null : bad.error).toMatchObject({ code: "XP4030", path: "$.action.params.status" });
  });

  test("the tool call is returned for the caller to answer the model", () => {
    const r = toSovereignIR(openaiMessage, schema, options);
    expect(r.ok && r.toolCall).toMatchObject({ tool: "delete_invoice", callId: "call_Yh3kQ2", format: "openai-chat" });
  });
});
