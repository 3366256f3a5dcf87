/**
 * The cgroups runc makes for a root run: `srt-<run id>` directly below each
 * hierarchy's root (the config names that path, see instantiateOci's
 * cgroupsPath), on a v1, hybrid or v2 host. runc removes them when it
 * deletes the container; when srt (and runc with it) is SIGKILLed the
 * watchdog's `srt __cleanup` removes what is left, so nothing stays behind.
 * A rootless run has none (runc cannot create cgroups unprivileged on v1,
 * and is given no path to use on v2).
 */
import type { LinuxClock, LinuxFs } from "../linux/deps.js";

export const cgroupRoot = "/sys/fs/cgroup";
export const runCgroupName = (runId: string): string => `srt-${runId}`;

/** Removes the run's cgroup in every hierarchy; a cgroup whose processes are still dying is retried for up to 2 s. */
export function removeRunCgroups(
  fs: Pick<LinuxFs, "readdir" | "rmdir">,
  clock: Pick<LinuxClock, "block">,
  runId: string,
  root = cgroupRoot,
): string[] {
  const name = runCgroupName(runId);
  const candidates = [`${root}/${name}`];
  let hierarchies: string[];
  try {
    hierarchies = fs.readdir(root);
  } catch {
    return []; // no cgroup file system: runc made none
  }
  for (const h of hierarchies) candidates.push(`${root}/${h}/${name}`);
  const left: string[] = [];
  for (const path of candidates) {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.rmdir(path);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") break;
        if (code !== "EBUSY" || attempt >= 40) {
          left.push(`${path} (${code})`);
          break;
        }
        clock.block(50);
      }
    }
  }
  return left;
}
