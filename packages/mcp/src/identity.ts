// Who is calling: the actor and context every decision is made for. They come from the proxy's configuration
// (`--actor`, `--context`, `--identity FILE`), or, over HTTP, from the bearer token a client presents (`--tokens
// FILE`, the decision service's hashed tokens; the identity file maps each token's name to an actor and context).
// Never from the model, the tool arguments or the upstream: whatever a request's `_meta` says about its caller is
// ignored.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseJson, type DecideContext, type JsonObject, type Result } from "execlayer";

export interface Identity {
  readonly actor?: JsonObject;
  readonly context?: JsonObject;
}

/** The proxy's identities: the default, and per token name (HTTP clients of `--listen` with `--tokens`). */
export interface Identities {
  readonly default: Identity;
  readonly clients: ReadonlyMap<string, Identity>;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A JSON object given inline (`{"agent": "bot"}`) or as `@FILE`. */
export function readJsonObject(text: string, what: string, cwd: string): Result<JsonObject> {
  let source = text;
  if (text.startsWith("@")) {
    try {
      source = readFileSync(path.resolve(cwd, text.slice(1)), "utf8");
    } catch (e: unknown) {
      return { ok: false, error: `cannot read ${what} file \`${text.slice(1)}\`: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const parsed = parseJson(source);
  if (!parsed.ok) return { ok: false, error: `${what} is not valid JSON: ${parsed.error.message}` };
  if (!isObject(parsed.value)) return { ok: false, error: `${what} must be a JSON object` };
  return { ok: true, value: parsed.value };
}

function identityOf(v: JsonObject, where: string): Result<Identity> {
  const { actor, context } = v;
  if (actor !== undefined && !isObject(actor)) return { ok: false, error: `${where}: \`actor\` must be an object` };
  if (context !== undefined && !isObject(context)) return { ok: false, error: `${where}: \`context\` must be an object` };
  return { ok: true, value: { ...(actor !== undefined ? { actor } : {}), ...(context !== undefined ? { context } : {}) } };
}

/**
 * An identity file: `{"actor": {...}, "context": {...}, "clients": {"<token name>": {"actor": ..., "context": ...}}}`;
 * every field may be absent. A client's entry replaces the default actor and context for that client.
 */
export function readIdentityFile(file: string, cwd: string): Result<Identities> {
  const r = readJsonObject(`@${file}`, "identity", cwd);
  if (!r.ok) return r;
  const extra = Object.keys(r.value).filter((k) => k !== "actor" && k !== "context" && k !== "clients");
  if (extra.length > 0) return { ok: false, error: `identity file \`${file}\`: unknown field \`${extra[0]}\` (expected actor, context, clients)` };
  const base = identityOf(r.value, `identity file \`${file}\``);
  if (!base.ok) return base;
  const clients = new Map<string, Identity>();
  const listed = r.value["clients"];
  if (listed !== undefined) {
    if (!isObject(listed)) return { ok: false, error: `identity file \`${file}\`: \`clients\` must map token names to {actor, context}` };
    for (const [name, v] of Object.entries(listed)) {
      if (!isObject(v)) return { ok: false, error: `identity file \`${file}\`, client \`${name}\`: not an object` };
      const one = identityOf(v, `identity file \`${file}\`, client \`${name}\``);
      if (!one.ok) return one;
      clients.set(name, one.value);
    }
  }
  return { ok: true, value: { default: base.value, clients } };
}

export function toDecideContext(id: Identity): DecideContext {
  return { actor: id.actor, context: id.context };
}

