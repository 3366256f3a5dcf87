/**
 * The state directory's lock and the liveness of the processes named in it.
 *
 * The lock is a symlink, `<dir>/lock`, whose target is its owner's pid and
 * start time: symlink(2) is atomic and creates the lock with its owner in one
 * step, so there is never a lock without an owner. A symlink this short lives
 * in its inode, with no data block to allocate and free: on a file system
 * mounted with `discard` (common on cloud VMs) freeing a block costs
 * milliseconds, and the lock is taken twice per run (issue 19: the earlier
 * lock, a directory holding an owner file, freed two blocks each time). A
 * directory lock with an owner file, as an older srt makes it, is still
 * understood. A lock whose owner is dead is broken, so a SIGKILLed srt never
 * blocks later runs. A pid alone is not enough: pids are reused, so a process
 * counts as the one recorded only while its start time (field 22 of
 * /proc/PID/stat) is the recorded one. A live owner is waited for, 10 s at
 * most; then the run fails rather than touch the registry unlocked.
 */
import { join } from "node:path";
import type { LinuxDeps } from "./deps.js";

/** What the lock needs of the machine. */
export type LockOs = Pick<LinuxDeps, "fs" | "clock" | "pid" | "startTime">;

export const LOCK_WAIT_MS = 10_000;
/** An older srt's directory lock whose owner file is still missing after this long is not being written: its creator died between mkdir and write. */
const OWNERLESS_MS = 1000;

/** This process as the lock and the registry record it: "pid start". */
export const selfOwner = (
  os: Pick<LinuxDeps, "pid" | "startTime">,
): { readonly pid: number; readonly start: string } => ({ pid: os.pid, start: os.startTime(os.pid) ?? "" });

/** Runs body while holding `<dir>/lock`; waits up to 10 s for a live owner, breaks a dead one's lock. */
export function withLock<T>(os: LockOs, dir: string, body: () => T): T {
  const lock = acquire(os, dir);
  try {
    return body();
  } finally {
    os.fs.removeTree(lock);
  }
}

/** withLock for a body that waits (the lock is held until it settles). */
export async function withLockAsync<T>(os: LockOs, dir: string, body: () => Promise<T>): Promise<T> {
  const lock = acquire(os, dir);
  try {
    return await body();
  } finally {
    os.fs.removeTree(lock);
  }
}

/** Takes `<dir>/lock` and returns its path. */
function acquire(os: LockOs, dir: string): string {
  const lock = join(dir, "lock");
  const deadline = os.clock.now() + LOCK_WAIT_MS;
  const me = selfOwner(os);
  for (;;) {
    try {
      os.fs.makeSymlink(lock, `${me.pid} ${me.start}`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const [pid, start] = readOwner(os, lock);
      if (pid !== undefined && !isAlive(os, pid, start)) {
        os.fs.removeTree(lock);
        continue;
      }
      if (os.clock.now() > deadline)
        throw new Error(`srt's state directory ${dir} stayed locked for ${LOCK_WAIT_MS} ms (by pid ${pid ?? "?"})`, {
          cause: e,
        });
      os.clock.block(2);
    }
  }
  return lock;
}

function readOwner(os: LockOs, lock: string): [number | undefined, string | undefined] {
  try {
    const [pid, start] = os.fs.readlink(lock).split(" ");
    return [Number(pid), start]; // written with the lock itself: never empty ("" would read as 0, a dead pid)
  } catch (e) {
    // EINVAL: an older srt's directory lock; else released just now.
    if ((e as NodeJS.ErrnoException).code !== "EINVAL") return [undefined, undefined];
  }
  try {
    const [pid, start] = os.fs.readFile(join(lock, "owner")).trim().split(" ");
    // Empty: the owner is writing it right now. Number("") is 0, a dead pid, and the live lock would be broken.
    if (!pid) throw new Error("owner not written yet");
    return [Number(pid), start];
  } catch {
    // Being created or removed right now; only a lock older than a second without owner is stale.
    try {
      return os.clock.date().getTime() - os.fs.lstat(lock).mtimeMs > OWNERLESS_MS
        ? [0, undefined]
        : [undefined, undefined];
    } catch {
      return [undefined, undefined];
    }
  }
}

export function isAlive(os: Pick<LinuxDeps, "startTime">, pid: number, start: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = os.startTime(pid);
  return now !== undefined && (start === undefined || start === "" || now === start);
}
