// xpol mcp --policy PATH... [--state DIR] -- COMMAND ARGS...   (and `xpol mcp discover -- COMMAND ARGS...`)
//
// The MCP proxy lives in its own package, `@execlayer/mcp` (the official MCP SDK, and @execlayer/server for the
// approvals API), so the core carries no MCP dependency (../optional-package.ts).
import type { CliIO } from "../io.ts";
import { runOptionalCommand } from "../optional-package.ts";

export const MCP_PACKAGE = "@execlayer/mcp";

export function run(argv: readonly string[], io: CliIO, specifier: string = MCP_PACKAGE): Promise<number> {
  return runOptionalCommand("mcp", specifier, "runMcpCommand", argv, io);
}
