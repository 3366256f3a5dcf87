/** CI's verdict (scripts/test-summary.mjs): skipped, empty or unreported runs fail, and the last line says the counts. */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo.js";
import { tempDir } from "../support/temp.js";

type Status = "passed" | "failed" | "skipped" | "pending" | "todo";
const file = (
  name: string,
  statuses: readonly Status[],
  status = statuses.includes("failed") ? "failed" : "passed",
  message = "",
) => ({
  name: `${repoRoot}${name}`,
  status,
  message,
  assertionResults: statuses.map((s, i) => ({ fullName: `case ${i}`, status: s })),
});

function summarize(report: unknown): { status: number | null; lines: string[] } {
  const path = join(tempDir("srt-summary-"), "report.json");
  if (report !== undefined) writeFileSync(path, typeof report === "string" ? report : JSON.stringify(report));
  const r = spawnSync(process.execPath, [`${repoRoot}scripts/test-summary.mjs`, path], {
    encoding: "utf8",
    cwd: repoRoot,
  });
  return { status: r.status, lines: r.stdout.trimEnd().split("\n") };
}

describe("test-summary", () => {
  it("a complete green run passes and ends with the counts", () => {
    const r = summarize({
      success: true,
      testResults: [file("test/a.test.ts", ["passed", "passed"]), file("test/b.test.ts", ["passed"])],
    });
    expect(r).toEqual({ status: 0, lines: ["3 passed, 0 failed, 0 skipped"] });
  });

  it("any skipped, pending or todo test fails the run and is named", () => {
    const r = summarize({ success: true, testResults: [file("test/a.test.ts", ["passed", "skipped", "todo"])] });
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([
      "skipped (CI runs everything): test/a.test.ts > case 1",
      "skipped (CI runs everything): test/a.test.ts > case 2",
      "1 passed, 0 failed, 2 skipped",
    ]);
  });

  it("failed tests, and files that failed outside any test, count as failures", () => {
    const r = summarize({
      success: false,
      testResults: [
        file("test/a.test.ts", ["passed", "failed"]),
        file("test/b.test.ts", [], "failed", "boom at import\nstack"),
      ],
    });
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([
      "failed outside any test: test/b.test.ts: boom at import",
      "1 passed, 2 failed, 0 skipped",
    ]);
  });

  it("no tests at all, or no report, is a failure", () => {
    expect(summarize({ success: true, testResults: [] })).toEqual({
      status: 1,
      lines: ["no tests ran", "0 passed, 0 failed, 0 skipped"],
    });
    const missing = summarize(undefined);
    expect(missing.status).toBe(1);
    expect(missing.lines.at(-1)).toMatch(/no test report .*ENOENT/);
    expect(summarize("").status).toBe(1);
  });
});
