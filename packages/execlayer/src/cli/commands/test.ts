// xpol test PATH... [--format human|json|junit|github] [--seed N] [--runs N] [--coverage] [--min-coverage N]
//                   [--filter TEXT] [--no-properties]
//
// Finds the policies under PATH (a directory's `.xpol` files form one policy with their `*.test.xpol` files; see
// src/testing/load.ts), compiles each, runs its test blocks through the runtime and checks its property blocks
// with generated inputs. Exit: 0 all passed, 1 a failure (or coverage below --min-coverage), 2 usage, 3 a path
// that cannot be read, 4 a policy that does not compile (its diagnostics are printed; none of its tests ran).
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { diagnostic } from "../../diagnostics/diagnostic.ts";
import { Diagnostics } from "../../diagnostics/catalogue.ts";
import { findPolicySets, testPolicySet } from "../../testing/load.ts";
import { totals, type PolicyTestReport } from "../../testing/results.ts";
import { DEFAULT_RUNS } from "../../testing/properties.ts";
import { formatPercent } from "../../testing/coverage.ts";
import { combinedCoverage, parseReportFormat, renderTestReport, type ReportFormat } from "../report-formats.ts";

const USAGE = `usage: xpol test PATH... [options]

  PATH                 a directory (its policies and their *.test.xpol files, recursively) or .xpol files
  --format FORMAT      human (default), json, junit or github
  --seed N             seed for property blocks (printed on every run, for replay)
  --runs N             generated inputs per property (default ${DEFAULT_RUNS})
  --coverage           report the rules and branches the tests exercised
  --min-coverage N     fail when coverage is below N percent (implies --coverage)
  --filter TEXT        run only tests and properties whose name contains TEXT (the others are skipped)
  --no-properties      skip property blocks

exit codes: 0 all passed, 1 failures, 2 usage error, 3 unreadable input,
            4 a policy does not compile (no test of it ran)`;

interface Args {
  paths: string[];
  format: ReportFormat;
  seed?: number;
  runs: number;
  coverage: boolean;
  minCoverage?: number;
  filter?: string;
  properties: boolean;
}

function integerArg(flag: string, v: string | undefined, min: number, max: number): number | string {
  if (v === undefined) return `${flag} needs a value`;
  if (!/^-?\d+$/.test(v)) return `${flag} needs an integer, found \`${v}\``;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) return `${flag} must be between ${min} and ${max}`;
  return n;
}

function parseArgs(argv: readonly string[]): Args | string {
  const out: Args = { paths: [], format: "human", runs: DEFAULT_RUNS, coverage: false, properties: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case "--format": {
        const v = argv[++i];
        const f = v === undefined ? undefined : parseReportFormat(v);
        if (f === undefined) return `--format needs one of human, json, junit, github${v === undefined ? "" : `, found \`${v}\``}`;
        out.format = f;
        break;
      }
      case "--seed": {
        // fast-check seeds are 32-bit integers
        const n = integerArg(a, argv[++i], -(2 ** 31), 2 ** 31 - 1);
        if (typeof n === "string") return n;
        out.seed = n;
        break;
      }
      case "--runs": {
        const n = integerArg(a, argv[++i], 1, 1_000_000);
        if (typeof n === "string") return n;
        out.runs = n;
        break;
      }
      case "--min-coverage": {
        const n = integerArg(a, argv[++i], 0, 100);
        if (typeof n === "string") return n;
        out.minCoverage = n;
        out.coverage = true;
        break;
      }
      case "--coverage":
        out.coverage = true;
        break;
      case "--filter": {
        const v = argv[++i];
        if (v === undefined) return "--filter needs a value";
        out.filter = v;
        break;
      }
      case "--no-properties":
        out.properties = false;
        break;
      case "-h":
      case "--help":
        return "";
      default:
        if (a.startsWith("-")) return `unknown option \`${a}\``;
        out.paths.push(a);
    }
  }
  if (out.paths.length === 0) return "give at least one directory or file";
  return out;
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") return usageExit(io, "test", args, USAGE);
  const seed = args.seed ?? (Math.floor(Math.random() * 2 ** 31) | 0);
  const found = findPolicySets(args.paths, io.cwd);
  const reports: PolicyTestReport[] = [];
  for (const set of found.sets) {
    reports.push(
      await testPolicySet(set, io.cwd, {
        seed,
        runs: args.runs,
        coverage: args.coverage,
        properties: args.properties,
        ...(args.filter !== undefined ? { filter: args.filter } : {}),
      }),
    );
  }
  const t = totals(reports);
  const discoveryErrors = found.diagnostics.filter((d) => d.severity === "error").length;
  const counted = { ...t, failed: t.failed + discoveryErrors };
  const coverage = combinedCoverage(reports);
  const below =
    args.minCoverage !== undefined && coverage.percent < args.minCoverage
      ? diagnostic(Diagnostics.coverageBelowMinimum, { start: 0, end: 0 }, [formatPercent(coverage.percent), args.minCoverage])
      : undefined;
  const text = renderTestReport(args.format, reports, {
    discovery: found.diagnostics,
    totals: counted,
    seed,
    coverage: args.coverage,
    ...(args.minCoverage !== undefined ? { minCoverage: args.minCoverage } : {}),
    ...(below !== undefined ? { coverageBelow: below } : {}),
  });
  io.stdout(text);
  const unreadable = [...found.diagnostics, ...reports.flatMap((r) => r.diagnostics)].some((d) => d.code === Diagnostics.unreadableFile.code);
  if (unreadable) return ExitCode.unreadable;
  if (reports.some((r) => r.policy === null)) return ExitCode.notCompiled;
  if (counted.failed > 0 || below !== undefined) return ExitCode.findings;
  return ExitCode.ok;
}
