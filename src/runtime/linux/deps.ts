/**
 * Everything the Linux runner asks of the operating system, injected (as the
 * macOS runner's MacosDeps): the file system, processes (spawn, kill, this
 * pid, a pid's start time), the clock and the environment. The registry lock
 * and its stale-owner breaking, the tamper checks on what srt reads back, the
 * bwrap handshake and the order of a run's phases are thereby unit-tested
 * with a fake OS (test/runtime/linux-fake-os.ts); test/linux runs the same
 * code on the real one. node-deps.ts is the one real implementation.
 *
 * The shapes are Node's own, narrowed to what srt uses: failures throw an
 * Error whose `code` is the errno name (ENOENT, EEXIST, …), as node:fs does.
 * Paths are srt's strings, byte escapes included (compiler/byte-paths.ts):
 * the real file system passes them to the OS as their exact bytes.
 */
import type { Readable, Stream, Writable } from "node:stream";
import type { Watchdog } from "../watchdog.js";
import type { InheritedFdPolicy } from "./inherited-fds.js";
import type { RootIdentity } from "./root-identity.js";
import type { WatchOs } from "./protection-watch.js";

/** lstat's answer, as much of it as srt checks and records. */
export interface NodeStat {
  readonly kind: "file" | "dir" | "symlink" | "other";
  /** With `ino`: the node's identity, recorded when srt creates it and compared before srt removes it. */
  readonly dev: bigint;
  readonly ino: bigint;
  readonly uid: number;
  /** st_mode; permission bits are `mode & 0o7777`. */
  readonly mode: number;
  readonly size: bigint;
  /** Wall-clock milliseconds, as Date.getTime(). */
  readonly mtimeMs: number;
}

export interface LinuxFs {
  /** The path itself, never what a final symlink points to. */
  lstat(path: string): NodeStat;
  /**
   * Whether lstat would succeed. A missing path answers false without the exception lstat's
   * caller would catch: Node builds an Error with a stack for each, 25 per run (issue 19).
   */
  exists(path: string): boolean;
  /** One level (no -p); EEXIST when anything is there. */
  mkdir(path: string, mode: number): void;
  chmod(path: string, mode: number): void;
  /** Creates (with mode) or truncates. */
  writeFile(path: string, text: string, mode: number): void;
  /**
   * O_CREAT|O_EXCL: EEXIST when anything (a symlink too) is there; writes `content` if given;
   * returns the new file's own identity (fstat after the write), not a second lookup's.
   */
  createFile(path: string, mode: number, content?: string): NodeStat;
  readFile(path: string): string;
  readdir(path: string): string[];
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Only an empty directory (ENOTEMPTY otherwise). */
  rmdir(path: string): void;
  /**
   * rmdir of each, all at once; each one's error or undefined. On a file system mounted with
   * `discard` each rmdir waits for the disk to discard the directory's block: 16 in a row took
   * 0.7-0.9 ms while the disk was idle and 16-37 ms while it was busy, at once 1.0-1.5 ms (issue 19).
   */
  rmdirs(paths: readonly string[]): Promise<readonly (Error | undefined)[]>;
  /** rm -rf; a missing path is no error. */
  removeTree(path: string): void;
  /** A symlink at path holding target; EEXIST when anything (a symlink too) is there. */
  makeSymlink(path: string, target: string): void;
  /** A symlink's target; EINVAL when path is not a symlink. */
  readlink(path: string): string;
  /** The directory (or file) at `path`, reached from / without following a link (root-identity.ts). */
  rootIdentity(path: string): RootIdentity;
}

/** What fds 0-2 of a spawned program are (as for child_process.spawn); also the runner's pipes on fds 3 and up. */
export type StdioSlot = "inherit" | "pipe" | "ignore" | "ipc" | number | Stream;

export interface SpawnOptions {
  /** One entry per fd of the child, from 0. */
  readonly stdio: readonly StdioSlot[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** A new session and process group (setsid). */
  readonly detached?: boolean;
}

/** The part of a ChildProcess the runner uses. */
export interface SpawnedChild {
  readonly pid?: number | undefined;
  /** The parent's end of every fd spawned as "pipe" (null or undefined for the others). */
  readonly stdio: readonly (Readable | Writable | null | undefined)[];
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  on(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  /** After "exit", once its stdio pipes have closed too (what it wrote has arrived). */
  on(event: "close", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  kill(signal?: NodeJS.Signals): boolean;
}

/** Without a shell; ENOENT and the like arrive as an "error" event, some failures as a throw. */
export type LinuxSpawn = (file: string, args: readonly string[], options: SpawnOptions) => SpawnedChild;

export interface LinuxClock {
  /** Monotonic milliseconds: deadlines and debug timings. */
  now(): number;
  /** The wall clock (file modification times, report timestamps). */
  date(): Date;
  /** Runs fn after ms without keeping the process alive; returns the cancel. */
  after(ms: number, fn: () => void): () => void;
  /** Resolves after ms. */
  delay(ms: number): Promise<void>;
  /**
   * Blocks this thread for ms. The registry lock is taken synchronously: the
   * watchdog's `srt __cleanup` and a run's release must finish without
   * depending on an event loop turn.
   */
  block(ms: number): void;
}

export interface LinuxDeps {
  readonly fs: LinuxFs;
  readonly spawn: LinuxSpawn;
  /** process.kill: a negative pid is a process group; throws when there is no such process. */
  readonly kill: (pid: number, signal: NodeJS.Signals) => void;
  readonly clock: LinuxClock;
  /** This process's pid (the lock's and the registry's owner). */
  readonly pid: number;
  /** Field 22 of /proc/PID/stat, which tells a live process from a later one that reused its pid; undefined when there is none. */
  readonly startTime: (pid: number) => string | undefined;
  /** This process's environment (only NODE_CHANNEL_FD is read: Node's IPC fd, which must stay open). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A fresh run id: 12 hex digits, the only form `srt __cleanup` accepts. */
  readonly runId: () => string;
  /** Closes (or, with "refuse", throws naming) fds inherited without close-on-exec (inherited-fds.ts); returns those closed. */
  readonly inheritedFds: (keep: ReadonlySet<number>, policy: InheritedFdPolicy) => readonly number[];
  /** The protection watch's view of the machine (protection-watch.ts). */
  readonly watch: WatchOs;
  /** Starts the watchdog (../watchdog.ts) with this after-death command and shell. */
  readonly startWatchdog: (afterDeath: readonly string[], shell: string) => Watchdog;
}
