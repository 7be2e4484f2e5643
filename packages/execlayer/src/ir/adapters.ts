// Tool-call adapters: the shapes in which model APIs and agent frameworks hand over a tool call, reduced to
// `{ tool, args, callId?, format }`. Arguments that arrive as a JSON string go through the strict parser (duplicate
// keys, size and depth limits), so `{"id":"a","id":"b"}` cannot mean one thing to the policy and another to the tool.
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { at, describeValue, fail, irError, listNames, pathJoin, render, show, type IrError, type IrResult, type Path } from "./errors.ts";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, parseJsonText } from "./json.ts";
import { ToolNameIndex } from "./names.ts";
import { Cleaner, isObject, type CleanValue } from "./normalize.ts";
import type { JsonObject } from "./types.ts";

export type ToolCallFormat =
  /** OpenAI Chat Completions: a `tool_calls[i]` entry, or the assistant message holding them */
  | "openai-chat"
  /** OpenAI Responses API: a `function_call` output item, or the response holding it */
  | "openai-responses"
  /** Anthropic Messages: a `tool_use` content block, or the assistant message holding it */
  | "anthropic"
  /** MCP: a `tools/call` JSON-RPC request */
  | "mcp"
  /** Vercel AI SDK: a `tool-call` part (`input` since v5, `args` before), or the assistant message holding it */
  | "ai-sdk"
  /** OpenAI Agents SDK: a `tool_call_item` / `tool_approval_item` run item or its `function_call` raw item */
  | "openai-agents";

export interface ToolCall {
  /** the tool name as the model wrote it */
  readonly tool: string;
  /** the arguments, parsed strictly, strings in NFC; integers beyond 2^53 are kept exact as bigint until normalized */
  readonly args: JsonObject;
  /** the provider's id for this call, when it has one (`call_…`, `toolu_…`, the JSON-RPC id as a string) */
  readonly callId?: string;
  readonly format: ToolCallFormat;
  /** JSON path of the call inside the payload, for messages */
  readonly path: string;
}

/** What a tool mapping produces: the action, before normalization. */
export interface MappedAction {
  readonly type: string;
  readonly target: string | null;
  readonly params: JsonObject;
}

/**
 * The policy's tool mappings (`tool get_invoice -> invoice.read { ... }`). The policy compiler implements it with
 * compiled CEL over `args`. `map` is called only with a name from `tools` (already resolved, see README), and must
 * not throw: errors are values.
 */
export interface ToolMapper {
  /** the declared tool names */
  readonly tools: readonly string[];
  /** the other exact names a call may use -> the declared tool: aliases, `mcp__SERVER__TOOL` of declared servers */
  readonly aliases?: ReadonlyMap<string, string>;
  map(
    tool: string,
    args: JsonObject,
  ): { readonly ok: true; readonly value: MappedAction } | { readonly ok: false; readonly error: string | ToolMapperError };
}

/** A mapping's refusal: with an XP4 `code` it is reported as that code (else as XP4014, the mapping failed). */
export interface ToolMapperError {
  readonly message: string;
  readonly code?: `XP4${string}`;
  readonly help?: string;
}

export interface AdapterLimits {
  readonly maxBytes?: number;
  readonly maxDepth?: number;
}

/**
 * A proposal as given (JSON text or values) -> clean values: JSON text is parsed strictly, then one schema-free
 * cleaning pass checks size, depth and value kinds over everything. Text is measured by the parser, values here.
 */
export function parseAndClean(payload: unknown, maxBytes: number, maxDepth: number): IrResult<CleanValue> {
  let raw: unknown = payload;
  let measured = false;
  if (typeof payload === "string") {
    const parsed = parseJsonText(payload, { maxBytes, maxDepth }, true);
    if (!parsed.ok) return parsed;
    raw = parsed.value;
    measured = true;
  }
  const cleaner = new Cleaner({ maxDepth, maxBytes: measured ? Infinity : maxBytes });
  const clean = cleaner.value(raw, "$", 0);
  if (clean === undefined) return { ok: false, error: cleaner.error! };
  return { ok: true, value: clean };
}

