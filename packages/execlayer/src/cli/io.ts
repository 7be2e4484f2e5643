// What a command needs from the outside world, so commands are testable without spawning processes.

export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  /** all of standard input, for commands that read `-`; absent: there is none */
  readonly stdin?: () => Promise<string>;
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text.endsWith("\n") ? text : text + "\n"),
  stderr: (text) => process.stderr.write(text.endsWith("\n") ? text : text + "\n"),
  cwd: process.cwd(),
  stdin: readProcessStdin,
};

/** Exit codes, the same for every command. */
export const ExitCode = {
  ok: 0,
  /** errors in the input, failed tests, unformatted files, verification failures */
  findings: 1,
  /** bad flags or arguments */
  usage: 2,
  /** a file that cannot be read */
  unreadable: 3,
  /** `xpol test`: a policy does not compile, so its tests did not run */
  notCompiled: 4,
  /** `xpol eval --exit-code`: a decision was deny */
  denied: 5,
  /** `xpol eval --exit-code`: a decision requires approval (none was deny) */
  approvalRequired: 6,
} as const;

export type CommandRunner = (args: readonly string[], io: CliIO) => Promise<number>;

/**
 * How a command ends on its own arguments: `problem` empty means `--help` was asked for (usage on stdout, exit 0);
 * otherwise the problem and the usage go to stderr (exit 2).
 */
export function usageExit(io: CliIO, command: string, problem: string, usage: string): number {
  if (problem === "") {
    io.stdout(usage);
    return ExitCode.ok;
  }
  io.stderr(`xpol ${command}: ${problem}\n\n${usage}`);
  return ExitCode.usage;
}
