/**
 * The state directory's lock and the liveness of the processes named in it.
 *
 * The lock is a directory (mkdir is atomic) holding its owner's pid and start
 * time; a lock whose owner is dead is broken, so a SIGKILLed srt never blocks
 * later runs. A pid alone is not enough: pids are reused, so a process counts
 * as the one recorded only while its start time (field 22 of /proc/PID/stat)
 * is the recorded one.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const LOCK_WAIT_MS = 10_000;

/** This process as the lock and the registry record it: "pid start". */
export const selfOwner = (): { readonly pid: number; readonly start: string } => ({ pid: process.pid, start: startTime(process.pid) ?? "" });

/** Runs body while holding `<dir>/lock`; waits up to 10 s for a live owner, breaks a dead one's lock. */
export function withLock<T>(dir: string, body: () => T): T {
  const lock = join(dir, "lock");
  const deadline = Date.now() + LOCK_WAIT_MS;
  const me = selfOwner();
  for (;;) {
    try {
      mkdirSync(lock, { mode: 0o700 });
      writeFileSync(join(lock, "owner"), `${me.pid} ${me.start}`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const [pid, start] = readOwner(lock);
      if (pid !== undefined && !isAlive(pid, start)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`srt's state directory ${dir} stayed locked for ${LOCK_WAIT_MS} ms (by pid ${pid ?? "?"})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
  try {
    return body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readOwner(lock: string): [number | undefined, string | undefined] {
  try {
    const [pid, start] = readFileSync(join(lock, "owner"), "utf8").trim().split(" ");
    // Empty: the owner is writing it right now. Number("") is 0, a dead pid, and the live lock would be broken.
    if (!pid) throw new Error("owner not written yet");
    return [Number(pid), start];
  } catch {
    // Being created or removed right now; only a lock older than a second without owner is stale.
    try {
      return Date.now() - statSync(lock).mtimeMs > 1000 ? [0, undefined] : [undefined, undefined];
    } catch {
      return [undefined, undefined];
    }
  }
}

/** Field 22 of /proc/PID/stat: tells a live process from a later one that reused its pid. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number, start: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = startTime(pid);
  return now !== undefined && (start === undefined || start === "" || now === start);
}
