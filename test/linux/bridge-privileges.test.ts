/**
 * srt's own proxy bridge (native/srt-bridge) runs outside the seccomp filter
 * but inside the sandbox's namespaces, with srt's uid. It must hold nothing
 * the sandboxed command could take: no capability in any set, no_new_privs,
 * and non-dumpable, so that a process of its own uid without CAP_SYS_PTRACE
 * (what a sandboxed command is, root or not) can neither ptrace it nor read
 * its memory. The attacker here is such a process on the host (it can name
 * the bridge's pid; the sandboxed command cannot even do that, which the run
 * itself checks from inside).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { eventually, missingTestUser, printed, processesWith, read, runners, startSrt, useBox } from "./support.js";
import { networkSkipReason, networkSupported } from "../network/support.js";

const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => spawnSync("test", ["-x", p]).status === 0);

/** The bridge srt (pid srtPid) started: its argv[1] names srt. */
function bridgeOf(srtPid: number): number | undefined {
  return processesWith("srt-bridge").find((p) => read(`/proc/${p}/cmdline`)?.split("\0")[1] === String(srtPid));
}

const field = (status: string, name: string): string | undefined =>
  new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1]?.trim();

describe.skipIf(lacking(!networkSupported, networkSkipReason))("the native proxy bridge holds no privilege", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  for (const runner of runners)
    it(`as ${runner}: no capabilities, no_new_privs, non-dumpable; a same-uid process cannot read its memory`, async (ctx) => {
      const box = useBox(ctx, runner, {}, { network: { allowedDomains: ["127.0.0.1:9"] } });
      const pidFile = box.at("work/bridge-pid");
      // The command waits for the bridge's host pid, then tries to reach it from inside.
      const script = [
        "echo ready",
        `while [ ! -s ${pidFile} ]; do sleep 0.05; done`,
        `p=$(cat ${pidFile})`,
        "if [ -e /proc/$p/mem ] && head -c1 /proc/$p/mem >/dev/null 2>&1; then echo inside=read; else echo inside=refused; fi",
      ].join("\n");
      const run = startSrt(box, ["--settings", box.settings, "-c", script]);
      await printed(run, "ready");
      let pid: number | undefined;
      await eventually(() => (pid = bridgeOf(run.child.pid!)) !== undefined);
      expect(pid, "srt-bridge is running (not the socat fallback)").toBeDefined();
      const status = read(`/proc/${pid}/status`) ?? "";
      for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"])
        expect(field(status, set), set).toBe("0000000000000000");
      expect(field(status, "NoNewPrivs")).toBe("1");
      expect(field(status, "Uid")?.split(/\s+/)[0]).toBe(String(box.uid));
      // A process of the bridge's uid, without capabilities (root's dropped with the bounding set).
      const attacker = spawnSync(
        setpriv!,
        [
          `--reuid=${box.uid}`,
          `--regid=${box.gid}`,
          "--clear-groups",
          "--inh-caps=-all",
          "--bounding-set=-all",
          "--",
          "head",
          "-c1",
          `/proc/${pid}/mem`,
        ],
        { encoding: "utf8" },
      );
      expect(attacker.status, `reading /proc/${pid}/mem: ${attacker.stderr}`).not.toBe(0);
      expect(attacker.stderr).toMatch(/Permission denied|Operation not permitted/);
      const ptrace = spawnSync(
        setpriv!,
        [
          `--reuid=${box.uid}`,
          `--regid=${box.gid}`,
          "--clear-groups",
          "--inh-caps=-all",
          "--bounding-set=-all",
          "--",
          "cat",
          `/proc/${pid}/environ`,
        ],
        { encoding: "utf8" },
      );
      expect(ptrace.status, `reading /proc/${pid}/environ: ${ptrace.stderr}`).not.toBe(0);
      writeFileSync(pidFile, String(pid));
      const out = await run.done;
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout).toContain("inside=refused");
    });
});
