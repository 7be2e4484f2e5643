// `xpol`: one file per command under commands/, loaded on demand so a command's dependencies cost only its users.
import { ExitCode, processIO, type CliIO, type CommandRunner } from "./io.ts";
import { packageVersion } from "./version.ts";

interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<{ run: CommandRunner }>;
}

// Each command module exports `run(args, io)`; add one line here per command.
const commands: Record<string, CommandEntry> = {
  check: { summary: "parse and type-check policies, print every diagnostic (--format json)", load: () => import("./commands/check.ts") },
  keygen: { summary: "generate an Ed25519 key pair (NAME.key, NAME.pub)", load: () => import("./commands/keygen.ts") },
  verify: { summary: "verify a receipt log offline with the signer's public key", load: () => import("./commands/verify.ts") },
  prove: { summary: "print an inclusion proof for one receipt (JSON)", load: () => import("./commands/prove.ts") },
  "check-value": { summary: "check a claimed @sensitive value against its keyed commitment in a receipt (needs the redaction key)", load: () => import("./commands/check-value.ts") },
  "verify-proof": { summary: "check an inclusion proof without the log", load: () => import("./commands/verify-proof.ts") },
  eval: { summary: "decide one action (or one per line) against a policy", load: () => import("./commands/eval.ts") },
  compile: { summary: "check a policy and write it as a bundle", load: () => import("./commands/compile.ts") },
  approvals: { summary: "list or show the open approval requests of a state directory or a service", load: () => import("./commands/approvals.ts") },
  approve: { summary: "sign and submit an approval (or a rejection) of a request", load: () => import("./commands/approve.ts") },
  sign: { summary: "sign an approval offline from a request's JSON (submit it with approve --signed)", load: () => import("./commands/sign.ts") },
  "sign-bundle": { summary: "approve a policy bundle as one of its M-of-N policy approvers (--verify: check the quorum)", load: () => import("./commands/sign-bundle.ts") },
  test: { summary: "run the test and property blocks of policies (--coverage, --format junit|github|json)", load: () => import("./commands/test.ts") },
  db: { summary: "migrate the PostgreSQL state database, or export its receipt chains (--postgres URL)", load: () => import("./commands/db.ts") },
  fmt: { summary: "format .xpol files in place (--check: list the unformatted ones)", load: () => import("./commands/fmt.ts") },
  diff: { summary: "what changed between two policies: declarations, then inputs decided differently (as test blocks)", load: () => import("./commands/diff.ts") },
  replay: { summary: "decide a receipt log's decisions again under a new policy and report what changes", load: () => import("./commands/replay.ts") },
  serve: { summary: "run the HTTP decision service (needs the package @execlayer/server)", load: () => import("./commands/serve.ts") },
  mcp: { summary: "enforce the policy on an MCP server's tool calls, as a proxy (needs the package @execlayer/mcp)", load: () => import("./commands/mcp.ts") },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ["usage: xpol <command> [options]", "", "commands:", ...lines, "", "exit codes: 0 ok, 1 findings, 2 usage error, 3 unreadable input, 4 (xpol test) a policy that does not compile; xpol eval --exit-code: 5 denied, 6 approval required"].join("\n");
}

export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === "--version" || name === "-V") {
    io.stdout(packageVersion());
    return ExitCode.ok;
  }
  const entry = commands[name];
  if (entry === undefined) {
    io.stderr(`xpol: unknown command \`${name}\`\n\n${usage()}`);
    return ExitCode.usage;
  }
  try {
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (e: unknown) {
    // A command reports its own failures; reaching here is a bug, still shown without a stack trace.
    io.stderr(`xpol ${name}: internal error: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.findings;
  }
}
