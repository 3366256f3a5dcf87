/**
 * Placeholders are shared between concurrent runs, so they are reference
 * counted per path. The danger is real: an agent often runs several commands
 * at once. If run A removed a placeholder that run B's sandbox had bound
 * read-only, the kernel would silently detach B's mount (unlinking a mount
 * point from another mount namespace is allowed since Linux 3.18) and B's
 * command could then create `.bashrc` or `.mcp.json` for real.
 *
 * The registry lives in srt's state directory (see ../state-dir.ts), which no
 * sandbox can see or write:
 *
 *   <state>/runs/<id>/holds   one live run: {"pid","start","paths"}, where
 *                             paths are ALL the placeholder paths its plan
 *                             binds — also those another run created (a run
 *                             compiled while another's placeholder existed
 *                             binds it as an ordinary file)
 *   <state>/placeholders      what srt created: one JSON record per line,
 *                             {"path","kind","dev","ino"[,"content"]}
 *   <state>/lock              the lock, a symlink to "pid start" (state-lock.ts)
 *
 * A run registers (holds) before it creates or uses a placeholder; when it
 * ends, under the lock, every created placeholder that no live run holds (a
 * directory: no live run holds it or a path below it) is removed — right away,
 * not when the user's last run ends. A run that died without cleaning up
 * (SIGKILL) is released by its watchdog through the same code (`srt
 * __cleanup`); a registered run whose process is gone counts as dead.
 *
 * Nothing read back is trusted: a record is acted on only if the path still is
 * the node srt created — same device and inode, same kind, not a symlink,
 * owned by this user, and holding just what srt wrote (nothing, or "." for
 * git's commondir) or, a directory, empty. Anything else (a forged or stale record, a
 * file the user or a sandbox put there since) is left alone and forgotten.
 */
import { dirname, join } from "node:path";
import type { Placeholder } from "../../backends/bwrap/index.js";
import type { LinuxFs, NodeStat } from "./deps.js";
import { isAlive, selfOwner, withLock, withLockAsync, type LockOs } from "./state-lock.js";

/** What the registry needs of the machine: the lock's, and nothing more. */
export type RegistryOs = LockOs;

export interface Registry {
  /** The state directory (already checked by ensureStateDir). */
  readonly state: string;
  readonly runId: string;
  readonly uid: number;
}

/** What srt created: enough to recognise the very node later. */
export interface CreatedRecord {
  readonly path: string;
  readonly kind: "file" | "dir";
  readonly dev: string;
  readonly ino: string;
  /** What srt wrote into a file placeholder when not nothing (git's commondir holds "."). */
  readonly content?: string;
}

interface Holds {
  readonly pid: number;
  readonly start: string;
  readonly paths: readonly string[];
}

const holdsFile = (reg: Pick<Registry, "state">, id: string): string => join(reg.state, "runs", id, "holds");
const recordsFile = (state: string): string => join(state, "placeholders");

