import { defineConfig } from "vitest/config";

export default defineConfig({
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
