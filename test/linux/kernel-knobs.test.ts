/**
 * Kernel knobs under real bwrap, as root and as srt-test, in the default and
 * the weaker nested sandbox: every procfs/sysfs tree that can change the
 * running kernel (/proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus,
 * /proc/fs, /sys and its submounts) is read-only *in the sandbox's mount
 * table*. bwrap's own cover of /proc/sys is skipped because procfs answers
 * access(W_OK) with EACCES there, and as root a writable kernel.core_pattern
 * is host root code execution (the kernel runs `|prog` for every crash).
 */
import { existsSync, lstatSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  boxesUnder,
  engines,
  missingRunc,
  missingTestUser,
  report,
  runnersFor,
  sh,
  supported,
  skipReason,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const isRoot = process.getuid?.() === 0;
const hasBinfmt = existsSync("/proc/sys/fs/binfmt_misc") && lstatSync("/proc/sys/fs/binfmt_misc").isDirectory();

const knobs = [
  "/proc/sys",
  "/proc/sysrq-trigger",
  "/proc/irq",
  "/proc/bus",
  "/proc/fs",
  "/proc/sys/fs/binfmt_misc",
  "/sys",
] as const;

interface Mount {
  readonly point: string;
  readonly options: readonly string[];
}

/** /proc/self/mountinfo lines: field 5 is the mount point (octal escapes), field 6 the per-mount options. */
function parseMountinfo(text: string): Mount[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const f = l.split(" ");
      return {
        point: f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
        options: f[5]!.split(","),
      };
    });
}

const within = (p: string, root: string): boolean => p === root || p.startsWith(`${root}/`);

/** The mount a path lies on: the deepest mount point containing it, the last one listed when stacked. */
function mountOf(mounts: readonly Mount[], path: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts)
    if (within(path, m.point) && (best === undefined || m.point.length >= best.point.length)) best = m;
  return best;
}

const script = [
  ...knobs.map((k) => `[ -e ${k} ] && echo "exists:${k}=yes"`),
  `echo '--- mountinfo'`,
  `cat /proc/self/mountinfo`,
].join("\n");