/**
 * Every tool call in `payload`: one call, a message, a response or a list of them (items that are not tool calls,
 * such as text blocks, are skipped). A JSON string is parsed strictly first. A shape that is none of the known
 * ones is an error (XP4010); so is a known container that holds no tool call (XP4017).
 */
export function extractToolCalls(payload: unknown, limits: AdapterLimits = {}): IrResult<readonly ToolCall[]> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const clean = parseAndClean(payload, maxBytes, maxDepth);
  if (!clean.ok) return clean;
  return toolCallsOf(clean.value, "$", { maxBytes, maxDepth });
}

/** `extractToolCalls` over an already cleaned value (see normalize.ts); used by `toSovereignIR`. */
export function toolCallsOf(v: CleanValue, path: Path, limits: Required<AdapterLimits>): IrResult<readonly ToolCall[]> {
  const out: ToolCall[] = [];
  const r = collect(v, path, out, limits, true);
  if (r === "unrecognized") return fail(Diagnostics.irUnrecognizedProposal, render(path), [describeShape(v)], { help: SHAPES_HELP });
  if (r !== undefined) return { ok: false, error: r };
  if (out.length === 0) return fail(Diagnostics.irNoToolCall, render(path), [describeShape(v)]);
  return { ok: true, value: out };
}

const SHAPES_HELP =
  "expected an IR-shaped object `{ action: { type, target?, params } }` or a tool call: OpenAI chat `tool_calls[i]` or assistant message, " +
  "OpenAI Responses `function_call`, Anthropic `tool_use`, MCP `tools/call` request, AI SDK `tool-call`, OpenAI Agents SDK tool call item";

function describeShape(v: CleanValue): string {
  if (!isObject(v)) return describeValue(v);
  const type = v["type"];
  if (typeof type === "string") return `an object of type \`${show(type)}\``;
  const keys = Object.keys(v);
  return keys.length === 0 ? "an empty object" : `an object with keys ${listNames(keys.sort(), 6)}`;
}

