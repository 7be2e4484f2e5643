// docs/embedding.md stays true: its TypeScript example runs as written and prints the output the page shows.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import { expect, test, vi } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("the embedding example prints what the page says", async () => {
  const doc = readFileSync(path.join(repo, "../../docs/embedding.md"), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(doc)![1]!;
  const expected = /prints\n\n```text\n([\s\S]*?)```/.exec(doc)![1]!;
  // Run it as a module inside this package: `from "execlayer"` resolves to src/index.ts through package.json
  // "exports", as it does for users.
  const dir = mkdtempSync(path.join(repo, "test/runtime/.embedding-"));
  const file = path.join(dir, "example.ts");
  writeFileSync(file, code);
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(format(...args)));
  try {
    await import(file);
  } finally {
    spy.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
  expect(lines.join("\n") + "\n").toBe(expected);
});
