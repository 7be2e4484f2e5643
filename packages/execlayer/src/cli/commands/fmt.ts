// xpol fmt [--check] [--format human|json|junit|github] FILE|DIR...
//
// Formats `.xpol` files in place (src/format), or with --check only lists the files that are not formatted.
// Directories are searched recursively, minus the paths in `.xpolfmtignore` (src/format/files.ts). A file with
// syntax errors is never rewritten: its diagnostics are printed. Exit: 0 ok (with --check: everything formatted),
// 1 unformatted files (--check) or files that could not be formatted, 2 usage, 3 an unreadable path.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import { Diagnostics } from "../../diagnostics/catalogue.ts";
import { SourceFile } from "../../diagnostics/source.ts";
import { renderDiagnostics } from "../../diagnostics/render.ts";
import { formatPolicy } from "../../format/format.ts";
import { findXpolFiles, readIgnoreList } from "../../format/files.ts";
import { readPolicyText } from "../../compile/pipeline.ts";
import { parseReportFormat, renderDiagnosticsReport, type ReportFormat } from "../report-formats.ts";

const USAGE = `usage: xpol fmt [--check] [--format FORMAT] FILE|DIR...

  --check          change nothing; list the files that are not formatted (exit 1 if any)
  --format FORMAT  how problems are printed: human (default), json, junit or github
  directories are searched for .xpol files, except the paths listed in .xpolfmtignore

exit codes: 0 ok, 1 unformatted or unformattable files, 2 usage error, 3 unreadable input`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let check = false;
  let format: ReportFormat = "human";
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--check") check = true;
    else if (a === "--format") {
      const v = argv[++i];
      const f = v === undefined ? undefined : parseReportFormat(v);
      if (f === undefined) return usageExit(io, "fmt", "--format needs one of human, json, junit, github", USAGE);
      format = f;
    } else if (a === "-h" || a === "--help") {
      return usageExit(io, "fmt", "", USAGE);
    } else if (a.startsWith("-")) {
      return usageExit(io, "fmt", `unknown option \`${a}\``, USAGE);
    } else paths.push(a);
  }
  if (paths.length === 0) return usageExit(io, "fmt", "give at least one file or directory", USAGE);

  const found = findXpolFiles(paths, io.cwd, readIgnoreList(io.cwd));
  const diagnostics: Diagnostic[] = found.unreadable.map((u) =>
    diagnostic(Diagnostics.unreadableFile, { start: 0, end: 0 }, [u.path, u.why], { file: u.path }),
  );
  const sources = new Map<string, SourceFile>();
  let unreadable = found.unreadable.length > 0;
  let rewritten = 0;
  let unformatted = 0;
  /** files not formatted because they cannot be read or parsed */
  let failed = 0;
  for (const file of found.files) {
    // read as `xpol check` and compilePolicy read (strict UTF-8): a lossy decoding written back would lose bytes
    const read = readPolicyText(file, io.cwd);
    if ("error" in read) {
      failed++;
      diagnostics.push(read.error);
      if (read.lossy !== undefined) sources.set(file, new SourceFile(file, read.lossy));
      unreadable ||= read.unreadable;
      continue;
    }
    const text = read.text;
    sources.set(file, new SourceFile(file, text));
    const r = formatPolicy(text, file);
    if (!r.ok) {
      failed++;
      diagnostics.push(...r.diagnostics);
      continue;
    }
    if (!r.changed) continue;
    if (check) {
      unformatted++;
      diagnostics.push(diagnostic(Diagnostics.notFormatted, { start: 0, end: 0 }, [file], { file, help: "run `xpol fmt` on it" }));
      continue;
    }
    try {
      writeFileSync(resolve(io.cwd, file), r.text, "utf8");
      rewritten++;
    } catch (e: unknown) {
      diagnostics.push(diagnostic(Diagnostics.unreadableFile, { start: 0, end: 0 }, [file, e instanceof Error ? e.message : String(e)], { file }));
      unreadable = true;
    }
  }
  if (format === "human") {
    // an unformatted file is one line; syntax errors get their source snippets
    const report = diagnostics
      .map((d) => (d.code === Diagnostics.notFormatted.code ? `${d.severity}[${d.code}]: ${d.message}` : renderDiagnostics([d], sources)))
      .join("\n");
    const clean = found.files.length - unformatted - failed;
    const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    const notFormattable = failed === 0 ? "" : `, ${plural(failed, "file", "files")} could not be formatted`;
    const summary = check
      ? unformatted === 0
        ? `${plural(clean, "file is", "files are")} already formatted${notFormattable}`
        : `${unformatted} of ${found.files.length} files are not formatted${notFormattable}`
      : `${plural(rewritten, "file", "files")} reformatted, ${found.files.length - rewritten - failed} already formatted${notFormattable}`;
    io.stdout(report === "" ? summary : `${report}\n\n${summary}`);
  } else {
    io.stdout(renderDiagnosticsReport(format, { files: found.files, diagnostics, sources, tool: "xpol fmt" }));
  }
  if (unreadable) return ExitCode.unreadable;
  return diagnostics.some((d) => d.severity === "error") ? ExitCode.findings : ExitCode.ok;
}
