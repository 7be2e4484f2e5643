// xpol check-value DIR --seq N --field PATH --value JSON [--key FILE]
//
// Checks a claimed value of a `@sensitive` field against receipt N of a log: receipts record such a value only as
// its keyed commitment (HMAC-SHA256 under the runtime's redaction key, receipts/redaction.ts), so whoever holds the
// key, and only they, can confirm a value; nobody can read it back. Exit 0: it matches; 1: it does not, or the
// receipt holds no commitment there; 3: the log or the key cannot be read. Check the log itself with `xpol verify`.
import path from "node:path";
import { readReceipts } from "../../receipts/read.ts";
import { checkSensitiveValue, readRedactionKeyFile } from "../../receipts/redaction.ts";
import { REDACTION_KEY_FILE } from "../../store/durable.ts";
import type { JsonValue } from "../../ir/types.ts";
import { ExitCode, usageExit, type CliIO } from "../io.ts";

const USAGE = `usage: xpol check-value DIR --seq N --field PATH --value JSON [--key FILE]

  DIR           a receipt log directory (a state directory)
  --seq N       the receipt that recorded the value
  --field PATH  the committed field, as the receipt's \`redaction.fields\` lists it (e.g. action.params.iban)
  --value JSON  the claimed value, as JSON (a string is quoted: '"DE89..."')
  --key FILE    the redaction key (default: DIR/${REDACTION_KEY_FILE})`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const flags = new Map<string, string>();
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") return usageExit(io, "check-value", "", USAGE);
    const m = /^--(seq|field|value|key)(?:=(.*))?$/s.exec(a);
    if (m !== null) {
      const v = m[2] ?? argv[++i];
      if (v === undefined) return usageExit(io, "check-value", `--${m[1]} needs a value`, USAGE);
      flags.set(m[1]!, v);
    } else if (!a.startsWith("-") && dir === undefined) dir = a;
    else return usageExit(io, "check-value", `unexpected argument \`${a}\``, USAGE);
  }
  const missing = dir === undefined ? "DIR" : (["seq", "field", "value"].find((f) => !flags.has(f)) ?? null);
  if (missing !== null) return usageExit(io, "check-value", `${missing === "DIR" ? "DIR" : `--${missing}`} is required`, USAGE);
  const seqText = flags.get("seq")!;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(seqText)) return usageExit(io, "check-value", `--seq must be a non-negative integer, got \`${seqText}\``, USAGE);
  let claimed: JsonValue;
  try {
    claimed = JSON.parse(flags.get("value")!) as JsonValue;
  } catch {
    return usageExit(io, "check-value", "--value must be JSON (quote a string: '\"text\"')", USAGE);
  }
  const abs = path.resolve(io.cwd, dir!);
  const key = await readRedactionKeyFile(path.resolve(io.cwd, flags.get("key") ?? path.join(abs, REDACTION_KEY_FILE)));
  if (!key.ok) {
    io.stderr(`xpol check-value: ${key.error}`);
    return ExitCode.unreadable;
  }
  const seq = Number(seqText);
  for await (const item of readReceipts(abs)) {
    if (!item.ok) {
      io.stderr(`xpol check-value: ${item.message}`);
      return item.problem === "unreadable" ? ExitCode.unreadable : ExitCode.findings;
    }
    if (item.receipt.seq !== seq) continue;
    const field = flags.get("field")!;
    const r = checkSensitiveValue(item.receipt.body, field, claimed, key.value);
    if (!r.ok) {
      io.stderr(`xpol check-value: receipt ${seq}: ${r.error}`);
      return ExitCode.findings;
    }
    io.stdout(r.matches ? `receipt ${seq}: \`${field}\` matches the claimed value` : `receipt ${seq}: \`${field}\` does NOT match the claimed value`);
    return r.matches ? ExitCode.ok : ExitCode.findings;
  }
  io.stderr(`xpol check-value: the log in \`${dir}\` has no receipt ${seq}`);
  return ExitCode.findings;
}
