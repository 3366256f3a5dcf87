/**
 * The fake Linux's clock and file system (see linux-fake-os.ts): time that
 * moves only when a test (or a wait in srt) moves it, and an in-memory file
 * system with device/inode numbers, owners, modes and mtimes, Node's errno
 * codes, and failures a test can inject. Every change is appended to the
 * shared event list.
 */
import type { LinuxDeps, LinuxFs, NodeStat } from "../../src/runtime/linux/deps.js";

export const errno = (code: string, what: string): Error => Object.assign(new Error(`${code}: ${what}`), { code });
export const parentOf = (p: string): string => p.slice(0, p.lastIndexOf("/")) || "/";
export const nameOf = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

// ---------------------------------------------------------------- clock

export interface FakeClock {
  readonly clock: LinuxDeps["clock"];
  /** Moves time on, firing the timers that come due. */
  advance(ms: number): void;
  /** Timers set and not yet fired or cancelled. */
  pending(): number;
  /** Called on every blocking wait (the registry lock's), with the time now. */
  onBlock: ((now: number) => void) | undefined;
}

export function createFakeClock(): FakeClock {
  let t = 0;
  const epoch = Date.UTC(2026, 0, 2, 3, 4, 5);
  const timers = new Map<number, { at: number; fn: () => void }>();
  let nextTimer = 0;
  const fake: FakeClock = {
    clock: {
      now: () => t,
      date: () => new Date(epoch + t),
      after(ms, fn) {
        const id = nextTimer++;
        timers.set(id, { at: t + ms, fn });
        return () => void timers.delete(id);
      },
      // A bridge's poll: time moves on, and the event loop turns (fake processes act in it).
      delay: async (ms) => {
        fake.advance(ms);
        await new Promise((r) => setImmediate(r));
      },
      block(ms) {
        fake.advance(ms);
        fake.onBlock?.(t);
      },
    },
    advance(ms) {
      t += ms;
      for (const [id, timer] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (timer.at > t) continue;
        timers.delete(id);
        timer.fn();
      }
    },
    pending: () => timers.size,
    onBlock: undefined,
  };
  return fake;
}

// ---------------------------------------------------------------- file system

interface MemNode {
  kind: "file" | "dir" | "symlink";
  ino: bigint;
  uid: number;
  mode: number;
  text: string;
  mtimeMs: number;
}

export interface MemFs extends LinuxFs {
  mkdirp(path: string, uid?: number): void;
  put(path: string, text?: string, uid?: number): void;
  symlink(path: string, target: string): void;
  exists(path: string): boolean;
  read(path: string): string;
  /** Paths below (and at) prefix. */
  below(prefix: string): string[];
  /** Makes the next `op` on a path matching `at` fail with errno `code`. */
  failNext(op: keyof LinuxFs, at: (path: string) => boolean, code: string): void;
  /** Directories in which nothing can be created (EACCES), as for a user who may not write there. */
  readonly noWrite: Set<string>;
}

