// IR-stage measurements (not a test): `npx tsx test/ir/measure.ts`. Prints µs per operation for a typical action.
import { createHash, hash } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { canonicalize, digestsOf, parseJson, toSovereignIR, type JsonValue } from "../../src/ir/index.ts";
import { mapper, options, schema } from "./fixtures.ts";

// CPU time of this process (not wall time), best of 5 rounds: steadier on a machine shared with other builds.
function measure(name: string, f: () => unknown, ops = 50_000): void {
  for (let i = 0; i < 5_000; i++) f(); // warm-up
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t = process.cpuUsage();
    for (let i = 0; i < ops; i++) f();
    const used = process.cpuUsage(t);
    best = Math.min(best, (used.user + used.system) / ops);
  }
  console.log(`${name.padEnd(52)} ${best.toFixed(2).padStart(7)} µs`);
}

const proposal = {
  action: {
    type: "invoice.update_status",
    target: "invoice/inv-12345",
    params: { invoice_id: "inv-12345", customer_id: "cust-987", status: "paid", note: "paid by wire transfer on the 3rd" },
  },
};
const built = toSovereignIR(proposal, schema, options);
if (!built.ok) throw new Error(built.error.message);
const preimage = `{"action":${canonicalize(built.ir.action as never)},"actor":${canonicalize(built.ir.actor)},"kind":"execlayer/action/v1"}`;
console.log(`typical action: ${built.canonical.length} bytes of canonical IR, ${preimage.length} bytes of action digest preimage`);

measure("sha256 node:crypto hash() one-shot", () => hash("sha256", preimage, "hex"));
measure("sha256 node:crypto createHash()", () => createHash("sha256").update(preimage, "utf8").digest("hex"));
measure("sha256 @noble/hashes", () => bytesToHex(sha256(utf8ToBytes(preimage))));
measure("canonicalize(ir)", () => canonicalize(built.ir as unknown as JsonValue));
measure("JSON.stringify(ir) (for scale)", () => JSON.stringify(built.ir));
measure("digestsOf(ir): canonical text + both digests", () => digestsOf(built.ir));
const text = JSON.stringify(proposal);
measure("parseJson(proposal text)", () => parseJson(text));
measure("JSON.parse(proposal text) (for scale)", () => JSON.parse(text));
measure("toSovereignIR(IR-shaped object)", () => toSovereignIR(proposal, schema, options));
measure("toSovereignIR(IR-shaped JSON text)", () => toSovereignIR(text, schema, options));
const openai = JSON.stringify({
  id: "call_1",
  type: "function",
  function: { name: "set_invoice_status", arguments: JSON.stringify(proposal.action.params) },
});
measure("toSovereignIR(OpenAI tool call text, JS mapper)", () => toSovereignIR(openai, schema, { ...options, mapper }));
