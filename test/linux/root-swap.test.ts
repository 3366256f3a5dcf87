/**
 * A writable root replaced by a symlink after its plan was compiled. Policy A makes the project
 * writable; plan B (compiled earlier, run with `srt exec`) makes only `build` in it writable. A's
 * command turns `build` into a relative link to `../home/.ssh`. bwrap follows links in a bind's
 * source and destination, so B's writable mount would land on ~/.ssh, which neither policy lets
 * its command write. The compiler refuses such a link when it sees it (planted.ts, SRT306); a plan
 * compiled before the link existed cannot see it: srt refuses the run before it makes anything
 * (its placeholders are made by path and would land in ~/.ssh), and the sandbox's supervisor
 * checks again after the mounts (a link swapped in meanwhile: supervisor-mounts.test.ts).
 */
import { chownSync, statSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  engines,
  missingRunc,
  missingTestUser,
  read,
  runnersFor,
  sh,
  skipReason,
  srt,
  supported,
  useBox,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

describe.skipIf(lacking(!supported, skipReason))("a writable root replaced by a link after compiling", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (missingRunc) unavailable("under runc: runc is not installed");

  // runc too: it resolves a bind's source on the host, and srt builds the destinations' skeleton.
  describe.each(engines.flatMap((e) => runnersFor(e).map((r) => [e, r] as const)))("%s, as %s", (engine, runner) => {
    it.concurrent("srt exec refuses to run the plan, and nothing is written where the link leads", async (ctx) => {
      const b = useBox(ctx, runner, { "work/build": null, "home/.ssh": null });
      // Plan B: only work/build is writable; the plan lies where neither policy writes.
      const settingsB = b.at("b.json");
      // An OCI plan is a bundle directory holding plan.json.
      const out = b.at("b-plan");
      const plan = engine === "bwrap" ? out : `${out}/plan.json`;
      writeFileSync(settingsB, JSON.stringify({ filesystem: { allowWrite: [b.at("work/build")] } }));
      if (runner === "srt-test") chownSync(settingsB, b.uid, b.gid);
      const target = engine === "bwrap" ? "linux" : "oci";
      const compiled = await srt(b, ["compile", "--target", target, "-o", out, settingsB], { cwd: b.outside });
      expect(compiled.status, compiled.stderr).toBe(0);

      // Before: plan B writes in build, as compiled.
      const before = await srt(b, ["exec", plan, "--", "sh", "-c", `echo ok > ${b.at("work/build")}/build-probe`], {
        cwd: b.outside,
      });
      expect(before.status, before.stderr).toBe(0);
      expect(read(b.at("work/build/build-probe"))).toBe("ok\n");

      // Policy A's command (the project writable) plants the link.
      const plant = await sh(b, "mv build build.real && ln -s ../home/.ssh build && echo planted");
      expect(plant.stdout, plant.stderr).toContain("planted");

      // Placeholders are made by path: made through the link, they would appear (and go) in ~/.ssh.
      const ssh = statSync(b.at("home/.ssh"), { bigint: true });
      const attack = await srt(
        b,
        ["exec", plan, "--", "sh", "-c", `echo key > ${b.at("work/build")}/authorized_keys`],
        {
          cwd: b.outside,
        },
      );
      expect(read(b.at("home/.ssh/authorized_keys"))).toBeUndefined();
      expect(attack.status).toBe(1);
      expect(attack.stderr).toContain("SRT552");
      expect(attack.stderr).toContain(b.at("work/build"));
      // Refused before anything was made: nothing was created or removed in ~/.ssh meanwhile.
      const after = statSync(b.at("home/.ssh"), { bigint: true });
      expect([after.mtimeNs, after.ctimeNs]).toEqual([ssh.mtimeNs, ssh.ctimeNs]);
    });
  });
});
