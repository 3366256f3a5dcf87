/**
 * The Linux run's cleanup: srt removes its private directories itself on a
 * normal exit, and the watchdog (../watchdog.ts) does it — then runs the
 * placeholder cleanup command — if srt dies first.
 */
import type { LinuxDeps } from "./deps.js";

export interface Janitor {
  /** Registers a private directory (removed whole) before it is created. */
  expectTree(path: string): void;
  /** Registers a run's cgroup directory before it is made (the run removes it itself: limits/cgroup.ts). */
  expectCgroup(path: string): void;
  /** A process group the watchdog kills if srt dies (one that does not die with srt: runc). */
  expectGroup(pgid: number): void;
  /** That group was reaped: its id may be reused. */
  groupGone(pgid: number): void;
  /** Removes the registered directories now and dismisses the watchdog. */
  cleanUp(): void;
}

/**
 * `afterDeath`: the command the watchdog runs if srt died without cleaning up (e.g. `node srt.mjs __cleanup DIR ID`).
 * `shell`: the watchdog's sh, as findTools found it.
 */
export function createJanitor(
  os: Pick<LinuxDeps, "fs" | "startWatchdog">,
  afterDeath: readonly string[],
  shell: string,
): Janitor {
  const trees: string[] = [];
  const watchdog = os.startWatchdog(afterDeath, shell);
  let done = false;
  return {
    expectTree(path) {
      trees.push(path);
      watchdog.expectTree(path);
    },
    expectCgroup: (path) => watchdog.expectCgroup(path),
    expectGroup: (pgid) => watchdog.expectGroup(pgid),
    groupGone: (pgid) => watchdog.groupGone(pgid),
    cleanUp() {
      if (done) return;
      done = true;
      for (const t of trees.reverse()) os.fs.removeTree(t);
      watchdog.dismiss();
    },
  };
}