// Returns undefined when the value was a recognized shape (its calls appended to `out`), "unrecognized", or an error.
function collect(v: CleanValue, path: Path, out: ToolCall[], limits: Required<AdapterLimits>, top: boolean): IrError | "unrecognized" | undefined {
  if (Array.isArray(v)) {
    const items = v as readonly CleanValue[];
    for (let i = 0; i < items.length; i++) {
      const r = collect(items[i]!, at(path, i), out, limits, false);
      if (r !== undefined && r !== "unrecognized") return r;
      // Inside a list, items that are not tool calls (text blocks, messages, reasoning items) are skipped.
    }
    return undefined;
  }
  if (!isObject(v)) return "unrecognized";
  const type = v["type"];

  if ("jsonrpc" in v) return mcp(v, path, out, limits);
  if (type === "function" && isObject(v["function"])) {
    return push(out, limits, "openai-chat", path, v["function"]["name"], at(at(path, "function"), "name"), v["function"]["arguments"], at(at(path, "function"), "arguments"), v["id"]);
  }
  if (type === "function_call") {
    const agents = v["callId"] !== undefined && v["call_id"] === undefined;
    return push(out, limits, agents ? "openai-agents" : "openai-responses", path, v["name"], at(path, "name"), v["arguments"], at(path, "arguments"), agents ? v["callId"] : v["call_id"]);
  }
  if (type === "tool_call_item" || type === "tool_approval_item") {
    const key = "rawItem" in v ? "rawItem" : "raw_item";
    const item = v[key];
    const itemPath = at(path, key);
    if (!isObject(item) || item["type"] !== "function_call") {
      const found = isObject(item) && typeof item["type"] === "string" ? `a \`${show(item["type"])}\` item` : describeValue(item ?? null);
      return irError(Diagnostics.irMalformedToolCall, render(itemPath), ["OpenAI Agents SDK", `expected a \`function_call\` raw item, found ${found}`]);
    }
    const callId = item["callId"] ?? item["call_id"];
    return push(out, limits, "openai-agents", itemPath, item["name"], at(itemPath, "name"), item["arguments"], at(itemPath, "arguments"), callId);
  }
  if (type === "tool_use") {
    return push(out, limits, "anthropic", path, v["name"], at(path, "name"), v["input"], at(path, "input"), v["id"]);
  }
  if (type === "tool-call") {
    const key = "input" in v ? "input" : "args";
    return push(out, limits, "ai-sdk", path, v["toolName"], at(path, "toolName"), v[key], at(path, key), v["toolCallId"]);
  }
  if (v["role"] === "assistant" || (type === "message" && Array.isArray(v["content"]))) {
    const before = out.length;
    if (Array.isArray(v["tool_calls"])) {
      const calls = v["tool_calls"] as readonly CleanValue[];
      for (let i = 0; i < calls.length; i++) {
        const p = at(at(path, "tool_calls"), i);
        const r = collect(calls[i]!, p, out, limits, false);
        if (r === "unrecognized") return irError(Diagnostics.irMalformedToolCall, render(p), ["OpenAI chat", "expected `{ id, type: \"function\", function: { name, arguments } }`"]);
        if (r !== undefined) return r;
      }
    }
    if (isObject(v["function_call"])) {
      // The deprecated single `function_call` of older chat completions.
      const p = at(path, "function_call");
      const r = push(out, limits, "openai-chat", p, v["function_call"]["name"], at(p, "name"), v["function_call"]["arguments"], at(p, "arguments"), undefined);
      if (r !== undefined) return r;
    }
    if (Array.isArray(v["content"])) {
      const r = collect(v["content"], at(path, "content"), out, limits, false);
      if (r !== undefined && r !== "unrecognized") return r;
    }
    if (out.length === before && top) return irError(Diagnostics.irNoToolCall, render(path), ["the assistant message"]);
    return undefined;
  }
  if (v["object"] === "response" && Array.isArray(v["output"])) {
    return collect(v["output"], at(path, "output"), out, limits, false);
  }
  if (v["object"] === "chat.completion" && Array.isArray(v["choices"])) {
    const choices = v["choices"] as readonly CleanValue[];
    // Several choices are alternatives, not a sequence: none of them is "the" proposal.
    if (choices.length !== 1) return irError(Diagnostics.irMalformedToolCall, render(at(path, "choices")), ["OpenAI chat", `a completion with ${choices.length} choices is not one proposal`]);
    const choice = choices[0]!;
    const p = at(at(path, "choices"), 0);
    if (!isObject(choice) || !isObject(choice["message"])) return irError(Diagnostics.irMalformedToolCall, render(p), ["OpenAI chat", "choice without a message"]);
    return collect(choice["message"], at(p, "message"), out, limits, true);
  }
  return "unrecognized";
}

function mcp(v: { readonly [key: string]: CleanValue }, path: Path, out: ToolCall[], limits: Required<AdapterLimits>): IrError | undefined {
  if (v["jsonrpc"] !== "2.0") return irError(Diagnostics.irMalformedToolCall, render(at(path, "jsonrpc")), ["MCP", "expected `\"jsonrpc\": \"2.0\"`"]);
  if (v["method"] !== "tools/call") {
    const m = typeof v["method"] === "string" ? `\`${show(v["method"])}\`` : describeValue(v["method"] ?? null);
    return irError(Diagnostics.irMalformedToolCall, render(at(path, "method")), ["MCP", `method ${m} is not \`tools/call\``]);
  }
  const params = v["params"];
  const pp = at(path, "params");
  if (!isObject(params)) return irError(Diagnostics.irMalformedToolCall, render(pp), ["MCP", "`params` must be an object"]);
  const id = v["id"];
  if (typeof id !== "string" && typeof id !== "number") return irError(Diagnostics.irMalformedToolCall, render(at(path, "id")), ["MCP", "a request needs a string or number `id`"]);
  return push(out, limits, "mcp", path, params["name"], at(pp, "name"), params["arguments"] ?? {}, at(pp, "arguments"), String(id));
}

