import { defineConfig } from "vitest/config";

// .ci/run asks for a JSON report as well, to check that nothing was skipped (scripts/test-summary.mjs).
const report = process.env["SRT_TEST_REPORT"];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
    // Real-sandbox tests spawn bwrap and processes; give them room but keep a ceiling.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Sandboxing tests are process-heavy; two workers match the 2-vCPU CI machines.
    maxWorkers: 2,
  },
});
