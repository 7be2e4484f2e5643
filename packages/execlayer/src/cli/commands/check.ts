// xpol check FILE|DIR... [--format text|json|junit|github]: parses and type-checks policies, prints every diagnostic.
// Files in the same directory form one policy (`invoices.xpol` with its `invoices.test.xpol`); a directory argument
// brings in every `*.xpol` under it. Exit 0 when there is no error, 1 with errors, 2 on bad usage, 3 when a file
// cannot be read.
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { findXpolFiles } from "../../format/files.ts";
import { fileErrorReason } from "../../diagnostics/file-error.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.ts";
import { Diagnostics } from "../../diagnostics/catalogue.ts";
import { diagnosticToJson } from "../../diagnostics/render.ts";
import { SourceFile } from "../../diagnostics/source.ts";
import { parsePolicy } from "../../syntax/parse.ts";
import type { PolicyFile } from "../../syntax/ast.ts";
import { checkPolicy, defaultReadFile } from "../../check/policy-checker.ts";
import { renderDiagnosticsReport } from "../report-formats.ts";

const USAGE = `usage: xpol check FILE|DIR... [--format text|json|junit|github]

  FILE, DIR      .xpol files, or directories searched for *.xpol; files in one directory form one policy
  --format FMT   text (default): rendered diagnostics and a summary; json: an array of diagnostics;
                 junit: JUnit XML, a test case per file; github: GitHub Actions ::error annotations`;

export interface SourceText {
  readonly path: string;
  readonly text: string;
}

export interface ParsedSource extends SourceText {
  readonly ast: PolicyFile;
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

/** Parses each file, then type-checks them together as one policy. */
export function checkSources(files: readonly SourceText[], options: CheckSourcesOptions = {}): CheckSourcesResult {
  const sources = new Map(files.map((f) => [f.path, new SourceFile(f.path, f.text)]));
  const diagnostics: Diagnostic[] = [];
  const parsed: ParsedSource[] = [];
  for (const f of files) {
    const r = parsePolicy(f.text, f.path);
    diagnostics.push(...r.diagnostics);
    parsed.push({ path: f.path, text: f.text, ast: r.ast });
  }
  // Syntax errors leave declarations out of the AST; checking what remains would report consequences (unknown
  // actions, missing rules) of the syntax errors rather than new problems, so the checker runs on clean parses.
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics, sources };
  // Files without any `policy` header are a stdlib-style module, checked on its own terms.
  const module = parsed.every((p) => p.ast.header === null);
  const checked = checkPolicy(parsed, { ...(options.readFile === undefined ? {} : { readFile: options.readFile }), module });
  diagnostics.push(...checked.diagnostics);
  for (const s of checked.sources) if (!sources.has(s.path)) sources.set(s.path, new SourceFile(s.path, s.text));
  return { diagnostics, sources };
}

/** The file's text, or a diagnostic when it cannot be read or is not UTF-8. */
function readSource(
  path: string,
  cwd: string,
): { text: string } | { error: Diagnostic; unreadable: boolean; lossy?: string } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(resolve(cwd, path));
  } catch (e: unknown) {
    return { error: diagnostic(Diagnostics.unreadableFile, { start: 0, end: 0 }, [path, fileErrorReason(e)], { file: path }), unreadable: true };
  }
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    // Point at the first undecodable sequence (the lossy decoding shows it as U+FFFD).
    const lossy = new TextDecoder("utf-8").decode(bytes);
    const at = Math.max(0, lossy.indexOf("\ufffd"));
    return {
      error: diagnostic(Diagnostics.invalidTextEncoding, { start: at, end: at + 1 }, [], {
        file: path,
        help: "policy files are UTF-8 text",
      }),
      unreadable: false,
      lossy,
    };
  }
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
  // One policy per directory.
  const groups = new Map<string, SourceText[]>();
  for (const p of paths) {
    const r = readSource(p, io.cwd);
    if ("error" in r) {
      diagnostics.push(r.error);
      if (r.lossy !== undefined) sources.set(p, new SourceFile(p, r.lossy));
      unreadable ||= r.unreadable;
      continue;
    }
    sources.set(p, new SourceFile(p, r.text));
    const dir = dirname(resolve(io.cwd, p));
    groups.set(dir, [...(groups.get(dir) ?? []), { path: p, text: r.text }]);
  }
  const readFile = (p: string): string | Error => defaultReadFile(resolve(io.cwd, p));
  for (const files of groups.values()) {
    const r = checkSources(files, { readFile });
    diagnostics.push(...r.diagnostics);
    for (const [p, s] of r.sources) if (!sources.has(p)) sources.set(p, s);
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
