// `npm run xpol -- ARGS`: the CLI on the sources through tsx, for working on it without rebuilding dist/.
import { main } from "../src/cli/main.ts";

process.exitCode = await main(process.argv.slice(2));
