// The example READMEs stay true: every `npx xpol eval` command in them runs (in-process, from the folder its paths
// are relative to) and prints the decision expected-decisions.json pins for its sample, and it passes the caller's
// records the examples' convention names: `actions/NAME.context.json` when the sample has one, else
// `actions/context.json` (identity and time never come from the model, so a command without `--context` is wrong).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, xpol } from "./helpers.ts";

const REPO = path.resolve(ROOT, "../..");
const EXAMPLES_DIR = path.join(ROOT, "examples");
const examples = readdirSync(EXAMPLES_DIR)
  .filter((d) => existsSync(path.join(EXAMPLES_DIR, d, "expected-decisions.json")))
  .sort();

/** The `npx xpol eval` lines of the README's sh blocks, a line ending in `\` joined with the next. */
function evalCommands(readme: string): string[] {
  return [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.replace(/\\\n[ \t]*/g, " ").split("\n"))
    .map((l) => l.trim())
    .filter((l) => l.startsWith("npx xpol eval "));
}

/** The value after `flag`, or undefined. */
function option(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

/** The README commands name files relative to the package (`examples/...`) or the repository (`packages/...`). */
const cwdFor = (args: readonly string[]): string => (args[0]!.startsWith("packages/") ? REPO : ROOT);

/** The convention: `actions/NAME.context.json` beside `actions/NAME.json` if there is one, else `actions/context.json`. */
function contextFileFor(action: string): string {
  const own = action.replace(/\.json$/, ".context.json");
  return existsSync(own) ? own : path.join(path.dirname(action), "context.json");
}

/** effect and tier of the decision `xpol eval` printed (its text format). */
function printedDecision(out: string): { effect: string | undefined; tier: string | null | undefined } {
  const effect = /^effect: (\S+)$/m.exec(out)?.[1];
  const tier = /^tier: +(\S+)$/m.exec(out)?.[1];
  return { effect, tier: tier === "(unclassified)" ? null : tier };
}

describe.each(examples)("examples/%s/README.md", (example) => {
  const dir = path.join(EXAMPLES_DIR, example);
  const readme = readFileSync(path.join(dir, "README.md"), "utf8");
  const expected = JSON.parse(readFileSync(path.join(dir, "expected-decisions.json"), "utf8")) as Record<string, { effect: string; tier: string | null }>;
  const commands = evalCommands(readme);

  test("has xpol eval commands, each with a --context file", () => {
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const line of commands) expect({ line, context: line.includes(" --context ") }).toEqual({ line, context: true });
  });

  test("every xpol eval command prints the decision expected-decisions.json pins, with the sample's context file", async () => {
    for (const line of commands) {
      const args = line.slice("npx xpol eval ".length).split(/\s+/);
      const cwd = cwdFor(args);
      const action = path.resolve(cwd, option(args, "--action") ?? "");
      const context = path.resolve(cwd, option(args, "--context") ?? "");
      // the command's files exist where it runs, and are this example's
      for (const f of [args[0]!, action, context]) expect({ line, file: f, exists: existsSync(path.resolve(cwd, f)) }).toMatchObject({ exists: true });
      expect({ line, folder: path.dirname(action) }).toEqual({ line, folder: path.join(dir, "actions") });
      expect({ line, context: path.relative(cwd, context) }).toEqual({ line, context: path.relative(cwd, contextFileFor(action)) });
      const name = path.basename(action);
      expect({ line, pinned: name in expected }).toEqual({ line, pinned: true });

      const r = await xpol(["eval", ...args], cwd);
      expect({ line, code: r.code, stderr: r.stderr }).toEqual({ line, code: 0, stderr: "" });
      expect({ line, ...printedDecision(r.stdout) }).toEqual({ line, ...expected[name] });
    }
  });

  test("every sample's own context file is used by one of its commands", () => {
    const own = readdirSync(path.join(dir, "actions")).filter((f) => f.endsWith(".context.json"));
    const used = new Set(commands.map((l) => path.basename(option(l.split(/\s+/), "--context") ?? "")));
    for (const f of own) expect({ file: f, used: used.has(f) }).toEqual({ file: f, used: true });
  });
});
