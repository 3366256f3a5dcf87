/**
 * Placeholders are shared between concurrent runs, so they are reference
 * counted. The danger is real: an agent often runs several commands at once in
 * one directory. If run A removed a placeholder that run B's sandbox had bound
 * read-only, the kernel would silently detach B's mount (unlinking a mount
 * point from another mount namespace is allowed since Linux 3.18) and B's
 * command could then create `.bashrc` or `.mcp.json` for real.
 *
 * So every run of a user registers in a per-user registry
 * (`$TMPDIR/srt-<uid>/`, mode 0700, owned by the user — anything else is an
 * error) before it creates or uses a placeholder, and placeholders are removed
 * only by the last live run: under a lock, a finishing run drops its entry
 * and, if no other live run remains, removes every placeholder srt created
 * (files still holding what srt wrote — nothing, or "." for git's commondir —
 * then empty directories). A run that died without
 * cleaning up (SIGKILL) is cleaned up by its watchdog through the same code
 * (`srt __cleanup`); a registered run whose process is gone counts as dead.
 *
 * The lock is a directory (mkdir is atomic) holding the owner's pid; a lock
 * whose owner is dead is broken.
 */
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync, writeSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Placeholder } from "../../backends/bwrap/index.js";

export interface Registry {
  readonly dir: string;
  readonly runId: string;
}

const LOCK_WAIT_MS = 10_000;

export function registryDir(uid: number, base: string = tmpdir()): string {
  return join(base, `srt-${uid}`);
}

/** Opens (creating if needed) the registry, refusing one that another user could tamper with. */
export function openRegistry(uid: number, runId: string, base?: string): Registry {
  const dir = registryDir(uid, base);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} must be a directory owned by uid ${uid} with mode 0700; remove it and retry`);
  }
  mkdirSync(join(dir, "runs"), { recursive: true, mode: 0o700 });
  return { dir, runId };
}

/** Registers this run (pid + start time) and creates the placeholders it needs, all under the lock. */
export function registerAndCreate(reg: Registry, placeholders: readonly Placeholder[]): void {
  withLock(reg, () => {
    writeFileSync(join(reg.dir, "runs", reg.runId), `${process.pid} ${startTime(process.pid) ?? ""}\n`);
    const created: string[] = [];
    try {
      for (const { path, kind, content } of placeholders) {
        try {
          createOne(path, kind, created, content);
        } catch (e) {
          // The user may not create it here, so neither may the sandbox (same uid, no
          // capabilities): bwrap's --ro-bind-try skips it. Anything else fails the run.
          if (!["EACCES", "EPERM", "EROFS"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
        }
      }
    } finally {
      // Also when a later one failed the run: what was created must be removed by the last run out.
      if (created.length > 0) appendFileSync(join(reg.dir, "created"), created.map((l) => l + "\n").join(""));
    }
  });
}

/** Drops this run; the last live run removes every placeholder srt created. Safe to call twice. */
export function releaseRun(reg: Registry): void {
  withLock(reg, () => {
    rmSync(join(reg.dir, "runs", reg.runId), { force: true });
    const runs = join(reg.dir, "runs");
    for (const id of readdirSync(runs)) {
      const [pid, start] = readFileSync(join(runs, id), "utf8").trim().split(" ");
      if (isAlive(Number(pid), start)) return; // someone may still have them bound
      rmSync(join(runs, id), { force: true });
    }
    let list: string;
    try {
      list = readFileSync(join(reg.dir, "created"), "utf8");
    } catch {
      return;
    }
    const entries = list.split("\n").filter((l) => l !== "").map((l) => ({ kind: l[0], data: JSON.parse(l.slice(2)) as unknown }));
    // Files first (an "f" is empty, a "c" holds the text srt wrote), then directories deepest first.
    for (const e of entries.filter((x) => x.kind === "f")) removeUnchangedFile(e.data as string, "");
    for (const e of entries.filter((x) => x.kind === "c")) removeUnchangedFile(...(e.data as [string, string]));
    for (const e of entries.filter((x) => x.kind === "d").map((x) => x.data as string).sort((a, b) => b.length - a.length)) removeEmptyDir(e);
    rmSync(join(reg.dir, "created"), { force: true });
  });
}

function createOne(path: string, kind: "file" | "dir", created: string[], content: string | undefined): void {
  if (exists(path)) return;
  const missing: string[] = [];
  for (let d = dirname(path); !exists(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    mkdirSync(d, { mode: 0o755 });
    created.push(`d ${JSON.stringify(d)}`);
  }
  if (kind === "dir") {
    mkdirSync(path, { mode: 0o555 });
    created.push(`d ${JSON.stringify(path)}`);
  } else {
    // O_EXCL: if something appeared meanwhile, fail rather than adopt it as ours.
    const fd = openSync(path, "wx", 0o444);
    try {
      if (content) writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    created.push(content ? `c ${JSON.stringify([path, content])}` : `f ${JSON.stringify(path)}`);
  }
}

function withLock(reg: Registry, body: () => void): void {
  const lock = join(reg.dir, "lock");
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock, { mode: 0o700 });
      writeFileSync(join(lock, "owner"), `${process.pid} ${startTime(process.pid) ?? ""}`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const [pid, start] = readOwner(lock);
      if (pid !== undefined && !isAlive(pid, start)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`placeholder registry ${reg.dir} stayed locked for ${LOCK_WAIT_MS} ms`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
  try {
    body();
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
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number, start: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = startTime(pid);
  return now !== undefined && (start === undefined || start === "" || now === start);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Only while it still holds what srt wrote: anything else is someone's file now. */
function removeUnchangedFile(path: string, content: string): void {
  try {
    const st = lstatSync(path);
    if (st.isFile() && st.size === Buffer.byteLength(content) && (content === "" || readFileSync(path, "utf8") === content)) rmSync(path, { force: true });
  } catch {
    // Gone already.
  }
}

function removeEmptyDir(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // Not empty (someone put something there) or gone: leave it.
  }
}
