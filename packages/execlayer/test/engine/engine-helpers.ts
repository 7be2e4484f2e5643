// Shared by the engine, compiler and reference tests: compile a policy text or fail with its rendered diagnostics,
// and build IR values by hand.
import { compilePolicy, formatDiagnostics } from "../../src/index.ts";
import type { JsonObject, SovereignIR } from "../../src/index.ts";
import type { CompiledPolicy } from "../../src/index.ts";

export function compile(text: string, extra: Record<string, string> = {}): CompiledPolicy {
  const sources = [{ path: "policy.xpol", text }, ...Object.entries(extra).filter(([p]) => p.endsWith(".xpol")).map(([path, t]) => ({ path, text: t }))];
  const r = compilePolicy(
    { sources },
    { readFile: (p) => extra[p] ?? new Error("ENOENT") },
  );
  if (r.policy === null) throw new Error(formatDiagnostics(r.diagnostics, r.sources));
  return r.policy;
}

export function ir(
  type: string,
  params: JsonObject,
  more: { target?: string | null; actor?: JsonObject; context?: JsonObject; requested_at?: string } = {},
): SovereignIR {
  return {
    version: "1",
    action: { type, target: more.target ?? null, params },
    actor: { agent: "bot", ...(more.actor ?? {}) },
    context: more.context ?? {},
    requested_at: more.requested_at ?? "2026-01-31T12:00:00Z",
  };
}

export const KEYS = {
  alice: "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  bob: "ed25519:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
  carol: "ed25519:fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
} as const;

export const GROUPS = `
group finance {
  alice: "${KEYS.alice}"
  bob: "${KEYS.bob}"
  carol: "${KEYS.carol}"
}
group legal {
  alice: "${KEYS.alice}"
  bob: "${KEYS.bob}"
}
`;