const FORMAT_NAMES: Readonly<Record<ToolCallFormat, string>> = {
  "openai-chat": "OpenAI chat",
  "openai-responses": "OpenAI Responses",
  anthropic: "Anthropic",
  mcp: "MCP",
  "ai-sdk": "AI SDK",
  "openai-agents": "OpenAI Agents SDK",
};

function push(
  out: ToolCall[],
  limits: Required<AdapterLimits>,
  format: ToolCallFormat,
  path: Path,
  name: CleanValue | undefined,
  namePath: Path,
  args: CleanValue | undefined,
  argsPath: Path,
  callId: CleanValue | undefined,
): IrError | undefined {
  const fmt = FORMAT_NAMES[format];
  if (typeof name !== "string" || name === "") return irError(Diagnostics.irMalformedToolCall, render(namePath), [fmt, `expected a tool name, found ${describeValue(name ?? null)}`]);
  let parsedArgs: CleanValue | undefined = args;
  if (typeof args === "string") {
    // Some providers send "" for a call without arguments.
    if (args.trim() === "") parsedArgs = {};
    else {
      const r = parseJsonText(args, limits, true);
      if (!r.ok) return { ...r.error, path: pathJoin(render(argsPath), r.error.path) };
      const cleaner = new Cleaner({ maxDepth: limits.maxDepth, maxBytes: Infinity });
      parsedArgs = cleaner.value(r.value, argsPath, 0);
      if (parsedArgs === undefined) return cleaner.error!;
    }
  }
  if (!isObject(parsedArgs)) return irError(Diagnostics.irMalformedToolCall, render(argsPath), [fmt, `arguments must be a JSON object, found ${describeValue(parsedArgs ?? null)}`]);
  const call: { -readonly [K in keyof ToolCall]: ToolCall[K] } = { tool: name, args: parsedArgs as JsonObject, format, path: render(path) };
  if (typeof callId === "string") call.callId = callId;
  else if (typeof callId === "number") call.callId = String(callId);
  out.push(call);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Tool call -> action

const toolIndexes = new WeakMap<ToolMapper, ToolNameIndex>();

/** The declared tool a name as written refers to: exactly a declared name or one of `mapper.aliases`, nothing else. */
export function resolveTool(mapper: ToolMapper, name: string): IrResult<string> {
  let index = toolIndexes.get(mapper);
  if (index === undefined) toolIndexes.set(mapper, (index = new ToolNameIndex(mapper.tools, mapper.aliases)));
  const r = index.resolve(name);
  if (r.kind === "found") return { ok: true, value: r.name };
  const help =
    r.server !== undefined
      ? `\`${show(r.server.server)}\` is not an MCP server the policy declares for \`${show(r.server.tool)}\`; declare it with \`mcp server ${show(r.server.server)} { ${show(r.server.tool)} }\``
      : r.suggestion !== undefined
        ? `did you mean \`${show(r.suggestion)}\`? tool names resolve exactly`
        : undefined;
  return fail(Diagnostics.irUnmappedTool, "$", [show(name), listNames([...mapper.tools].sort())], { help });
}

/** Runs the policy's mapping for one tool call; fails closed on an unmapped tool or a mapping error. */
export function mapToolCall(call: ToolCall, mapper: ToolMapper): IrResult<MappedAction> {
  const name = resolveTool(mapper, call.tool);
  if (!name.ok) return { ok: false, error: { ...name.error, path: call.path } };
  let mapped: ReturnType<ToolMapper["map"]>;
  try {
    mapped = mapper.map(name.value, call.args);
  } catch (e: unknown) {
    // The contract says errors are values; a throwing mapper still must not let the action through.
    return fail(Diagnostics.irToolMappingFailed, call.path, [name.value, e instanceof Error ? e.message : String(e)]);
  }
  if (!mapped.ok) {
    const e = mapped.error;
    if (typeof e !== "string" && e.code !== undefined) {
      return { ok: false, error: { code: e.code, message: e.message, path: call.path, ...(e.help !== undefined ? { help: e.help } : {}) } };
    }
    const why = typeof e === "string" ? e : e.message;
    return fail(Diagnostics.irToolMappingFailed, call.path, [name.value, why]);
  }
  return mapped;
}

