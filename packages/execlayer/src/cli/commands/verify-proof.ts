// xpol verify-proof FILE --key PUB
//
// Checks a proof written by `xpol prove` with the public key alone: the checkpoint's signature, the receipt's
// signature, and the inclusion path from the receipt to the checkpoint's root. FILE `-` reads stdin.
import { promises as fs } from "node:fs";
import path from "node:path";
import { resolvePublicKey } from "../../receipts/keys.ts";
import { verifyReceiptProof } from "../../receipts/proof.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";

const USAGE = `usage: xpol verify-proof FILE --key PUB

  FILE        a proof written by \`xpol prove\` (\`-\` for stdin)
  --key PUB   the signer's public key: a .pub file or \`ed25519:<64 hex>\``;

async function readInput(file: string, io: CliIO): Promise<string> {
  if (file !== "-") return fs.readFile(path.resolve(io.cwd, file), "utf8");
  if (io.stdin === undefined) throw new Error("there is no standard input here");
  return io.stdin();
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let file: string | undefined;
  let key: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "-h" || a === "--help") return usageExit(io, "verify-proof", "", USAGE);
    if (a === "--key" && argv[i + 1] !== undefined) key = argv[++i];
    else if (a.startsWith("--key=")) key = a.slice("--key=".length);
    else if ((a === "-" || !a.startsWith("-")) && file === undefined) file = a;
    else {
      return usageExit(io, "verify-proof", `unexpected argument \`${a}\``, USAGE);
    }
  }
  if (file === undefined || key === undefined) return usageExit(io, "verify-proof", `${file === undefined ? "FILE" : "--key PUB"} is required`, USAGE);
  const pub = await resolvePublicKey(key, io.cwd);
  if (!pub.ok) {
    io.stderr(`xpol verify-proof: ${pub.error}`);
    return pub.unreadable === true ? ExitCode.unreadable : ExitCode.usage;
  }
  let data: unknown;
  try {
    data = JSON.parse(await readInput(file, io));
  } catch (e: unknown) {
    io.stderr(`xpol verify-proof: cannot read \`${file}\` as JSON: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.unreadable;
  }
  const result = verifyReceiptProof(data, pub.value);
  if (!result.ok) {
    io.stderr(`xpol verify-proof: proof does NOT verify: ${result.error}`);
    return ExitCode.findings;
  }
  const { receipt, checkpoint, seal } = result.value;
  const where = checkpoint !== undefined ? `${checkpoint.origin} at tree size ${checkpoint.size}` : `the log sealed by receipt ${seal?.seq ?? "?"} (${seal?.time ?? "?"})`;
  io.stdout(`ok: receipt ${receipt.seq} (${receipt.kind}, ${receipt.time}) is in ${where}`);
  return ExitCode.ok;
}
