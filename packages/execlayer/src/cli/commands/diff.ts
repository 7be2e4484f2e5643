// xpol diff OLD... -- NEW... [--runs N] [--seed S] [--format text|json|junit|github] [--fail-on widened|narrowed]...
//
// What changed between two policies (each: .xpol files, or a bundle .json from `xpol compile`): the declarations,
// then inputs the two decide differently, found by fast-check over both schemas (src/testing/policy-diff.ts), each
// kind of difference shrunk and printed as a ready-to-paste `test` block. Exit 0 no failing change, 1 a change
// --fail-on names, 2 usage, 3 unreadable input (or 1, a policy that does not compile).
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { loadPolicy } from "./eval.ts";
import { diffPolicies, type DeclarationChange } from "../../testing/policy-diff.ts";
import type { ChangeDirection } from "../../testing/changes.ts";
import type { ReportFormat } from "../report-formats.ts";
import { failsOn, readChangeReportOption, renderChangeReport } from "../change-report.ts";

const USAGE = `usage: xpol diff OLD... -- NEW... [options]

  OLD, NEW           each a policy: .xpol files, or a bundle .json from \`xpol compile\`
  --runs N           generated inputs to count differences over (default 1000)
  --seed S           fast-check seed (default random, printed)
  --format F         text (default), json, junit, github
  --fail-on WHICH    widened or narrowed (repeatable): exit 1 when some input is decided that way

exit codes: 0 ok, 1 a change --fail-on names (or a policy that does not compile), 2 usage error, 3 unreadable input`;

interface Args {
  old: string[];
  new: string[];
  runs?: number;
  seed?: number;
  format: ReportFormat;
  failOn: ChangeDirection[];
}

function parseArgs(argv: readonly string[]): Args | string {
  const out: Args = { old: [], new: [], format: "human", failOn: [] };
  let side: "old" | "new" = "old";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (a) {
      case "--":
        if (side === "new") return "one `--` between OLD and NEW";
        side = "new";
        break;
      case "--runs":
      case "--seed": {
        const v = Number(value());
        if (!Number.isSafeInteger(v) || v < (a === "--runs" ? 1 : 0)) return `${a} needs a ${a === "--runs" ? "positive " : ""}integer`;
        out[a.slice(2) as "runs" | "seed"] = v;
        break;
      }
      default: {
        const read = readChangeReportOption(a, value, out);
        if (typeof read === "string") return read;
        if (read) break;
        if (a.startsWith("--")) return `unexpected argument \`${a}\``;
        out[side].push(a);
      }
    }
  }
  if (out.old.length === 0 || out.new.length === 0) return "give OLD... -- NEW...";
  return out;
}

function describe(c: DeclarationChange): string {
  const sign = c.change === "added" ? "+" : c.change === "removed" ? "-" : "~";
  return `  ${sign} ${c.what} ${c.name}: ${c.change === "added" || c.change === "removed" ? c.change + ", " : ""}${c.detail}`;
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) return usageExit(io, "diff", "", USAGE);
  const args = parseArgs(argv);
  if (typeof args === "string") return usageExit(io, "diff", args, USAGE);
  const a = loadPolicy(args.old, io);
  if (typeof a === "number") return a;
  const b = loadPolicy(args.new, io);
  if (typeof b === "number") return b;
  const d = await diffPolicies(a, b, { ...(args.seed !== undefined ? { seed: args.seed } : {}), ...(args.runs !== undefined ? { runs: args.runs } : {}) });
  const label = (p: typeof d.old): string => `${p.name}${p.version !== null ? ` ${p.version}` : ""} (${p.digest.slice(0, 19)}…)`;
  const header = [
    `diff ${label(d.old)} -> ${label(d.new)}`,
    "",
    d.declarations.length === 0 ? "declarations: no changes" : `declarations: ${d.declarations.length} change(s)`,
    ...d.declarations.map(describe),
    "",
    `decisions: ${d.runs} generated inputs (seed ${d.seed}; replay with --seed ${d.seed}), plus one shrunk input per kind of difference`,
  ];
  const text = renderChangeReport(args.format, { tool: "xpol diff", header, notes: [], changes: d.changes, json: d }, args.failOn);
  io.stdout(text);
  return failsOn(d.changes, args.failOn) ? ExitCode.findings : ExitCode.ok;
}