/** Registers this run as holding every placeholder path of its plan, and creates the missing ones, all under the lock. */
export function registerAndCreate(os: RegistryOs, reg: Registry, placeholders: readonly Placeholder[]): void {
  withLock(os, reg.state, () => {
    const me = selfOwner(os);
    const holds: Holds = { pid: me.pid, start: me.start, paths: placeholders.map((p) => p.path) };
    writeAtomic(os, holdsFile(reg, reg.runId), JSON.stringify(holds) + "\n");
    const created: CreatedRecord[] = [];
    try {
      for (const { path, kind, content } of placeholders) {
        try {
          createOne(os.fs, path, kind, created, content);
        } catch (e) {
          // The user may not create it here, so neither may the sandbox (same uid, no
          // capabilities): bwrap's --ro-bind-try skips it. Anything else fails the run.
          if (!["EACCES", "EPERM", "EROFS"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
        }
      }
    } finally {
      // Also when a later one failed the run: what was created must be removed once no run holds it.
      if (created.length > 0) writeRecords(os, reg.state, [...readRecords(os.fs, reg.state), ...created]);
    }
  });
}

/** Drops this run's holds and removes every placeholder srt created that no live run holds any more. Safe to call twice. */
export function releaseRun(os: RegistryOs, reg: Registry): void {
  withLock(os, reg.state, () => {
    const free = dropHolds(os, reg);
    for (const level of free.dirs) for (const r of level) removeIfOurs(os.fs, r, reg.uid);
    writeRecords(os, reg.state, free.kept);
  });
}

/**
 * releaseRun, with the directories of one depth removed at once (LinuxFs.rmdirs: on a disk
 * mounted with `discard`, one after the other cost a run up to 15-35 ms after the command ended).
 * The same checks, the same order across depths, the same result. It holds the state lock across
 * that wait: only for a process where nothing else takes the lock meanwhile (RunRequest.soleRun),
 * since a synchronous withLock in the same event loop would spin until it gave up.
 */
export async function releaseRunAsync(os: RegistryOs, reg: Registry): Promise<void> {
  await withLockAsync(os, reg.state, async () => {
    const free = dropHolds(os, reg);
    for (const level of free.dirs)
      await os.fs.rmdirs(level.filter((r) => isOurs(os.fs, r, reg.uid)).map((r) => r.path));
    writeRecords(os, reg.state, free.kept);
  });
}

/**
 * Under the lock: drops this run's holds, forgets the records no live run holds and removes
 * those that are files (cheap: no block to free). Returns the freed directories, grouped by
 * depth, deepest first, so that a created parent is empty when its group's turn comes, and the
 * records to keep (written after the removals: a run killed meanwhile leaves them to its watchdog).
 */
function dropHolds(
  os: RegistryOs,
  reg: Registry,
): { readonly kept: readonly CreatedRecord[]; readonly dirs: readonly (readonly CreatedRecord[])[] } {
  os.fs.removeTree(holdsFile(reg, reg.runId));
  const held = liveHolds(os, reg);
  const records = readRecords(os.fs, reg.state);
  const inUse = (r: CreatedRecord): boolean =>
    held === "all" || held.some((p) => p === r.path || (r.kind === "dir" && p.startsWith(`${r.path}/`)));
  const kept = records.filter(inUse);
  const free = records.filter((r) => !inUse(r));
  for (const r of free.filter((x) => x.kind === "file")) removeIfOurs(os.fs, r, reg.uid);
  const depth = (r: CreatedRecord): number => r.path.split("/").length;
  const byDepth = new Map<number, CreatedRecord[]>();
  for (const r of free.filter((x) => x.kind === "dir")) {
    const level = byDepth.get(depth(r));
    if (level === undefined) byDepth.set(depth(r), [r]);
    else level.push(r);
  }
  return { kept, dirs: [...byDepth.keys()].sort((a, b) => b - a).map((d) => byDepth.get(d)!) };
}

/** The paths held by live runs; "all" when a holds file cannot be read (keeping everything is the safe mistake). */
function liveHolds(os: RegistryOs, reg: Registry): readonly string[] | "all" {
  const runs = join(reg.state, "runs");
  const held: string[] = [];
  for (const id of os.fs.readdir(runs)) {
    let text: string;
    try {
      text = os.fs.readFile(holdsFile(reg, id));
    } catch {
      continue; // not registered (being set up, a library sandbox's directory) or released
    }
    const h = parseHolds(text);
    if (h === undefined) return "all";
    if (isAlive(os, h.pid, h.start)) held.push(...h.paths);
    // Its srt is gone, and so may be its watchdog: the directory is nobody's any more.
    else os.fs.removeTree(join(runs, id));
  }
  return held;
}

function parseHolds(text: string): Holds | undefined {
  try {
    const v = JSON.parse(text) as Partial<Holds>;
    if (
      !Number.isInteger(v.pid) ||
      typeof v.start !== "string" ||
      !Array.isArray(v.paths) ||
      !v.paths.every((p) => typeof p === "string")
    )
      return undefined;
    return v as Holds;
  } catch {
    return undefined;
  }
}

/** Records written by this module; a line that is not one (damaged, forged in an old format) is dropped. */
export function readRecords(fs: Pick<LinuxFs, "readFile">, state: string): CreatedRecord[] {
  let text: string;
  try {
    text = fs.readFile(recordsFile(state));
  } catch {
    return [];
  }
  const out: CreatedRecord[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      const r = JSON.parse(line) as Partial<CreatedRecord>;
      if (
        typeof r.path === "string" &&
        r.path.startsWith("/") &&
        (r.kind === "file" || r.kind === "dir") &&
        typeof r.dev === "string" &&
        typeof r.ino === "string"
      ) {
        out.push({
          path: r.path,
          kind: r.kind,
          dev: r.dev,
          ino: r.ino,
          ...(typeof r.content === "string" && r.content !== "" ? { content: r.content } : {}),
        });
      }
    } catch {
      // not a record
    }
  }
  return out;
}

function writeRecords(os: RegistryOs, state: string, records: readonly CreatedRecord[]): void {
  if (records.length === 0) os.fs.removeTree(recordsFile(state));
  else writeAtomic(os, recordsFile(state), records.map((r) => JSON.stringify(r) + "\n").join(""));
}

/** Never a half-written file for the next reader: write aside, then rename over. */
function writeAtomic(os: Pick<RegistryOs, "fs" | "pid">, path: string, text: string): void {
  const aside = `${path}.${os.pid}.new`;
  os.fs.writeFile(aside, text, 0o600);
  os.fs.rename(aside, path);
}

const identity = (st: NodeStat, path: string, kind: "file" | "dir"): CreatedRecord => ({
  path,
  kind,
  dev: st.dev.toString(),
  ino: st.ino.toString(),
});

function createOne(
  fs: LinuxFs,
  path: string,
  kind: "file" | "dir",
  created: CreatedRecord[],
  content: string | undefined,
): void {
  if (fs.exists(path)) return;
  const missing: string[] = [];
  for (let d = dirname(path); !fs.exists(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    fs.mkdir(d, 0o755);
    created.push(identity(fs.lstat(d), d, "dir"));
  }
  if (kind === "dir") {
    fs.mkdir(path, 0o555);
    created.push(identity(fs.lstat(path), path, "dir"));
  } else {
    // O_EXCL: if something appeared meanwhile, fail rather than adopt it as ours.
    const record = identity(fs.createFile(path, 0o444, content || undefined), path, "file");
    created.push(content ? { ...record, content } : record);
  }
}

/** A directory record that still is the directory srt created (the rmdir that follows removes it only if empty). */
function isOurs(fs: Pick<LinuxFs, "lstat">, r: CreatedRecord, uid: number): boolean {
  try {
    const st = fs.lstat(r.path);
    return st.kind === "dir" && sameNode(st, r, uid);
  } catch {
    return false; // gone already
  }
}

/** The node srt created and recorded: same device, inode and owner. */
const sameNode = (st: NodeStat, r: CreatedRecord, uid: number): boolean =>
  st.dev.toString() === r.dev && st.ino.toString() === r.ino && st.uid === uid;

/** Removes the record's node only if it still is the one srt created, unchanged (as srt wrote it, or an empty directory). */
export function removeIfOurs(
  fs: Pick<LinuxFs, "lstat" | "readFile" | "unlink" | "rmdir">,
  r: CreatedRecord,
  uid: number,
): "removed" | "kept" {
  let st: NodeStat;
  try {
    st = fs.lstat(r.path);
  } catch {
    return "kept"; // gone already
  }
  if (!sameNode(st, r, uid)) return "kept";
  try {
    // A file only while it still holds exactly what srt wrote (nothing, or "." for git's commondir).
    if (
      r.kind === "file" &&
      st.kind === "file" &&
      st.size === BigInt(Buffer.byteLength(r.content ?? "")) &&
      (r.content === undefined || fs.readFile(r.path) === r.content)
    )
      fs.unlink(r.path);
    else if (r.kind === "dir" && st.kind === "dir")
      fs.rmdir(r.path); // fails unless empty
    else return "kept";
    return "removed";
  } catch {
    return "kept"; // not empty (someone put something there) or gone: leave it
  }
}
