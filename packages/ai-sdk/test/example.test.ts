// examples/refund-agent.ts stays true: it runs (ai 7, so on Node 22) and does what its comments say.
import { expect, it } from "vitest";
import { main } from "../examples/refund-agent.ts";

it("the example refunds 50 at once, refuses 9000 with the policy's reason, and runs 250 once after two signatures", async () => {
  const lines: string[] = [];
  expect(await main((l) => lines.push(l))).toBe(2);
  expect(lines[0]).toMatch(/^refund 50: .*refunded 50 on o-1/);
  expect(lines[1]).toMatch(/^refund 9000: .*execution-denied.*refunds over 5000 go to the finance desk/);
  expect(lines[2]).toMatch(/^refund 250: paused, ExecLayer request apr_[0-9a-f]{24} is pending$/);
  expect(lines.slice(3, 5)).toEqual(["  alice signs: pending", "  bob signs: approved"]);
  expect(lines[5]).toMatch(/^refund 250: .*refunded 250 on o-1/);
});
