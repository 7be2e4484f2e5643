// xpol compile FILE... [-o bundle.json]: checks the policy and writes it as a bundle (stdout without -o).
// Warnings go to stderr and do not fail the build; any error does (exit 1) and writes nothing.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { formatDiagnostics } from "../../compile/load.ts";
import { runPolicyPipeline } from "../../compile/pipeline.ts";
import { toBundle } from "../../compile/bundle.ts";

const USAGE = `usage: xpol compile FILE... [-o BUNDLE.json]

  FILE       .xpol files forming one policy
  -o FILE    where to write the bundle (default: stdout)`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const files: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-o" || a === "--output") {
      out = argv[++i];
      if (out === undefined) return usageExit(io, "compile", `${a} needs a file`, USAGE);
    } else if (a === "-h" || a === "--help") {
      return usageExit(io, "compile", "", USAGE);
    } else if (a.startsWith("-")) {
      return usageExit(io, "compile", `unknown option \`${a}\``, USAGE);
    } else {
      files.push(a);
    }
  }
  if (files.length === 0) return usageExit(io, "compile", "give at least one policy file", USAGE);
  // the pipeline `xpol check` and `compilePolicy` run: the same diagnostics for the same files
  const r = runPolicyPipeline({ files, cwd: io.cwd });
  if (r.diagnostics.length > 0) io.stderr(formatDiagnostics(r.diagnostics, r.sources));
  if (r.unreadable) return ExitCode.unreadable;
  if (r.policy === null) return ExitCode.findings;
  const json = JSON.stringify(toBundle(r.policy), null, 2) + "\n";
  if (out === undefined) {
    io.stdout(json);
  } else {
    try {
      writeFileSync(resolve(io.cwd, out), json);
    } catch (e: unknown) {
      io.stderr(`xpol compile: cannot write \`${out}\`: ${e instanceof Error ? e.message : String(e)}`);
      return ExitCode.unreadable;
    }
    io.stderr(`wrote ${out} (${r.policy.name} ${r.policy.version ?? ""}, ${r.policy.digest})`.replace(" ,", ","));
  }
  return ExitCode.ok;
}
