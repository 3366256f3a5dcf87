/**
 * Temporary directories for tests, removed when the test file finishes — the
 * suite runs on developers' machines and in CI, and leaves nothing in /tmp.
 * Import it at the top of a test file (the cleanup hook belongs to that file).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
