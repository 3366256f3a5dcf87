import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real-sandbox tests spawn bwrap and processes; give them room but keep a ceiling.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Sandboxing tests are process-heavy; two workers match the 2-vCPU CI machines.
    maxWorkers: 2,
  },
});
