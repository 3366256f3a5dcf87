// CI's verdict on a test run, from vitest's JSON report (SRT_TEST_REPORT, see
// vitest.config.ts). vitest is green when nothing failed; CI asks for more:
// a run that skipped tests, or ran none, did not test what it claims to, so
// it fails too. The last line is always `N passed, N failed, N skipped`, the
// shape CI readers look for.
//
//   node scripts/test-summary.mjs report.json
import { readFileSync } from "node:fs";

const file = process.argv[2];
if (file === undefined) {
  console.error("usage: node scripts/test-summary.mjs report.json");
  process.exit(2);
}

let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  // npm test stops at the first failing step; the ones before vitest write no report.
  console.log(`srt: no test report in ${file} (${e.code ?? e.message}): the run stopped before the tests finished`);
  process.exit(1);
}

const tests = report.testResults.flatMap((f) => f.assertionResults.map((t) => ({ ...t, file: f.name })));
const passed = tests.filter((t) => t.status === "passed");
const failed = tests.filter((t) => t.status === "failed");
const skipped = tests.filter((t) => !["passed", "failed"].includes(t.status));
// A file that failed to load or whose hooks failed has no failing test to show for it.
const brokenFiles = report.testResults.filter(
  (f) => f.status === "failed" && !f.assertionResults.some((t) => t.status === "failed"),
);

const where = (t) => `${t.file.replace(process.cwd() + "/", "")} > ${t.fullName}`;
for (const t of skipped) console.log(`skipped (CI runs everything): ${where(t)}`);
for (const f of brokenFiles)
  console.log(
    `failed outside any test: ${f.name.replace(process.cwd() + "/", "")}: ${(f.message ?? "").split("\n")[0]}`,
  );
if (tests.length === 0) console.log("no tests ran");

const failures = failed.length + brokenFiles.length;
console.log(`${passed.length} passed, ${failures} failed, ${skipped.length} skipped`);
process.exit(failures === 0 && skipped.length === 0 && passed.length > 0 && report.success ? 0 : 1);
