// xpol keygen --out NAME
//
// Writes an Ed25519 key pair: NAME.key (private, mode 0600, never overwritten) and NAME.pub (`ed25519:<hex>`).
import path from "node:path";
import { formatPublicKey, generateKeyPair, keyIdOf, writeKeyFiles } from "../../receipts/keys.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";

const USAGE = `usage: xpol keygen --out NAME

  --out NAME   write NAME.key (private key, mode 0600) and NAME.pub (public key)`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "-h" || a === "--help") return usageExit(io, "keygen", "", USAGE);
    if (a === "--out" && argv[i + 1] !== undefined) out = argv[++i];
    else if (a.startsWith("--out=")) out = a.slice("--out=".length);
    else {
      return usageExit(io, "keygen", `unexpected argument \`${a}\``, USAGE);
    }
  }
  if (out === undefined || out === "") return usageExit(io, "keygen", "--out NAME is required", USAGE);
  const pair = generateKeyPair();
  try {
    const { keyFile, pubFile } = await writeKeyFiles(path.resolve(io.cwd, out), pair);
    io.stdout(`wrote ${path.relative(io.cwd, keyFile)} (private, keep it secret) and ${path.relative(io.cwd, pubFile)}`);
    io.stdout(`public key: ${formatPublicKey(pair.publicKey)}`);
    io.stdout(`key id:     ${keyIdOf(pair.publicKey)}`);
    return ExitCode.ok;
  } catch (e: unknown) {
    const code = (e as { code?: unknown }).code;
    const why = code === "EEXIST" ? "the file exists (keys are never overwritten)" : e instanceof Error ? e.message : String(e);
    io.stderr(`xpol keygen: cannot write the key files: ${why}`);
    return code === "EEXIST" ? ExitCode.findings : ExitCode.unreadable;
  }
}
