// examples/refund-agent.ts stays true: it runs and does what its comments say.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect, it } from "vitest";
import { main } from "../examples/refund-agent.ts";

it("the example refunds 50, refuses 9000 with the policy's reason, and resumes 250 in a fresh Enforcer after two signatures", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "execlayer-openai-agents-example-"));
  try {
    const lines: string[] = [];
    expect(await main(dir, (l) => lines.push(l))).toEqual(["50 on o-1", "250 on o-1"]);
    expect(lines[0]).toMatch(/^refund 50: .*refunded 50 on o-1/);
    expect(lines[1]).toMatch(/^refund 9000: .*refunds over 5000 go to the finance desk/);
    expect(lines[2]).toMatch(/^refund 250: interrupted \(1 approval\), request apr_[0-9a-f]{24}$/);
    expect(lines.slice(3, 5)).toEqual(["restored: pending, waiting", "after alice and bob sign: approved, approved"]);
    expect(lines[5]).toMatch(/^refund 250: .*refunded 250 on o-1/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