describe.skipIf(lacking(!supported, skipReason))("kernel knobs under real bwrap", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (missingRunc) unavailable("under runc (srt --runtime runc): runc is not installed (apt-get install runc)");

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      describe.each([false, true])("enableWeakerNestedSandbox: %s", (weaker) => {
        it.concurrent(
          "every procfs/sysfs knob, and every mount below /sys, is read-only in the sandbox's mount table",
          async (ctx) => {
            const b = useBox(ctx, runner, {}, weaker ? { enableWeakerNestedSandbox: true } : {});
            const out = await sh(b, script);
            expect(out.status, out.stderr).toBe(0);
            const r = report(out);
            const mounts = parseMountinfo(out.stdout.slice(out.stdout.indexOf("--- mountinfo\n") + 14));
            expect(mounts.length).toBeGreaterThan(3);
            const present = knobs.filter((k) => r[`exists:${k}`] === "yes");
            // Those every Linux has; the others depend on the kernel's configuration.
            expect(present).toEqual(expect.arrayContaining(["/proc/sys", "/proc/irq", "/proc/fs", "/sys"]));
            for (const k of present)
              expect(mountOf(mounts, k)?.options, `${k} lies on a read-only mount`).toContain("ro");
            for (const m of mounts.filter((m) => within(m.point, "/sys")))
              expect(m.options, `${m.point} is read-only`).toContain("ro");
          },
        );
      });

      /**
       * systemd's binfmt_misc automount, played by hand: in a mount namespace of its own with shared
       * propagation (as on a systemd host), a mount made on the host at /proc/sys/fs/binfmt_misc
       * while the sandbox runs propagates into it (bwrap's mounts are slaves), read-write.
       */
      if (!isRoot || !hasBinfmt) unavailable("binfmt_misc automount case: needs root and /proc/sys/fs/binfmt_misc");
      else
        it.concurrent(
          "a mount arriving later at /proc/sys/fs/binfmt_misc (an automount) stays hidden under a read-only cover",
          async (ctx) => {
            const b = useBox(ctx, runner);
            const host = `mount --make-rshared / && { "$@" & } && i=0; while [ ! -e ${b.work}/ready ] && [ $i -lt 400 ]; do sleep 0.02; i=$((i+1)); done; mount -t tmpfs -o mode=1777 srt-automount /proc/sys/fs/binfmt_misc && touch ${b.work}/mounted; wait`;
            const out = await sh(
              b,
              `touch ready; i=0; until [ -e mounted ] || [ $i -ge 400 ]; do sleep 0.02; i=$((i+1)); done; echo "mounted=$([ -e mounted ] && echo yes)"; echo "arrived=$(grep -c ' srt-automount ' /proc/self/mountinfo)"; if err=$(touch /proc/sys/fs/binfmt_misc/register-x 2>&1); then echo write=done; else echo "write=\${err##*: }"; fi`,
              {
                wrap: (argv) => ["unshare", "--mount", "--", "sh", "-c", host, "sh", ...argv],
              },
            );
            const r = report(out);
            expect(r["mounted"], `the control: the host mounted during the run\n${out.stderr}`).toBe("yes");
            // As srt-test the host's mount propagates in (and lands under the read-only cover); a root
            // run starts bwrap in a private copy of the mount table (spawn-bwrap.ts): nothing arrives.
            // Under runc the container's /proc is a fresh procfs and every mount is private (rprivate): the
            // host's mount never arrives, and the fresh binfmt_misc directory has no files to create.
            if (engine !== "bwrap") {
              expect(r["arrived"], out.stderr).toBe("0");
              expect(r["write"]).not.toBe("done");
              return;
            }
            if (runner === "root") expect(r["arrived"], out.stderr).toBe("0");
            else expect(Number(r["arrived"]), `the host's mount reached the sandbox\n${out.stderr}`).toBeGreaterThan(0);
            expect(r["write"]).toBe("Read-only file system");
          },
        );

      // Only root could write it at all (the sysctl check looks at euid 0): nothing to try as srt-test.
      if (runner === "root")
        it.concurrent(
          "a mount the host makes during a root run (a disk, an autofs point) never reaches the sandbox",
          async (ctx) => {
            const b = useBox(ctx, runner, { "outside/m/keep": "" });
            const m = b.at("outside/m");
            // As on a systemd host: the host's mounts are shared, so bwrap's (slave) mounts would receive new ones.
            const host = `mount --make-rshared / && { "$@" & } && i=0; while [ ! -e ${b.work}/ready ] && [ $i -lt 400 ]; do sleep 0.02; i=$((i+1)); done; mount -t tmpfs srt-hostmount ${m} && touch ${b.work}/mounted; wait`;
            const out = await sh(
              b,
              `touch ready; i=0; until [ -e mounted ] || [ $i -ge 400 ]; do sleep 0.02; i=$((i+1)); done; echo "mounted=$([ -e mounted ] && echo yes)"; echo "seen=$(grep -c ' srt-hostmount ' /proc/self/mountinfo)"; if err=$( (echo pwned > ${m}/x) 2>&1 ); then echo write=done; else echo "write=\${err##*: }"; fi`,
              { wrap: (argv) => ["unshare", "--mount", "--", "sh", "-c", host, "sh", ...argv] },
            );
            const r = report(out);
            expect(r["mounted"], `the control: the host mounted during the run\n${out.stderr}`).toBe("yes");
            expect(r["seen"], out.stderr).toBe("0");
            expect(r["write"]).toBe("Read-only file system");
          },
        );

      it.concurrent("root cannot write kernel.core_pattern, not even its current value back", async (ctx) => {
        const b = useBox(ctx, runner);
        // The value written is the one just read: if the cover were missing, the host's setting stays as it was.
        const out = await sh(
          b,
          `f=/proc/sys/kernel/core_pattern; v=$(cat $f); echo "read=$([ -n "$v" ] && echo yes)"; if err=$( (printf '%s\\n' "$v" > $f) 2>&1 ); then echo write=done; else echo "write=\${err##*: }"; fi; test -w $f && echo access=writable || echo access=refused`,
        );
        const r = report(out);
        expect(r["read"]).toBe("yes");
        expect(r["write"]).toBe("Read-only file system");
        expect(r["access"]).toBe("refused");
      });
    });
  });
});
