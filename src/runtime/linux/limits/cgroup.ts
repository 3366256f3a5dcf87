/**
 * A run's own cgroup: made before bwrap starts (the watchdog told first, so a
 * SIGKILLed srt still has it removed), limited, joined by srt's limits helper
 * before it executes bwrap (native/limits: the whole sandbox is born inside),
 * read after the run (did the tree hit its memory or pids limit?), and removed
 * at the end — after killing whatever is still in it, which also catches a
 * process that left the sandbox's process group.
 *
 * One directory per hierarchy: on v1 memory, pids and cpu usually sit in
 * separate hierarchies, on v2 one directory carries all three. The sandbox
 * cannot change any of it: the host's /sys is mounted read-only in the
 * sandbox, the command has no capabilities, and seccomp refuses mount and new
 * user namespaces (test/linux/limits.test.ts writes to the files from inside).
 */
import type { LinuxDeps } from "../deps.js";
import { RuntimeFailure } from "../../failure.js";
import type { CgroupSlot, LimitDecision } from "./decide.js";

export interface RunCgroup {
  /** The cgroup.procs files the limits helper writes itself into. */
  readonly procsFiles: readonly string[];
  readonly dirs: readonly string[];
  /** What the tree ran into so far. */
  events(): CgroupEvents;
  /** Kills what is left inside and removes the directories; returns the problems (never throws). */
  remove(): string[];
}

export interface CgroupEvents {
  /** Processes the OOM killer killed for the memory limit. */
  readonly oomKills: number;
  /** Forks refused at the pids limit. */
  readonly forksRefused: number;
  /** Microseconds the tree was throttled by its CPU limit. */
  readonly throttledUs: number;
}

interface Dir {
  readonly path: string;
  readonly slot: CgroupSlot;
  readonly controllers: Set<string>;
}

export function createRunCgroup(
  os: Pick<LinuxDeps, "fs" | "kill" | "clock">,
  runId: string,
  decisions: readonly LimitDecision[],
  expect: (dir: string) => void,
): RunCgroup {
  const byDir = runDirs(runId, decisions);
  const made: Dir[] = [];
  const cgroup: RunCgroup = {
    procsFiles: [...byDir.values()].map((d) => `${d.path}/cgroup.procs`),
    dirs: [...byDir.keys()],
    events: () => readEvents(os.fs, made),
    remove: () => removeDirs(os, made),
  };
  try {
    for (const dir of byDir.values()) {
      if (dir.slot.version === 2) enableControllers(os.fs, dir);
      expect(dir.path);
      os.fs.mkdir(dir.path, 0o755);
      made.push(dir);
    }
    for (const d of decisions) {
      if (d.mechanism.kind !== "cgroup") continue;
      const dir = byDir.get(`${d.mechanism.slot.parent}/srt-${runId}`)!;
      writeLimit(os.fs, dir, d);
    }
  } catch (e) {
    const problems = removeDirs(os, made);
    throw new RuntimeFailure(
      "SRT551",
      `cannot set up the run's cgroup: ${(e as Error).message}${problems.length ? `; ${problems.join("; ")}` : ""}`,
    );
  }
  return cgroup;
}

