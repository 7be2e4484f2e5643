import { defineConfig } from "vitest/config";

// `import "execlayer"` and `import "@execlayer/postgres"` resolve to the sources (the "@execlayer/source" condition),
// as in the core package. One throwaway PostgreSQL cluster for the whole run (test/global-setup.ts).
const conditions = ["@execlayer/source", "module", "node", "development|production"];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // the files share one server; run them one after another so their loads do not interleave on a 2-core machine
    fileParallelism: false,
  },
});
