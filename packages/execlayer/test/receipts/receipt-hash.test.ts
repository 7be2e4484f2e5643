// receiptHash: a receipt's chain hash, what the next receipt's `prev` holds: remembered for receipts this process
// signed, computed for any other (a parsed line), the same either way.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compilePolicy, DurableStore, Enforcer } from "../../src/index.ts";
import { parseReceiptLine, receiptHash } from "../../src/receipts/index.ts";
import { tempDir } from "./helpers.ts";

const POLICY = `policy p version "1"
action a.read { id: string }
tier a.read = T0
rule r on a.read { allow }
`;

describe("receiptHash", () => {
  it("is the next receipt's prev, for the receipt in hand and for the same receipt parsed from the log", async () => {
    const dir = tempDir();
    try {
      const { policy } = compilePolicy({ sources: [{ path: "p.xpol", text: POLICY }] });
      const store = await DurableStore.open(dir, { durability: "none" });
      const enforcer = await Enforcer.create({ policy: policy!, store });
      const proposal = { action: { type: "a.read", target: null, params: { id: "x" } } };
      const first = (await enforcer.decide(proposal, { actor: {} })).receipt!;
      const second = (await enforcer.decide(proposal, { actor: {} })).receipt!;
      await store.close();
      expect(receiptHash(first)).toBe(second.prev);
      const parsed = parseReceiptLine(readFileSync(path.join(dir, "receipts.jsonl"), "utf8").split("\n")[first.seq]!);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(parsed.value).not.toBe(first);
      expect(receiptHash(parsed.value)).toBe(second.prev);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