export function createMemFs(events: string[], clock: LinuxDeps["clock"], uid: number): MemFs {
  const nodes = new Map<string, MemNode>();
  let nextIno = 100n;
  const faults: { op: keyof LinuxFs; at: (p: string) => boolean; code: string }[] = [];
  const noWrite = new Set<string>();
  const make = (kind: MemNode["kind"], mode: number, text = "", owner = uid): MemNode => ({
    kind,
    ino: nextIno++,
    uid: owner,
    mode,
    text,
    mtimeMs: clock.date().getTime(),
  });
  nodes.set("/", make("dir", 0o755, "", 0));
  const fault = (op: keyof LinuxFs, path: string): void => {
    const i = faults.findIndex((f) => f.op === op && f.at(path));
    if (i >= 0) throw errno(faults.splice(i, 1)[0]!.code, `${op} ${path}`);
  };
  const get = (path: string): MemNode => {
    const n = nodes.get(path);
    if (n === undefined) throw errno("ENOENT", path);
    return n;
  };
  const creatable = (path: string): void => {
    const parent = nodes.get(parentOf(path));
    if (parent === undefined) throw errno("ENOENT", path);
    if (parent.kind !== "dir") throw errno("ENOTDIR", path);
    if (noWrite.has(parentOf(path))) throw errno("EACCES", path);
    if (nodes.has(path)) throw errno("EEXIST", path);
  };
  const statOf = (n: MemNode): NodeStat => ({
    kind: n.kind,
    dev: 42n,
    ino: n.ino,
    uid: n.uid,
    mode: (n.kind === "dir" ? 0o040000 : n.kind === "symlink" ? 0o120000 : 0o100000) | n.mode,
    size: BigInt(n.text.length),
    mtimeMs: n.mtimeMs,
  });
  const children = (path: string): string[] => [...nodes.keys()].filter((p) => p !== path && parentOf(p) === path);
  const fs: MemFs = {
    noWrite,
    lstat(path) {
      fault("lstat", path);
      return statOf(get(path));
    },
    mkdir(path, mode) {
      fault("mkdir", path);
      creatable(path);
      nodes.set(path, make("dir", mode));
      events.push(`fs mkdir ${path}`);
    },
    chmod(path, mode) {
      fault("chmod", path);
      get(path).mode = mode;
    },
    writeFile(path, text, mode) {
      fault("writeFile", path);
      const n = nodes.get(path);
      if (n?.kind === "dir") throw errno("EISDIR", path);
      if (n === undefined) {
        creatable(path);
        nodes.set(path, make("file", mode, text));
      } else n.text = text;
      events.push(`fs write ${path}`);
    },
    createFile(path, mode, content) {
      fault("createFile", path);
      creatable(path);
      const n = make("file", mode, content ?? "");
      nodes.set(path, n);
      events.push(`fs create ${path}`);
      return statOf(n);
    },
    readFile(path) {
      fault("readFile", path);
      const n = get(path);
      if (n.kind !== "file") throw errno("EISDIR", path);
      return n.text;
    },
    readdir(path) {
      fault("readdir", path);
      if (get(path).kind !== "dir") throw errno("ENOTDIR", path);
      return children(path).map(nameOf);
    },
    rename(from, to) {
      fault("rename", from);
      const n = get(from);
      if (n.kind === "dir") throw new Error("fake: renaming directories is not modelled");
      nodes.delete(from);
      nodes.set(to, n);
      events.push(`fs rename ${from} ${to}`);
    },
    unlink(path) {
      fault("unlink", path);
      if (get(path).kind === "dir") throw errno("EISDIR", path);
      nodes.delete(path);
      events.push(`fs unlink ${path}`);
    },
    rmdir(path) {
      fault("rmdir", path);
      if (get(path).kind !== "dir") throw errno("ENOTDIR", path);
      if (children(path).length > 0) throw errno("ENOTEMPTY", path);
      nodes.delete(path);
      events.push(`fs rmdir ${path}`);
    },
    rmdirs(paths) {
      // One after the other, in the order given (the real one runs them at once; the order is not promised).
      return Promise.resolve(
        paths.map((p) => {
          try {
            fs.rmdir(p);
            return undefined;
          } catch (e) {
            return e as Error;
          }
        }),
      );
    },
    removeTree(path) {
      fault("removeTree", path);
      const gone = [...nodes.keys()].filter((p) => p === path || p.startsWith(`${path}/`));
      for (const p of gone) nodes.delete(p);
      if (gone.length > 0) events.push(`fs rm ${path}`);
    },
    makeSymlink(path, target) {
      fault("makeSymlink", path);
      creatable(path);
      nodes.set(path, make("symlink", 0o777, target));
      events.push(`fs symlink ${path}`);
    },
    rootIdentity(path) {
      fault("rootIdentity", path);
      let at = "";
      for (const part of path.split("/").filter(Boolean)) {
        at += `/${part}`;
        const n = nodes.get(at);
        if (n === undefined) return { kind: "absent" };
        if (n.kind === "symlink") return { kind: "link", at };
      }
      return { kind: "found", dev: "42", ino: String(get(path).ino) };
    },
    readlink(path) {
      fault("readlink", path);
      const n = get(path);
      if (n.kind !== "symlink") throw errno("EINVAL", path);
      return n.text;
    },
    mkdirp(path, owner = uid) {
      let at = "";
      for (const part of path.split("/").filter(Boolean)) {
        at += `/${part}`;
        if (!nodes.has(at)) nodes.set(at, make("dir", 0o755, "", owner));
      }
    },
    put(path, text = "", owner = uid) {
      fs.mkdirp(parentOf(path), owner);
      nodes.set(path, make("file", 0o644, text, owner));
    },
    symlink(path, target) {
      fs.mkdirp(parentOf(path));
      nodes.set(path, make("symlink", 0o777, target));
    },
    exists: (path) => nodes.has(path),
    read: (path) => get(path).text,
    below: (prefix) => [...nodes.keys()].filter((p) => p === prefix || p.startsWith(`${prefix}/`)).sort(),
    failNext: (op, at, code) => void faults.push({ op, at, code }),
  };
  return fs;
}