/** v2: a child gets a controller only when its parent's subtree_control enables it. */
function enableControllers(fs: LinuxDeps["fs"], dir: Dir): void {
  const want = [...dir.controllers].map((c) => `+${c}`).join(" ");
  const file = `${dir.slot.parent}/cgroup.subtree_control`;
  try {
    fs.writeFile(file, want, 0o644);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(
      code === "EBUSY"
        ? `${file}: the cgroup srt runs in holds processes, so cgroup v2 cannot give a child the ${want} controllers; run srt in a delegated cgroup whose processes sit in a leaf below it`
        : `${file}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

function writeLimit(fs: LinuxDeps["fs"], dir: Dir, d: LimitDecision): void {
  const w = (file: string, value: string): void => fs.writeFile(`${dir.path}/${file}`, value, 0o644);
  const exists = (file: string): boolean => {
    try {
      fs.lstat(`${dir.path}/${file}`);
      return true;
    } catch {
      return false;
    }
  };
  const v2 = dir.slot.version === 2;
  switch (d.key) {
    case "memory":
      if (v2) {
        w("memory.max", String(d.value));
        if (exists("memory.swap.max")) w("memory.swap.max", "0");
        // One OOM kills the whole tree, as the summary says ("killed"), not just its largest process.
        if (exists("memory.oom.group")) w("memory.oom.group", "1");
      } else {
        w("memory.limit_in_bytes", String(d.value));
        // Memory plus swap: without it the tree would swap instead of being stopped.
        if (exists("memory.memsw.limit_in_bytes")) w("memory.memsw.limit_in_bytes", String(d.value));
      }
      return;
    case "pids":
      w("pids.max", String(d.value));
      return;
    case "cpu": {
      const period = 100_000;
      const quota = Math.max(1000, Math.round(d.value * period));
      if (v2) w("cpu.max", `${quota} ${period}`);
      else {
        w("cpu.cfs_period_us", String(period));
        w("cpu.cfs_quota_us", String(quota));
      }
      return;
    }
    case "wallTime":
    case "fileSize":
    case "openFiles":
      throw new Error(`${d.key} is not a cgroup limit`);
  }
}

/** The run's cgroup directories, one per hierarchy (`srt-<run id>` below each slot's parent). */
function runDirs(runId: string, decisions: readonly LimitDecision[]): Map<string, Dir> {
  const byDir = new Map<string, Dir>();
  for (const d of decisions) {
    if (d.mechanism.kind !== "cgroup") continue;
    const slot = d.mechanism.slot;
    const path = `${slot.parent}/srt-${runId}`;
    const dir = byDir.get(path) ?? { path, slot, controllers: new Set<string>() };
    dir.controllers.add(slot.controller);
    byDir.set(path, dir);
  }
  return byDir;
}

/**
 * A run cgroup another program makes and removes (runc, from the spec's linux.resources, at the
 * same paths): its directories, and its counters while it exists.
 */
export function foreignRunCgroup(
  fs: LinuxDeps["fs"],
  runId: string,
  decisions: readonly LimitDecision[],
): { readonly dirs: readonly string[]; events(): CgroupEvents } {
  const dirs = [...runDirs(runId, decisions).values()];
  return { dirs: dirs.map((d) => d.path), events: () => readEvents(fs, dirs) };
}

function readEvents(fs: LinuxDeps["fs"], dirs: readonly Dir[]): CgroupEvents {
  let oomKills = 0;
  let forksRefused = 0;
  let throttledUs = 0;
  const field = (path: string, name: string): number => {
    try {
      const m = new RegExp(`^${name} (\\d+)$`, "m").exec(fs.readFile(path));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  };
  for (const d of dirs) {
    const v2 = d.slot.version === 2;
    if (d.controllers.has("memory"))
      oomKills += v2 ? field(`${d.path}/memory.events`, "oom_kill") : field(`${d.path}/memory.oom_control`, "oom_kill");
    if (d.controllers.has("pids")) forksRefused += field(`${d.path}/pids.events`, "max");
    if (d.controllers.has("cpu"))
      throttledUs += v2
        ? field(`${d.path}/cpu.stat`, "throttled_usec")
        : Math.round(field(`${d.path}/cpu.stat`, "throttled_time") / 1000);
  }
  return { oomKills, forksRefused, throttledUs };
}

/**
 * Cgroups below the run's (the sandbox cannot make any: /sys is read-only inside; this is for a
 * host where that ever fails) would keep it from being removed. Empty ones go; busy ones say so.
 */
function removeChildren(fs: LinuxDeps["fs"], dir: string): void {
  for (const name of fs.readdir(dir)) {
    const child = `${dir}/${name}`;
    if (fs.lstat(child).kind !== "dir") continue;
    removeChildren(fs, child);
    fs.rmdir(child);
  }
}

/** Kill what is left, then rmdir (a dying process keeps its cgroup busy for a moment: retried every 5 ms for up to 2 s). */
function removeDirs(os: Pick<LinuxDeps, "fs" | "kill" | "clock">, dirs: Dir[]): string[] {
  const problems: string[] = [];
  for (const d of dirs.splice(0).reverse()) {
    let last: Error | undefined;
    for (let attempt = 0; attempt < 400; attempt++) {
      try {
        for (const pid of os.fs.readFile(`${d.path}/cgroup.procs`).split("\n").filter(Boolean)) {
          try {
            os.kill(Number(pid), "SIGKILL");
          } catch {
            // already gone
          }
        }
      } catch {
        // unreadable or gone: rmdir says which
      }
      try {
        removeChildren(os.fs, d.path);
        os.fs.rmdir(d.path);
        last = undefined;
        break;
      } catch (e) {
        last = e as Error;
        if ((e as { code?: string }).code === "ENOENT") {
          last = undefined;
          break;
        }
        os.clock.block(5);
      }
    }
    if (last !== undefined) problems.push(`cannot remove the run's cgroup ${d.path}: ${last.message}`);
  }
  return problems;
}
