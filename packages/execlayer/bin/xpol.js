#!/usr/bin/env node
// The CLI runs the compiled package (dist/, built by `npm run build`, which `npm ci` runs through the root's
// `prepare`), so an installed execlayer needs neither tsx nor TypeScript at run time.
import { main } from "../dist/cli/main.js";
process.exitCode = await main(process.argv.slice(2));
