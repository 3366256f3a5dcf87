/**
 * What a test needs from the machine: bwrap, the srt-test user, nc, a C
 * compiler, kernel headers… On a developer's machine a missing piece is a
 * named skip, so the rest still runs. Under CI it is a failure: .ci/run
 * installs all of it, so something missing there means a broken machine, and a
 * green run that quietly skipped the unprivileged half would claim coverage it
 * never had.
 */
import { it } from "vitest";

/** Set by CI systems (and by .ci/run's caller); "false" and "0" mean not CI, as vitest reads it. */
export const ci = !["", "0", "false", undefined].includes(process.env["CI"]);

/**
 * Registers the place of tests that cannot run here, named by what is
 * missing: a skipped entry locally, a failing one under CI.
 */
export function unavailable(why: string): void {
  if (!ci) {
    it.skip(why, () => undefined);
    return;
  }
  it(`required under CI: ${why}`, () => {
    throw new Error(`${why} — CI must run every test; .ci/run installs what they need`);
  });
}

/**
 * For `describe.skipIf(…)`: whether the tests in it lack something. When they
 * do, `why` is registered with `unavailable` beside them, so the skip is never
 * silent, and under CI it fails the run.
 */
export function lacking(missing: boolean, why: string): boolean {
  if (missing) unavailable(why);
  return missing;
}
