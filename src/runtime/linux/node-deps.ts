/**
 * The real LinuxDeps, from Node's own modules: the one place the Linux runner
 * meets the machine. Nothing here decides anything; the runner's modules do.
 */
import { spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdir as rmdirCallback,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  watch,
  writeFileSync,
  writeSync,
  type BigIntStats,
} from "node:fs";
import { fromOs, osPath } from "../os-path.js";
import { createWatchdog } from "../watchdog.js";
import type { LinuxDeps, LinuxFs, LinuxSpawn, NodeStat } from "./deps.js";
import { handleInheritedFds } from "./inherited-fds.js";
import { rootIdentity } from "./root-identity.js";
import type { WatchOs } from "./protection-watch.js";
import { monotonicMs } from "../monotonic.js";

const statOf = (s: BigIntStats): NodeStat => ({
  kind: s.isSymbolicLink() ? "symlink" : s.isDirectory() ? "dir" : s.isFile() ? "file" : "other",
  dev: s.dev,
  ino: s.ino,
  uid: Number(s.uid),
  mode: Number(s.mode),
  size: s.size,
  mtimeMs: Number(s.mtimeMs),
});

/** Every path goes to the OS as osPath makes it: a name with escaped bytes as those exact bytes. */
export const nodeLinuxFs: LinuxFs = {
  lstat: (path) => statOf(lstatSync(osPath(path), { bigint: true })),
  exists(path) {
    try {
      return lstatSync(osPath(path), { throwIfNoEntry: false }) !== undefined;
    } catch {
      return false; // ENOTDIR, EACCES, …: lstat would fail too
    }
  },
  mkdir: (path, mode) => void mkdirSync(osPath(path), { mode }),
  chmod: (path, mode) => chmodSync(osPath(path), mode),
  writeFile: (path, text, mode) => writeFileSync(osPath(path), text, { mode }),
  createFile(path, mode, content) {
    const fd = openSync(osPath(path), "wx", mode);
    try {
      if (content) writeSync(fd, content);
      return statOf(fstatSync(fd, { bigint: true }));
    } finally {
      closeSync(fd);
    }
  },
  readFile: (path) => readFileSync(osPath(path), "utf8"),
  readdir: (path) => readdirSync(osPath(path), { encoding: "buffer" }).map(fromOs),
  rename: (from, to) => renameSync(osPath(from), osPath(to)),
  unlink: (path) => unlinkSync(osPath(path)),
  rmdir: (path) => rmdirSync(osPath(path)),
  // The callback form: node:fs/promises is not loaded yet in a CLI run, and loading it cost more than the rmdirs.
  rmdirs: (paths) =>
    Promise.all(
      paths.map((p) => new Promise<Error | undefined>((done) => rmdirCallback(osPath(p), (e) => done(e ?? undefined)))),
    ),
  removeTree: (path) => rmSync(osPath(path), { recursive: true, force: true }),
  makeSymlink: (path, target) => symlinkSync(osPath(target), osPath(path)),
  readlink: (path) => fromOs(readlinkSync(osPath(path), { encoding: "buffer" })),
  rootIdentity: (path) => rootIdentity(path),
};

const nodeSpawn: LinuxSpawn = (file, args, o) =>
  spawn(file, [...args], { stdio: [...o.stdio], env: o.env, cwd: o.cwd, detached: o.detached });

/** The protection watch's view: lstat identities, inotify through fs.watch, unref'd interval timers. */
function nodeWatchOs(): WatchOs {
  return {
    identity(path) {
      try {
        const s = lstatSync(path, { bigint: true });
        return `${s.dev}:${s.ino}`;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return code === "ENOENT" || code === "ENOTDIR" ? "absent" : "unknown";
      }
    },
    watchDir(dir, onEntry, onError) {
      const w = watch(dir, { persistent: false }, (_event, name) => onEntry(name ?? undefined));
      w.on("error", onError);
      return { close: () => w.close() };
    },
    every(ms, fn) {
      const t = setInterval(fn, ms);
      t.unref();
      return { cancel: () => clearInterval(t) };
    },
  };
}

/** Field 22 of /proc/PID/stat (after the parenthesised name, which may itself hold spaces and parentheses). */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export function nodeLinuxDeps(): LinuxDeps {
  return {
    fs: nodeLinuxFs,
    spawn: nodeSpawn,
    kill: (pid, signal) => void process.kill(pid, signal),
    clock: {
      now: monotonicMs,
      date: () => new Date(),
      after(ms, fn) {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      },
      delay: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      block: (ms) => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
    },
    pid: process.pid,
    startTime,
    env: process.env,
    // 48 random bits, as hex: `srt __cleanup` accepts exactly this form.
    runId: randomHex6,
    inheritedFds: handleInheritedFds,
    watch: nodeWatchOs(),
    startWatchdog: (afterDeath, shell) =>
      createWatchdog(
        (file, args, r) =>
          spawn(file, [...args], { cwd: r.cwd, env: { ...r.env }, stdio: [...r.stdio], detached: r.detached }),
        afterDeath,
        shell,
      ),
  };
}

/**
 * 48 random bits from the kernel, as hex. Not node:crypto: loading it costs every run a few
 * milliseconds (issue 19), and randomBytes reads the same source.
 */
function randomHex6(): string {
  const bytes = Buffer.alloc(6);
  const fd = openSync("/dev/urandom", "r");
  try {
    if (readSync(fd, bytes, 0, 6, null) !== 6) throw new Error("short read from /dev/urandom");
  } finally {
    closeSync(fd);
  }
  return bytes.toString("hex");
}
