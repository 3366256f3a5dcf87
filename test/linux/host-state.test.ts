/**
 * srt's own state on the host — the per-user state directory with every run's
 * private directory and the placeholder registry, and what bwrap is handed —
 * cannot be reached from any sandbox, also when the policy makes the temp base
 * writable (as a working directory in /tmp does). Each test is the attack: a
 * command that reads another run's TMPDIR, rewrites or empties the registry,
 * moves the state directory away, or rewrites bwrap's argument file; plus the
 * registry's own guarantees (forged records, per-path reference counts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventually, missingTestUser, runners, startSrt, supported, tree, useBox, type Box } from "./support.js";

/** A run that reports its TMPDIR, runs `setup`, then waits until `release` appears in the box's work dir. */
async function longRun(b: Box, setup = ":", o: { cwd?: string } = {}) {
  const run = startSrt(b, ["--settings", b.settings, "-c", `${setup}; echo tmp=$TMPDIR; while [ ! -e ${join(b.work, "release")} ]; do sleep 0.05; done; echo released=yes`], o);
  let stdout = "";
  run.child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  if (!(await eventually(() => /tmp=\S+\n/.test(stdout), 10_000))) throw new Error(`the long run never started: ${stdout}`);
  const tmp = /tmp=(\S+)\n/.exec(stdout)![1]!;
  return {
    tmp,
    async release() {
      writeFileSync(join(b.work, "release"), "");
      return run.done;
    },
  };
}

describe.skipIf(!supported)("srt's host state", () => {
  if (missingTestUser) it.skip("as srt-test: user srt-test does not exist (useradd -m srt-test)", () => {});

  describe.each(runners)("as %s", (runner) => {
    it.concurrent("bwrap's arguments and seccomp program never exist as files", async (ctx) => {
      const b = useBox(ctx, runner);
      const a = await longRun(b);
      // While the sandbox runs, nowhere in the box (srt's TMPDIR included) is there a file bwrap reads its set-up from.
      const everywhere = tree(b.root).filter((p) => /bwrap|seccomp|\.args$|\.bpf$/.test(p));
      expect(everywhere).toEqual([]);
      expect((await a.release()).status).toBe(0);
    });
  });
});
