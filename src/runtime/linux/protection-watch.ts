/**
 * Keeps the plan's detachable protections (src/backends/bwrap/detachable.ts)
 * honest while the command runs. Against whom: not the command — inside the
 * sandbox an unlink or rename of a mount point fails with EBUSY — but the
 * host user's own tools acting on the same files during the run (an editor
 * saving by rename, git checkout, rm of srt's placeholder). Each of those
 * detaches the mount in the sandbox and silently frees the path there; this
 * module notices, and the runner kills the sandbox: fail closed.
 *
 * How: the identity (device, inode) of each path is read before bwrap
 * mounts it, so a replacement at any later time shows as a change (one just
 * before bwrap starts is mounted as it is and reads as a change too: a
 * false alarm, never a miss). Each parent directory is watched with inotify
 * (fs.watch); an event naming a watched entry re-reads that entry at once.
 * Events can be lost (queue overflow, a watch that cannot be added) and an
 * ancestor renamed on the host sends none to the parent, so every path is
 * also re-read on a timer: often when some directory could not be watched,
 * rarely otherwise.
 *
 * What it cannot do: undo what the command managed between the host's change
 * and the kill (the time for one event to reach srt's event loop).
 */
import { shownOrigins, type DetachableMount } from "../../backends/bwrap/index.js";
import type { FileSystemViolation } from "../proxy/violations.js";
import { failed, type Failed } from "../failure.js";

/** "dev:ino" of the path itself; "absent" when there is none; "unknown" when it cannot be read (EACCES…). */
export type Identity = `${bigint}:${bigint}` | "absent" | "unknown";

/** The machine, as the watch needs it (injected: the tests drive it by hand). */
export interface WatchOs {
  /** The identity of the path itself, not following a final symlink. */
  identity(path: string): Identity;
  /** Calls onEntry with the entry's name (undefined: unknown) on each change in dir; throws if dir cannot be watched. */
  watchDir(dir: string, onEntry: (name: string | undefined) => void, onError: () => void): { close(): void };
  /** A repeating timer that does not keep the process alive. */
  every(ms: number, fn: () => void): { cancel(): void };
}

export interface Detachment {
  readonly mount: DetachableMount;
  readonly before: Identity;
  readonly after: Identity;
}

export interface WatchOptions {
  /** Re-read interval while some directory is not watched by inotify. */
  readonly pollMs?: number;
  /** Re-read interval otherwise (lost events, renamed ancestors). */
  readonly backstopMs?: number;
}

export interface ProtectionWatch {
  /** Paths compared, directories watched by inotify, directories only polled. */
  stats(): { readonly paths: number; readonly watched: number; readonly polled: number };
  close(): void;
}

const parentOf = (p: string): string => (p.lastIndexOf("/") <= 0 ? "/" : p.slice(0, p.lastIndexOf("/")));
const nameOf = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

/** Reports the first detachment (once), then stops watching. May report before it returns. */
export function watchProtections(
  mounts: readonly DetachableMount[],
  os: WatchOs,
  onDetached: (d: Detachment) => void,
  options: WatchOptions = {},
): ProtectionWatch {
  interface Entry {
    readonly mount: DetachableMount;
    readonly before: Identity;
  }
  const byDir = new Map<string, Map<string, Entry>>();
  let paths = 0;
  for (const mount of mounts) {
    const before = os.identity(mount.path);
    // Absent: an optional bind bwrap will skip (the user could not create the path, nor can the command).
    if (before === "absent" || before === "unknown") continue;
    const dir = parentOf(mount.path);
    const entries = byDir.get(dir) ?? new Map<string, Entry>();
    byDir.set(dir, entries);
    entries.set(nameOf(mount.path), { mount, before });
    paths++;
  }

  let closed = false;
  const closers: (() => void)[] = [];
  const unwatched = new Set<string>();
  let timer: { cancel(): void } | undefined;
  const close = (): void => {
    if (closed) return;
    closed = true;
    timer?.cancel();
    for (const c of closers) c();
  };
  const check = (e: Entry): void => {
    if (closed) return;
    const after = os.identity(e.mount.path);
    // "unknown" (say, the host made the parent unsearchable) says nothing about the mount; the next read will.
    if (after === e.before || after === "unknown") return;
    close();
    onDetached({ mount: e.mount, before: e.before, after });
  };
  const checkDir = (dir: string): void => {
    for (const e of byDir.get(dir)?.values() ?? []) check(e);
  };
  const checkAll = (): void => {
    for (const dir of byDir.keys()) checkDir(dir);
  };
  const schedule = (): void => {
    timer?.cancel();
    timer = os.every(unwatched.size > 0 ? (options.pollMs ?? 100) : (options.backstopMs ?? 1000), checkAll);
  };
  const fallBack = (dir: string): void => {
    if (closed || unwatched.has(dir)) return;
    unwatched.add(dir);
    schedule();
    checkDir(dir);
  };

  for (const [dir, entries] of byDir) {
    try {
      const w = os.watchDir(
        dir,
        (name) => {
          if (name === undefined) return checkDir(dir);
          const e = entries.get(name);
          if (e !== undefined) check(e);
        },
        () => fallBack(dir),
      );
      closers.push(() => w.close());
    } catch {
      unwatched.add(dir);
    }
  }
  if (paths > 0) schedule();
  // Whatever changed between reading the identities and the watches being in place.
  checkAll();
  return { stats: () => ({ paths, watched: byDir.size - unwatched.size, polled: unwatched.size }), close };
}

const lost = {
  write: "kept it read-only",
  read: "kept it unreadable",
  below: "held the protections below it",
} as const;

/** What the user reads (after "srt: "); names the path and the host actions that do this. */
export function detachmentMessage(d: Detachment): string {
  return (
    `${d.mount.path} was replaced, removed or renamed on the host while the command ran. That takes srt's mount off the path inside the sandbox (the mount ${lost[d.mount.guards]}: ${shownOrigins(d.mount.origin)}), ` +
    "so srt stopped the command at once; check the path before the host uses it, as it was unprotected until then. " +
    "Editors saving by rename, git checkout and rm do this: let a sandboxed run end before changing protected files."
  );
}

export const violationOf = (d: Detachment, time: Date): FileSystemViolation => ({
  kind: "filesystem",
  time: time.toISOString(),
  path: d.mount.path,
  guards: d.mount.guards,
  reason:
    d.after === "absent"
      ? "removed or renamed away on the host during the run: the path lost its mount"
      : "replaced on the host during the run: the path lost its mount",
  rule: d.mount.origin,
});

/** For the runner: watch, kill the sandbox on a detachment, and say so as the run's failure. */
export interface ProtectionGuard {
  /** The run's result once a protection detached (the sandbox has been killed), else undefined. */
  failure(): (Failed & { readonly violation: FileSystemViolation }) | undefined;
  stats: ProtectionWatch["stats"];
  close(): void;
}

export function guardProtections(
  mounts: readonly DetachableMount[],
  kill: () => void,
  os: WatchOs,
  now: () => Date,
): ProtectionGuard {
  let broken: ReturnType<ProtectionGuard["failure"]>;
  const watch = watchProtections(mounts, os, (d) => {
    // Kill first: every moment counts while the path is unprotected.
    kill();
    broken = { ...failed("SRT505", detachmentMessage(d)), violation: violationOf(d, now()) };
  });
  return { failure: () => broken, stats: watch.stats, close: watch.close };
}
