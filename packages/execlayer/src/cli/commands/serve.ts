// xpol serve --policy PATH... [--state DIR] [--listen 127.0.0.1:8181] ...
//
// The HTTP decision service lives in its own package, `@execlayer/server` (Fastify, pino, prom-client), so the core
// carries no server dependency (../optional-package.ts).
import type { CliIO } from "../io.ts";
import { runOptionalCommand } from "../optional-package.ts";

export const SERVER_PACKAGE = "@execlayer/server";

export function run(argv: readonly string[], io: CliIO, specifier: string = SERVER_PACKAGE): Promise<number> {
  return runOptionalCommand("serve", specifier, "runServeCommand", argv, io);
}
