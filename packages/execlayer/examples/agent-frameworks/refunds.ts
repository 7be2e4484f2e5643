// The refunds agent's setup, shared by the framework adapters' examples and tests: the compiled policy, who the
// agent is (from the service, never the model), and the three finance approvers' signers. The signers hold the
// RFC 8032 section 7.1 test private keys (published: never use them for anything real).
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { compilePolicy, formatDiagnostics, NobleSigner, type CompiledPolicy, type DecideContext } from "../../src/index.ts";

export const REFUNDS_POLICY = path.join(path.dirname(fileURLToPath(import.meta.url)), "refunds.xpol");

export function refundsPolicy(): CompiledPolicy {
  const compiled = compilePolicy({ files: [REFUNDS_POLICY] });
  if (compiled.policy === null) throw new Error(formatDiagnostics(compiled.diagnostics, compiled.sources));
  return compiled.policy;
}

/** The support agent, working for one engineer whose open tickets are customer c-1's. */
export const SUPPORT_AGENT: DecideContext = { actor: { agent: "support-bot", on_behalf_of: "eng-7" }, context: { assigned_customers: ["c-1"] } };

const seed = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));
/** The policy's `finance` group: alice, bob and carol. */
export const FINANCE = {
  alice: NobleSigner.fromSeed(seed("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")),
  bob: NobleSigner.fromSeed(seed("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")),
  carol: NobleSigner.fromSeed(seed("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7")),
} as const;
