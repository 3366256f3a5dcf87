/**
 * `srt doctor` must test the sandbox runs really get. It used to start a
 * hand-written bwrap line (no --args pipe, no masks, no state directory), so
 * it said "ok" on a machine where every run failed — for instance when srt's
 * state directory is unsafe and runs refuse to start. Now its test sandbox is
 * the default policy for a scratch directory, started through the run path;
 * it must pass where runs pass, fail where they fail, and leave nothing behind.
 */
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { missingTestUser, runners, sh, srt, supported, tree, useBox } from "./support.js";

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly fix?: string;
}

const sandboxCheck = (stdout: string): Check | undefined =>
  (JSON.parse(stdout) as Check[]).find((c) => c.name === "sandbox");

describe.skipIf(!supported)("srt doctor's test sandbox", () => {
  if (missingTestUser) it.skip("as srt-test: user srt-test does not exist (useradd -m srt-test)", () => {});

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "is a run of the default policy in a scratch directory, and leaves nothing in the home, the project or srt's state",
      async (ctx) => {
        const b = useBox(ctx, runner);
        const out = await srt(b, ["doctor", "--json"]);
        expect(out.status, out.stderr).toBe(0);
        expect(sandboxCheck(out.stdout)).toMatchObject({
          ok: true,
          detail: expect.stringContaining("the default policy for a scratch directory"),
        });
        // The supervisor and the kernel features it needs (this project's kernel has them all).
        const supervisor = (JSON.parse(out.stdout) as Check[]).find((c) => c.name === "supervisor");
        expect(supervisor).toMatchObject({
          ok: true,
          detail: expect.stringMatching(
            /srt-supervise; seccomp listener yes, SECCOMP_IOCTL_NOTIF_ADDFD yes, synchronous wake-up (yes|no \(Linux < 6\.6)/,
          ),
        });
        // Its placeholders went to the scratch directory, which is gone (useBox checks srt's TMPDIR).
        expect(tree(b.home)).toEqual([]);
        expect(tree(b.work)).toEqual([]);
      },
    );

    it.concurrent(
      "fails where runs fail: with srt's state directory unsafe, the test sandbox reports the runs' own refusal",
      async (ctx) => {
        const b = useBox(ctx, runner);
        const state = join(b.tmp, `srt-${b.uid}`);
        mkdirSync(state, { mode: 0o755 });
        chmodSync(state, 0o755);
        chownSync(state, b.uid, b.gid);
        const run = await sh(b, "echo ran=yes");
        expect(run.stdout).not.toContain("ran=yes");
        expect(run.stderr).toContain("is not safe to use: its mode is 0755");
        const out = await srt(b, ["doctor", "--json"]);
        expect(out.status).toBe(1);
        const check = sandboxCheck(out.stdout);
        expect(check?.ok).toBe(false);
        expect(check?.detail).toContain(
          `a test sandbox did not start: srt's state directory ${state} is not safe to use: its mode is 0755`,
        );
      },
    );
  });
});
