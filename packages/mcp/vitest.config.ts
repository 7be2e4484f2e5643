import { defineConfig } from "vitest/config";

// As in the server: `import "execlayer"` and `import "@execlayer/server"` resolve to the sources, never a stale dist/.
const conditions = ["@execlayer/source", "module", "node", "development|production"];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
