import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Packing, installing from the npm cache and downloading Node binaries on a cold cache take minutes, not seconds.
    testTimeout: 240_000,
    hookTimeout: 300_000,
  },
});
