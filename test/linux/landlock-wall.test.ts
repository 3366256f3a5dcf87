/**
 * Landlock as a second wall: the supervisor restricts writes to the writable roots (and the
 * private temp directory) with Landlock, independently of the mounts. A plan whose writable root
 * mount was broken on purpose — the working directory's `--bind` widened to its parent, which
 * makes a sibling directory writable by mount — still cannot write outside the roots the plan's
 * supervisor section names. Real bwrap, root and srt-test; skipped (failing under CI) where the
 * kernel has no Landlock.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, skipReason, srt, supported, useBox } from "./support.js";

const supervisor = join(dirname(dirname(dirname(new URL(import.meta.url).pathname))), "dist/native/srt-supervise");
const probe = existsSync(supervisor)
  ? (JSON.parse(spawnSync(supervisor, ["--probe"], { encoding: "utf8" }).stdout || "{}") as { landlock?: number })
  : {};
const landlock = (probe.landlock ?? 0) >= 2;

describe.skipIf(lacking(!supported, skipReason))("Landlock holds when a mount is wrong", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (!landlock) unavailable("this kernel has no Landlock (ABI >= 2): the second wall is off here");

  describe.each(landlock ? runners : [])("as %s", (runner) => {
    it.concurrent("a plan whose writable root is widened to its parent still cannot write beside it", async (ctx) => {
      const b = useBox(ctx, runner);
      const compiled = await srt(b, ["compile", "--target", "linux", b.settings, "-o", b.at("outside/plan.json")]);
      expect(compiled.status, compiled.stderr).toBe(0);
      const planFile = b.at("outside/plan.json");
      const plan = JSON.parse(readFileSync(planFile, "utf8")) as {
        bwrap: unknown[];
        hostWrites: { roots: string[] };
      };
      // The broken mount plan: `--bind <work> <work>` becomes `--bind <root> <root>`, and so does the
      // list of binds the supervisor checks are in place (supervisor-mounts.test.ts): only Landlock
      // stands between the command and the sibling.
      const i = plan.bwrap.findIndex((a, k) => a === "--bind" && plan.bwrap[k + 1] === b.work);
      expect(i).toBeGreaterThan(0);
      plan.bwrap[i + 1] = b.root;
      plan.bwrap[i + 2] = b.root;
      plan.hostWrites.roots = plan.hostWrites.roots.map((r) => (r === b.work ? b.root : r));
      writeFileSync(planFile, JSON.stringify(plan));
      const out = await srt(b, [
        "exec",
        // The widened root now holds the plan itself.
        "--allow-writable-plan",
        planFile,
        "--",
        "sh",
        "-c",
        `echo in > ${b.at("work/in.txt")} && echo in=ok; echo x > ${b.at("outside/escape.txt")} 2>/dev/null && echo escape=ok || echo escape=refused`,
      ]);
      expect(out.stdout, out.stderr).toContain("in=ok");
      expect(out.stdout, out.stderr).toContain("escape=refused");
      expect(existsSync(b.at("outside/escape.txt"))).toBe(false);
      expect(existsSync(b.at("work/in.txt"))).toBe(true);
    });

    if ((probe.landlock ?? 0) < 6) unavailable("Landlock ABI < 6: signals and abstract sockets are not scoped here");
    else
      it.concurrent(
        "ABI >= 6: the command cannot signal processes outside its domain (bwrap's init, the supervisor)",
        async (ctx) => {
          const b = useBox(ctx, runner);
          const out = await srt(b, [
            "-c",
            "kill -0 1 2>/dev/null && echo init=ok || echo init=refused; sh -c 'kill -0 $$' && echo own=ok",
          ]);
          expect(out.stdout, out.stderr).toContain("init=refused");
          expect(out.stdout, out.stderr).toContain("own=ok");
        },
      );
  });
});
