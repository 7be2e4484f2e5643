// xpol serve --policy PATH... [--state DIR] [--listen 127.0.0.1:8181] ...
//
// The HTTP decision service lives in its own package, `@execlayer/server` (Fastify, pino, prom-client), so the core
// carries no server dependency. This command loads that package on demand and hands it the arguments; when it is
// not installed, it says how to install it and exits 3 (like any input that cannot be read).
import { Diagnostics } from "../../diagnostics/catalogue.ts";
import { ExitCode, type CliIO } from "../io.ts";

export const SERVER_PACKAGE = "@execlayer/server";

/** What the command needs of the server package. */
interface ServerModule {
  runServeCommand(argv: readonly string[], io: CliIO): Promise<number>;
}

/** The server package, or null when it is not installed. Other failures (a broken install) propagate. */
export async function loadServerPackage(specifier: string = SERVER_PACKAGE): Promise<ServerModule | null> {
  let loaded: Partial<ServerModule>;
  try {
    // a computed specifier: the package is optional, resolved at run time only (no build-time dependency)
    loaded = (await import(specifier)) as Partial<ServerModule>;
  } catch (e: unknown) {
    const err = e as NodeJS.ErrnoException;
    if ((err.code === "ERR_MODULE_NOT_FOUND" || /Cannot find (package|module)/.test(err.message ?? "")) && (err.message ?? "").includes(specifier)) return null;
    throw e;
  }
  return typeof loaded.runServeCommand === "function" ? (loaded as ServerModule) : null;
}

export async function run(argv: readonly string[], io: CliIO, specifier: string = SERVER_PACKAGE): Promise<number> {
  const server = await loadServerPackage(specifier);
  if (server === null) {
    io.stderr(`xpol serve: ${Diagnostics.serviceNotInstalled.code}: ${Diagnostics.serviceNotInstalled.message(specifier)}`);
    return ExitCode.unreadable;
  }
  return server.runServeCommand(argv, io);
}
