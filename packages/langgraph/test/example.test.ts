// examples/refund-agent.ts stays true: it runs and does what its comments say.
import { expect, it } from "vitest";
import { main } from "../examples/refund-agent.ts";

it("the example refunds 50, refuses 9000 with the policy's reason, and resumes 250 once after two signatures", async () => {
  const lines: string[] = [];
  expect(await main((l) => lines.push(l))).toBe(2);
  expect(lines[0]).toBe("refund 50: tool said: refunded 50 on o-1");
  expect(lines[1]).toMatch(/^refund 9000: tool said: .*refunds over 5000 go to the finance desk/);
  expect(lines[2]).toMatch(/^refund 250: paused, ExecLayer request apr_[0-9a-f]{24} is pending$/);
  expect(lines[3]).toBe("refund 250: tool said: refunded 250 on o-1");
});
