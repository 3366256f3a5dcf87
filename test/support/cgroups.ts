/**
 * srt's own cgroups on this host, and a cgroup delegated to srt-test as an
 * administrator would make it (README: Resource limits), for the suites that
 * run limits as an unprivileged user (bwrap, crun).
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, rmdirSync } from "node:fs";
import { probeLimitsHost } from "../../src/runtime/linux/limits/probe.js";
import { nodeLinuxFs } from "../../src/runtime/linux/node-deps.js";

/** srt's own cgroup directory per controller (srt runs in this process's cgroups); empty off Linux. */
export const ownCgroups = new Map<string, string>();
if (process.platform === "linux")
  for (const [c, slot] of probeLimitsHost(nodeLinuxFs, 0).cgroups)
    if (!("missing" in slot)) ownCgroups.set(c, slot.parent);

/** srt-test's uid, -1 without that user. */
export const testUid = Number(spawnSync("id", ["-u", "srt-test"], { encoding: "utf8" }).stdout.trim() || "-1");

/** `srt-<uid>` below srt's own cgroup in every hierarchy, owned by srt-test; returns its undo. */
export function delegateCgroups(): () => void {
  const uid = testUid;
  const made: string[] = [];
  for (const dir of ownCgroups.values()) {
    const d = `${dir}/srt-${uid}`;
    if (!existsSync(d)) {
      mkdirSync(d);
      made.push(d);
    }
    chownSync(d, uid, uid);
    chownSync(`${d}/cgroup.procs`, uid, uid);
  }
  return () => {
    const problems: string[] = [];
    for (const d of made.reverse()) {
      try {
        rmdirSync(d);
      } catch (e) {
        problems.push(`${d}: ${(e as Error).message}`);
      }
    }
    // A run cgroup left inside would mean srt did not clean up: that fails the file.
    if (problems.length > 0) throw new Error(`cannot remove the delegated cgroups: ${problems.join("; ")}`);
  };
}
