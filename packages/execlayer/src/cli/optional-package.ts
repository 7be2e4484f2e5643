// Commands whose code lives in an optional package (`xpol serve` in @execlayer/server, `xpol mcp` in @execlayer/mcp):
// the core carries none of their dependencies. The package is loaded on demand by a computed specifier and handed the
// arguments; when it is not installed, the command says how to install it (XP8210) and exits 3 (like any input that
// cannot be read).
import { Diagnostics } from "../diagnostics/catalogue.ts";
import { ExitCode, type CliIO } from "./io.ts";

type CommandFn = (argv: readonly string[], io: CliIO) => Promise<number>;

/** The package's command function `name`, or null when the package is not installed. Other failures propagate. */
export async function loadOptionalCommand(specifier: string, name: string): Promise<CommandFn | null> {
  let loaded: Record<string, unknown>;
  try {
    // a computed specifier: the package is optional, resolved at run time only (no build-time dependency)
    loaded = (await import(specifier)) as Record<string, unknown>;
  } catch (e: unknown) {
    const err = e as NodeJS.ErrnoException;
    if ((err.code === "ERR_MODULE_NOT_FOUND" || /Cannot find (package|module)/.test(err.message ?? "")) && (err.message ?? "").includes(specifier)) return null;
    throw e;
  }
  const fn = loaded[name];
  return typeof fn === "function" ? (fn as CommandFn) : null;
}

/** Runs `xpol <command>` from its package, or reports XP8210 (exit 3) when the package is missing. */
export async function runOptionalCommand(command: string, specifier: string, name: string, argv: readonly string[], io: CliIO): Promise<number> {
  const fn = await loadOptionalCommand(specifier, name);
  if (fn === null) {
    io.stderr(`xpol ${command}: ${Diagnostics.serviceNotInstalled.code}: ${Diagnostics.serviceNotInstalled.message(specifier, command)}`);
    return ExitCode.unreadable;
  }
  return fn(argv, io);
}
