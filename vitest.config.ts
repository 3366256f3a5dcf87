import { configDefaults, defineConfig } from "vitest/config";

// .ci/run asks for a JSON report as well, to check that nothing was skipped (scripts/test-summary.mjs).
const report = process.env["SRT_TEST_REPORT"];

// Test files whose sandboxes make the shared /tmp writable: srt then protects (and may create
// placeholders in) every other test's directory there, and a directory another test removes
// meanwhile stops such a run (fail closed). They run alone, after everything else.
const sharedTmp = ["test/linux/seed-settings.test.ts"];

export default defineConfig({
  test: {
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
    // Real-sandbox tests spawn bwrap and processes; give them room but keep a ceiling.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Sandboxing tests are process-heavy; two workers match the 2-vCPU CI machines.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "srt",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...sharedTmp],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: "shared-tmp", include: sharedTmp, sequence: { groupOrder: 1 } } },
    ],
  },
});
