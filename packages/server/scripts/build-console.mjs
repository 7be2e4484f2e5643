// Builds the approval console into dist/console: the page's module bundled with the core code it runs (the approval
// statement's bytes, the key file parser, the Ed25519 signer, the receipt verifiers: the same code the CLI runs),
// plus index.html and console.css copied as they are. Run by the package's build (so by `npm ci` and `npm test`).
//
// The core is written for Node; in the browser, node:crypto becomes console/shims/node-crypto.ts (the same hash
// functions from @noble/hashes, the core's own dependency), the file and worker modules a stub that throws (bundled
// because they share files with the pure functions, never called), and Buffer the `buffer` package. The core's
// modules are marked free of side effects, so only what the page imports is bundled (noble.ts excepted: importing
// it configures noble's SHA-512).
import { copyFileSync, mkdirSync } from "node:fs";
import * as esbuild from "esbuild";

const here = (p) => new URL(p, import.meta.url).pathname;
const out = here("../dist/console/");
mkdirSync(out, { recursive: true });

const shims = {
  name: "execlayer-browser",
  setup(build) {
    build.onResolve({ filter: /^node:crypto$/ }, () => ({ path: here("../console/shims/node-crypto.ts") }));
    build.onResolve({ filter: /^node:/ }, () => ({ path: here("../console/shims/node-unavailable.ts") }));
    const pure = async (args) => {
      if (args.pluginData === "resolved") return undefined;
      const r = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: "resolved" });
      if (r.errors.length > 0) return { errors: r.errors };
      const core = r.path.includes("/execlayer/src/") || r.path.includes("/execlayer/dist/");
      return { path: r.path, sideEffects: !(core && !/\/noble\.(ts|js)$/.test(r.path)) };
    };
    build.onResolve({ filter: /^execlayer(\/receipts)?$/ }, pure);
    build.onResolve({ filter: /^\.\.?\/.*\.(ts|js)$/ }, pure);
  },
};

const result = await esbuild.build({
  entryPoints: [here("../console/src/main.ts")],
  outfile: `${out}console.js`,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  // the core's sources (the package's own condition), so the bundle never depends on a stale dist/
  conditions: ["@execlayer/source"],
  inject: [here("../console/shims/buffer.ts")],
  plugins: [shims],
  logLevel: "error",
});
if (result.errors.length > 0) process.exit(1);
for (const f of ["index.html", "console.css"]) copyFileSync(here(`../console/${f}`), `${out}${f}`);
