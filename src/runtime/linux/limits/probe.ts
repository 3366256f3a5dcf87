/**
 * This host's facts for decide.ts, read through LinuxFs (so a fake OS can play
 * any host): the cgroup hierarchies, srt's own cgroup in each, whether srt may
 * create a run's cgroup there, and the hard RLIMIT_NOFILE.
 *
 * May create: root may always try below its own cgroup. Another user may when
 * root delegated a cgroup to it: its own cgroup directory is owned by the user
 * (systemd's Delegate=yes does this on v2), or a directory `srt-<uid>` below
 * srt's own cgroup is (root: `mkdir …/srt-1001 && chown 1001 …/srt-1001` in
 * each hierarchy). Nothing else counts: srt never writes to a cgroup it does
 * not own.
 */
import type { LinuxFs } from "../deps.js";
import type { CgroupSlot, LimitsHost } from "./decide.js";
import { parseCgroupMounts, parseOwnCgroups, placeControllers, type Controller } from "./hierarchy.js";

export function probeLimitsHost(fs: Pick<LinuxFs, "readFile" | "lstat">, uid: number): LimitsHost {
  const cgroups = new Map<Controller, CgroupSlot | { readonly missing: string }>();
  let places: ReturnType<typeof placeControllers>;
  try {
    const mounts = parseCgroupMounts(fs.readFile("/proc/self/mountinfo"));
    const own = parseOwnCgroups(fs.readFile("/proc/self/cgroup"));
    const v2 = mounts.find((m) => m.version === 2);
    let v2Controllers: string[] = [];
    if (v2 !== undefined && own.v2 !== undefined) {
      const dir = own.v2 === "/" ? v2.mount : `${v2.mount}${own.v2}`;
      v2Controllers = readWords(fs, `${dir}/cgroup.controllers`);
    }
    places = placeControllers(mounts, own, v2Controllers);
  } catch (e) {
    const missing = `cannot read this process's cgroups (${(e as Error).message})`;
    for (const c of ["memory", "pids", "cpu"] as const) cgroups.set(c, { missing });
    return { uid, cgroups, nofileHard: nofileHard(fs) };
  }
  for (const [c, place] of places) {
    if ("missing" in place) {
      cgroups.set(c, place);
      continue;
    }
    const parent = parentFor(fs, place.own, uid);
    cgroups.set(c, typeof parent === "string" ? { controller: c, version: place.version, parent } : parent);
  }
  return { uid, cgroups, nofileHard: nofileHard(fs) };
}

/** Where this user's run cgroups go below srt's own cgroup `own`, or why nowhere. */
function parentFor(fs: Pick<LinuxFs, "lstat">, own: string, uid: number): string | { readonly missing: string } {
  const ownedDir = (p: string): boolean => {
    try {
      const st = fs.lstat(p);
      return st.kind === "dir" && st.uid === uid;
    } catch {
      return false;
    }
  };
  if (uid === 0) return own;
  if (ownedDir(own)) return own;
  const delegated = `${own}/srt-${uid}`;
  if (ownedDir(delegated)) return delegated;
  return {
    missing: `no cgroup is delegated to uid ${uid} (${delegated} is not a directory it owns)`,
  };
}

function readWords(fs: Pick<LinuxFs, "readFile">, path: string): string[] {
  try {
    return fs.readFile(path).split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** "Max open files  1024  20000  files" in /proc/self/limits; 0 when unreadable (then no openFiles limit holds). */
function nofileHard(fs: Pick<LinuxFs, "readFile">): number {
  try {
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(fs.readFile("/proc/self/limits"));
    if (!m) return 0;
    return m[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    return 0;
  }
}
