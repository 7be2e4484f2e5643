import { defineConfig } from "vitest/config";

// Tests that `import "execlayer"` get the sources (the exports map's "@execlayer/source" condition), like the
// type check does, so they never run against a stale dist/. Setting conditions replaces Vite's defaults for the
// server environment, so they are repeated after ours.
const conditions = ["@execlayer/source", "module", "node", "development|production"];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Test files share their worker's module cache: building the Chevrotain parser and transforming the sources once
    // per worker instead of once per file takes the suite from ~150 s to ~35 s on 2 cores. Tests therefore restore
    // any global they touch (spies, cwd) in finally blocks.
    isolate: false,
  },
});
