// xpol db migrate --postgres URL [--redaction-key FILE]
// xpol db export --postgres URL --out DIR
//
// The PostgreSQL state store's database (@execlayer/postgres, loaded on demand): `migrate` brings its schema to the
// version this code uses (replicas refuse any other); `export` writes every replica's receipt chain as a receipt log
// directory (DIR/<chain>/receipts.jsonl, checkpoints.jsonl, runtime.pub, and DIR/chains.json) for offline audit
// with `xpol verify DIR/<chain> --key PUB`.
// Exit 0 done, 1 refused (a schema from the future), 2 usage, 3 the database or the package cannot be used.
import path from "node:path";
import { ExitCode, usageExit, type CliIO } from "../io.ts";
import { loadPostgres, readFleetKey } from "../postgres.ts";
import { StoreError } from "../../runtime/store.ts";

const USAGE = `usage: xpol db migrate --postgres URL [--redaction-key FILE]
       xpol db export --postgres URL --out DIR

  migrate           create or upgrade the ExecLayer tables in the database to this version's schema
  export            write every receipt chain to DIR/<chain>/ (a receipt log \`xpol verify\` checks offline)
  --postgres URL    the database, e.g. postgresql://user@host:5432/db (needs @execlayer/postgres)
  --redaction-key FILE  migrate: record this key (\`xpol keygen --redaction-key FILE\`) as the fleet's: @sensitive
                    values are committed under it, and every replica deciding there must be given the same file
                    (the database keeps only its id; a replica with another key is refused, XP5026)`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") return usageExit(io, "db", sub === undefined ? "give a subcommand" : "", USAGE);
  if (sub !== "migrate" && sub !== "export") return usageExit(io, "db", `unknown subcommand \`${sub}\``, USAGE);
  let url: string | undefined;
  let out: string | undefined;
  let keyFile: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--postgres" && rest[i + 1] !== undefined) url = rest[++i];
    else if (a === "--out" && rest[i + 1] !== undefined && sub === "export") out = rest[++i];
    else if (a === "--redaction-key" && rest[i + 1] !== undefined && sub === "migrate") keyFile = rest[++i];
    else if (a === "-h" || a === "--help") return usageExit(io, "db", "", USAGE);
    else return usageExit(io, "db", `unexpected argument \`${a}\``, USAGE);
  }
  if (url === undefined) return usageExit(io, "db", "--postgres URL is required", USAGE);
  if (sub === "export" && out === undefined) return usageExit(io, "db", "--out DIR is required", USAGE);
  const key = keyFile === undefined ? undefined : await readFleetKey(keyFile, "db", io);
  if (typeof key === "number") return key;
  const pg = await loadPostgres();
  if (!pg.ok) {
    io.stderr(`xpol db: ${pg.error}`);
    return ExitCode.unreadable;
  }
  try {
    if (sub === "migrate") {
      const r = await pg.value.migrate(url, key !== undefined ? { redactionKey: key } : {});
      io.stdout(r.applied.length === 0 ? `ok: schema version ${r.to}, nothing to do` : `ok: schema version ${r.from} -> ${r.to} (applied ${r.applied.join(", ")})`);
      if (key !== undefined) io.stdout(`ok: the fleet's redaction key is ${key.keyId}`);
      return ExitCode.ok;
    }
    const dir = path.resolve(io.cwd, out!);
    const r = await pg.value.exportChains(url, dir);
    for (const c of r.chains) io.stdout(`${c.dir}: ${c.receipts} receipts, ${c.checkpoints} checkpoints, replica ${c.replica}, key ${c.publicKey}${c.closed ? "" : " (not closed)"}`);
    io.stdout(`ok: ${r.chains.length} chain(s) written to ${dir}`);
    return ExitCode.ok;
  } catch (e: unknown) {
    if (e instanceof StoreError || (e instanceof Error && e.name === "StoreError")) {
      const se = e as StoreError;
      io.stderr(`xpol db: ${se.code}: ${se.message}`);
      return se.reason === "schema" || se.reason === "redaction-key" ? ExitCode.findings : ExitCode.unreadable;
    }
    io.stderr(`xpol db: ${e instanceof Error ? e.message : String(e)}`);
    return ExitCode.unreadable;
  }
}
