// xpol prove DIR --seq N
//
// Prints (stdout, JSON) a proof that receipt N is in the log: the receipt, its RFC 9162 inclusion path, and the
// latest signed checkpoint covering it. `xpol verify-proof` checks it without the log.
import path from "node:path";
import { proveReceipt } from "../../receipts/proof.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { promises as fs } from "node:fs";

const USAGE = `usage: xpol prove DIR --seq N

  DIR       a receipt log directory
  --seq N   the receipt to prove`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let dir: string | undefined;
  let seqText: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "-h" || a === "--help") return usageExit(io, "prove", "", USAGE);
    if (a === "--seq" && argv[i + 1] !== undefined) seqText = argv[++i];
    else if (a.startsWith("--seq=")) seqText = a.slice("--seq=".length);
    else if (!a.startsWith("-") && dir === undefined) dir = a;
    else {
      return usageExit(io, "prove", `unexpected argument \`${a}\``, USAGE);
    }
  }
  if (dir === undefined || seqText === undefined) return usageExit(io, "prove", `${dir === undefined ? "DIR" : "--seq N"} is required`, USAGE);
  if (!/^(0|[1-9][0-9]{0,15})$/.test(seqText)) {
    io.stderr(`xpol prove: --seq must be a non-negative integer, got \`${seqText}\``);
    return ExitCode.usage;
  }
  const abs = path.resolve(io.cwd, dir);
  try {
    await fs.access(path.join(abs, "receipts.jsonl"));
  } catch (e: unknown) {
    io.stderr(`xpol prove: cannot read the receipt log in \`${dir}\`: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.unreadable;
  }
  const proof = await proveReceipt(abs, Number(seqText));
  if (!proof.ok) {
    io.stderr(`xpol prove: ${proof.error}`);
    return ExitCode.findings;
  }
  io.stdout(JSON.stringify(proof.value, null, 2));
  return ExitCode.ok;
}
