// xpol keygen --out NAME
// xpol keygen --redaction-key FILE
//
// Writes an Ed25519 key pair: NAME.key (private, mode 0600, never overwritten) and NAME.pub (`ed25519:<hex>`); or a
// redaction key (32 random bytes, mode 0600, never overwritten): the key a fleet of replicas on one PostgreSQL
// database commits `@sensitive` values under, given to each of them (`--redaction-key FILE`).
import path from "node:path";
import { formatPublicKey, generateKeyPair, keyIdOf, writeKeyFiles } from "../../receipts/keys.ts";
import { generateRedactionKey, writeRedactionKeyFile } from "../../receipts/redaction.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";

const USAGE = `usage: xpol keygen --out NAME
       xpol keygen --redaction-key FILE

  --out NAME             write NAME.key (private key, mode 0600) and NAME.pub (public key)
  --redaction-key FILE   write a redaction key (mode 0600): give the same file to every replica of a fleet
                         (\`xpol serve --postgres URL --redaction-key FILE\`, \`xpol db migrate ... --redaction-key FILE\`)`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let out: string | undefined;
  let redaction: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "-h" || a === "--help") return usageExit(io, "keygen", "", USAGE);
    if (a === "--out" && argv[i + 1] !== undefined) out = argv[++i];
    else if (a.startsWith("--out=")) out = a.slice("--out=".length);
    else if (a === "--redaction-key" && argv[i + 1] !== undefined) redaction = argv[++i];
    else {
      return usageExit(io, "keygen", `unexpected argument \`${a}\``, USAGE);
    }
  }
  if (redaction !== undefined) {
    if (out !== undefined) return usageExit(io, "keygen", "give --out NAME or --redaction-key FILE, not both", USAGE);
    if (redaction === "") return usageExit(io, "keygen", "--redaction-key needs a file", USAGE);
    const key = generateRedactionKey();
    try {
      await writeRedactionKeyFile(path.resolve(io.cwd, redaction), key);
    } catch (e: unknown) {
      return cannotWrite(e, io);
    }
    io.stdout(`wrote ${redaction} (a redaction key: keep it secret, give the same file to every replica of the fleet)`);
    io.stdout(`key id:     ${key.keyId}`);
    return ExitCode.ok;
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
    return cannotWrite(e, io);
  }
}

function cannotWrite(e: unknown, io: CliIO): number {
  const code = (e as { code?: unknown }).code;
  const why = code === "EEXIST" ? "the file exists (keys are never overwritten)" : e instanceof Error ? e.message : String(e);
  io.stderr(`xpol keygen: cannot write the key file: ${why}`);
  return code === "EEXIST" ? ExitCode.findings : ExitCode.unreadable;
}
