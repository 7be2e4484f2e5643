// xpol check FILE|DIR... [--format text|json|junit|github]: parses and type-checks policies, prints every diagnostic.
// Files in the same directory form one policy (`invoices.xpol` with its `invoices.test.xpol`), or one per `policy`
// header when the directory holds several (compile/policy-groups.ts); a directory argument brings in every `*.xpol`
// under it. Exit 0 when there is no error, 1 with errors, 2 on bad usage, 3 when a file
// cannot be read.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { findXpolFiles } from "../../format/files.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import { Diagnostics } from "../../diagnostics/catalogue.ts";
import { diagnosticToJson } from "../../diagnostics/render.ts";
import { SourceFile } from "../../diagnostics/source.ts";
import { runPolicyPipeline } from "../../compile/pipeline.ts";
import { groupPolicyFiles } from "../../compile/policy-groups.ts";
import { renderDiagnosticsReport } from "../report-formats.ts";

const USAGE = `usage: xpol check FILE|DIR... [--format text|json|junit|github]

  FILE, DIR      .xpol files, or directories searched for *.xpol; files in one directory form one policy
  --format FMT   text (default): rendered diagnostics and a summary; json: an array of diagnostics;
                 junit: JUnit XML, a test case per file; github: GitHub Actions ::error annotations`;

export interface SourceText {
  readonly path: string;
  readonly text: string;
}

export interface CheckSourcesResult {
  readonly diagnostics: Diagnostic[];
  /** every text a diagnostic may point into: the files, and stdlib modules or keyrings the checker read */
  readonly sources: ReadonlyMap<string, SourceFile>;
}

export interface CheckSourcesOptions {
  /** reads a keyring file named by a group (`group ops from "keys/ops.keyring"`); default: relative to the cwd */
  readonly readFile?: (path: string) => string | Error;
}

/**
 * Parses each text, then type-checks them together as one policy (or, when none has a `policy` header, as a
 * stdlib-style module): the pipeline `compilePolicy` runs, so both report the same diagnostics.
 */
export function checkSources(files: readonly SourceText[], options: CheckSourcesOptions = {}): CheckSourcesResult {
  const r = runPolicyPipeline({ sources: files }, { ...options, headerlessAsModule: true });
  return { diagnostics: r.diagnostics, sources: r.sources };
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const args: string[] = [];
  let format: "text" | "json" | "junit" | "github" = "text";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") return usageExit(io, "check", "", USAGE);
    if (a === "--format" || a.startsWith("--format=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v !== "text" && v !== "json" && v !== "junit" && v !== "github") {
        return usageExit(io, "check", "--format takes `text`, `json`, `junit` or `github`", USAGE);
      }
      format = v;
    } else if (a.startsWith("-")) {
      return usageExit(io, "check", `unknown option \`${a}\``, USAGE);
    } else {
      args.push(a);
    }
  }
  if (args.length === 0) return usageExit(io, "check", "give at least one file or directory", USAGE);

  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, SourceFile>();
  let unreadable = false;
  // Expand directories; files keep the order given, each at most once.
  const paths: string[] = [];
  for (const a of args) {
    let isDir = false;
    try {
      isDir = statSync(resolve(io.cwd, a)).isDirectory();
    } catch {
      // reported as unreadable below
    }
    if (!isDir) {
      if (!paths.includes(a)) paths.push(a);
      continue;
    }
    // the same walk as `xpol fmt DIR` (skips node_modules and hidden directories), without fmt's ignore file
    const found = findXpolFiles([a], io.cwd, []);
    for (const p of found.files) if (!paths.includes(p)) paths.push(p);
    for (const u of found.unreadable) {
      diagnostics.push(diagnostic(Diagnostics.unreadableFile, { start: 0, end: 0 }, [u.path, u.why], { file: u.path }));
      unreadable = true;
    }
  }
  // One policy per directory and `policy` header, each through the pipeline `compilePolicy` runs (reading, UTF-8
  // check, parse, check): independent policies in one folder are checked each on its own.
  for (const files of groupPolicyFiles(paths, io.cwd)) {
    const r = runPolicyPipeline({ files, cwd: io.cwd }, { headerlessAsModule: true });
    diagnostics.push(...r.diagnostics);
    for (const [p, s] of r.sources) if (!sources.has(p)) sources.set(p, s);
    unreadable ||= r.unreadable;
  }

  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  const report = { files: paths, diagnostics, sources, tool: "xpol check" };
  if (format === "junit" || format === "github") {
    io.stdout(renderDiagnosticsReport(format, report));
  } else if (format === "json") {
    // `xpol check`'s JSON is the bare array (the shared report's JSON object wraps it with counts)
    io.stdout(JSON.stringify(diagnostics.map((d) => diagnosticToJson(d, d.file === undefined ? undefined : sources.get(d.file))), null, 2));
  } else {
    const rendered = renderDiagnosticsReport("human", report);
    const n = paths.length;
    const summary =
      errors === 0 && warnings === 0
        ? `checked ${n} ${n === 1 ? "file" : "files"}: no problems`
        : `checked ${n} ${n === 1 ? "file" : "files"}: ${plural(errors, "error")}, ${plural(warnings, "warning")}`;
    io.stdout(rendered === "" ? summary : `${rendered}\n\n${summary}`);
  }
  if (unreadable) return ExitCode.unreadable;
  return errors > 0 ? ExitCode.findings : ExitCode.ok;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
