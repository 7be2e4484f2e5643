// `--postgres URL`: the commands that keep state in PostgreSQL load the integration package @execlayer/postgres when
// they run, so neither it nor its driver (`pg`) is a dependency of the core. Its name is in a variable: the type
// checker and the layer rules never follow it. Without the package installed, the command says how to get it.
import type { Receipt } from "../receipts/receipt.ts";
import type { StateStore } from "../runtime/store.ts";
import type { Signer } from "../receipts/signer.ts";
import type { VerifyLogResult } from "../receipts/verify-log.ts";
import type { Result } from "../vocabulary/result.ts";
import { readRedactionKeyFile, type RedactionKey } from "../receipts/redaction.ts";
import { resolve } from "node:path";
import { ExitCode, type CliIO } from "./io.ts";

export const POSTGRES_PACKAGE = "@execlayer/postgres";

/**
 * What the CLI uses of @execlayer/postgres (checked when loaded; packages/postgres/test/cli.test.ts holds the package
 * to this type at compile time, since the core cannot import the package's own types).
 */
export interface PostgresModule {
  readonly PostgresStore: { connect(url: string, options?: { readonly signer?: Signer; readonly replica?: string; readonly redactionKey?: RedactionKey }): Promise<StateStore<Receipt>> };
  migrate(url: string, options?: { readonly redactionKey?: RedactionKey }): Promise<{ readonly from: number; readonly to: number; readonly applied: readonly number[] }>;
  exportChains(url: string, dir: string): Promise<{ readonly chains: readonly ChainInfo[] }>;
  verifyChains(
    url: string,
    options?: { readonly keys?: readonly Uint8Array[] },
  ): Promise<{ readonly ok: boolean; readonly keysFromDatabase: boolean; readonly chains: readonly (ChainInfo & { readonly ok: boolean; readonly result: VerifyLogResult; readonly unknownKey?: true })[] }>;
}

/** A chain as the CLI prints it: the part of the package's `ChainExport` it reads. */
export interface ChainInfo {
  readonly id: string;
  readonly replica: string;
  readonly keyId: string;
  readonly publicKey: string;
  readonly receipts: number;
  readonly checkpoints: number;
  readonly closed: boolean;
  readonly dir: string;
}

/** Loads @execlayer/postgres (`name`: tests), or says why it cannot be used. */
export async function loadPostgres(name: string = POSTGRES_PACKAGE): Promise<Result<PostgresModule>> {
  let mod: Partial<PostgresModule>;
  try {
    mod = (await import(name)) as Partial<PostgresModule>;
  } catch (e: unknown) {
    const code = (e as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((e as Error).message).includes(name)) {
      return { ok: false, error: `--postgres needs the package ${name}, which is not installed: npm install ${name}` };
    }
    return { ok: false, error: `cannot load ${name}: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof mod.PostgresStore?.connect !== "function" || typeof mod.migrate !== "function" || typeof mod.exportChains !== "function" || typeof mod.verifyChains !== "function") {
    return { ok: false, error: `${name} does not provide what this version of xpol needs (PostgresStore, migrate, exportChains, verifyChains): install a matching version` };
  }
  return { ok: true, value: mod as PostgresModule };
}

/** `--redaction-key FILE`: the fleet's redaction key, or prints why not and returns the exit code. */
export async function readFleetKey(file: string, command: string, io: CliIO): Promise<RedactionKey | number> {
  const key = await readRedactionKeyFile(resolve(io.cwd, file));
  if (key.ok) return key.value;
  io.stderr(`xpol ${command}: the redaction key: ${key.error}`);
  return key.unreadable === true ? ExitCode.unreadable : ExitCode.usage;
}
