import { defineConfig } from "vitest/config";

// `import "execlayer"` and `import "@execlayer/ai-sdk"` resolve to the sources (the "@execlayer/source" condition).
const conditions = ["@execlayer/source", "module", "node", "development|production"];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
