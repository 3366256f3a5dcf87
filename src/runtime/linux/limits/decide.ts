/**
 * Which of a policy's limits hold on this host, and how (pure: the host's facts
 * come in as LimitsHost, from probe.ts). The one decision `srt explain`,
 * `srt doctor` and a run share, so what they say is what a run does.
 *
 *   memory, pids, cpu   a per-run cgroup (the whole tree) when srt may create
 *                       one: as root below its own cgroup, else in a cgroup
 *                       delegated to the user (probe.ts says which);
 *   memory without one  RLIMIT_DATA per process, only with bestEffort (not
 *                       RLIMIT_AS: Node reserves address space far beyond its
 *                       use, and WebAssembly and fetch fail under it);
 *   pids without one    nothing: RLIMIT_NPROC counts every process of the user
 *                       on the host (srt's, the editor's, other runs'), not the
 *                       run's tree, and root is exempt from it — as a stand-in it
 *                       would refuse forks at random or not at all;
 *   cpu without one     nothing (RLIMIT_CPU is CPU seconds, not a share);
 *   fileSize            RLIMIT_FSIZE per process (what the limit means);
 *   openFiles           RLIMIT_NOFILE per process, at most the current hard limit
 *                       (raising one needs CAP_SYS_RESOURCE, which root lacks here);
 *   wallTime            srt's own timer: it kills the sandbox's pid 1, which ends
 *                       the tree.
 * A limit that does not hold fails the run (SRT550) unless bestEffort is set.
 * The engine (engine.ts) changes who applies each limit and, for some, whether
 * it can hold at all: the verdict is made here, once, for every engine.
 */
import { formatBytes, formatDuration } from "../../../compiler/limits.js";
import type { LimitValue, Origin, ResourceLimits } from "../../../compiler/ir.js";
import type { Controller } from "./hierarchy.js";
import { engineFlag, engineRefusesCgroup, limitsAppliers, rlimitBy, type LimitsEngine } from "./engine.js";

export type LimitKey = "memory" | "pids" | "cpu" | "wallTime" | "fileSize" | "openFiles";
export const limitKeys: readonly LimitKey[] = ["memory", "pids", "cpu", "wallTime", "fileSize", "openFiles"];

/** The policy asks for at least one limit (bestEffort alone asks for none). */
export const limitsRequested = (limits: ResourceLimits): boolean => limitKeys.some((k) => limits[k] !== undefined);

/** Where srt may create a run's cgroup for one controller. */
export interface CgroupSlot {
  readonly controller: Controller;
  readonly version: 1 | 2;
  /** The run's cgroup is made as a child of this directory. */
  readonly parent: string;
}

export interface LimitsHost {
  readonly uid: number;
  /** Per controller: where a run's cgroup can go, or why it cannot. */
  readonly cgroups: ReadonlyMap<Controller, CgroupSlot | { readonly missing: string }>;
  /** The hard RLIMIT_NOFILE srt runs under (an rlimit can be lowered, not raised). */
  readonly nofileHard: number;
}

export type Mechanism =
  /** A per-run cgroup at the slot: made by srt, or by runc from linux.resources (engine.ts says which). */
  | { readonly kind: "cgroup"; readonly slot: CgroupSlot }
  /** The container engine's own cgroup, from its flags (docker, podman). */
  | { readonly kind: "engine"; readonly flag: string; readonly version: 1 | 2 }
  | { readonly kind: "rlimit"; readonly rlimit: "data" | "fsize" | "nofile" }
  | { readonly kind: "timer" }
  | { readonly kind: "none" };

export interface LimitDecision {
  readonly key: LimitKey;
  readonly value: number;
  readonly origin: Origin;
  readonly mechanism: Mechanism;
  /** "tree": the whole sandbox together; "process": each process on its own; "no": not enforced. */
  readonly holds: "tree" | "process" | "no";
  /** What enforces it, or why nothing does, in words. */
  readonly how: string;
}

export interface LimitsDecision {
  readonly decisions: readonly LimitDecision[];
  /** Limits that do not hold as asked, and bestEffort is off: the run must not start. */
  readonly refusals: readonly string[];
  readonly bestEffort: boolean;
}

/** "memory limit 256 MiB", "CPU limit 0.5 cores", "wall time limit 30 s". */
export function describeLimit(key: LimitKey, value: number): string {
  switch (key) {
    case "memory":
      return `memory limit ${formatBytes(value)}`;
    case "pids":
      return `process limit ${value}`;
    case "cpu":
      return `CPU limit ${value} ${value === 1 ? "core" : "cores"}`;
    case "wallTime":
      return `wall time limit ${formatDuration(value)}`;
    case "fileSize":
      return `file size limit ${formatBytes(value)}`;
    case "openFiles":
      return `open files limit ${value}`;
  }
}

/** bwrap as the caller: what a run decides when no other engine is named. */
export const defaultEngine = (host: LimitsHost): LimitsEngine => ({ runtime: "bwrap", rootless: host.uid !== 0 });

export function decideLimits(
  limits: ResourceLimits,
  host: LimitsHost,
  engine: LimitsEngine = defaultEngine(host),
): LimitsDecision {
  const bestEffort = limits.bestEffort.value;
  const decisions: LimitDecision[] = [];
  const refusals: string[] = [];
  for (const key of limitKeys) {
    const l: LimitValue | undefined = limits[key];
    if (l === undefined) continue;
    const d = decideOne(key, l, host, bestEffort, engine);
    decisions.push(d);
    if (d.holds === "no" && !bestEffort) refusals.push(`${describeLimit(key, l.value)} (${l.origin}): ${d.how}`);
  }
  return { decisions, refusals, bestEffort };
}

function decideOne(
  key: LimitKey,
  l: LimitValue,
  host: LimitsHost,
  bestEffort: boolean,
  engine: LimitsEngine,
): LimitDecision {
  const base = { key, value: l.value, origin: l.origin };
  const cgroup = (c: Controller, v1File: string, v2File: string): LimitDecision | string => {
    const slot = host.cgroups.get(c);
    const version = slot === undefined || "missing" in slot ? undefined : slot.version;
    const refused = engineRefusesCgroup(engine, version);
    if (refused !== undefined) return refused;
    if (slot === undefined || "missing" in slot) return slot?.missing ?? `no ${c} controller`;
    const file = `cgroup v${slot.version} ${slot.version === 2 ? v2File : v1File}`;
    const by = limitsAppliers(engine.runtime).cgroup;
    if (by === "engine")
      return {
        ...base,
        mechanism: { kind: "engine", flag: engineFlag[c], version: slot.version },
        holds: "tree",
        how: `${engine.runtime} ${engineFlag[c]}: the ${file} of the container's cgroup (the engine's)`,
      };
    return {
      ...base,
      mechanism: { kind: "cgroup", slot },
      holds: "tree",
      how:
        by === "runtime"
          ? `the spec's linux.resources: ${engine.runtime} sets ${file} of a per-run cgroup it makes below ${slot.parent}`
          : `${file} of a per-run cgroup below ${slot.parent}${engine.runtime === "crun" ? " (crun runs in it with its own cgroup manager off)" : ""}`,
    };
  };
  const none = (why: string): LimitDecision => ({ ...base, mechanism: { kind: "none" }, holds: "no", how: why });
  /** `how` gets the words for who sets it ("", " (docker --ulimit fsize)"). */
  const rlimit = (r: "data" | "fsize" | "nofile", how: (by: string) => string): LimitDecision => ({
    ...base,
    mechanism: { kind: "rlimit", rlimit: r },
    holds: "process",
    how: how(rlimitBy(engine, r)),
  });
  switch (key) {
    case "memory": {
      const c = cgroup("memory", "memory.limit_in_bytes", "memory.max");
      if (typeof c !== "string") return c;
      return bestEffort
        ? rlimit(
            "data",
            (by) =>
              `no cgroup: ${c}; RLIMIT_DATA for each process${by} instead (allocations beyond it fail; the tree as a whole is not limited)`,
          )
        : none(`no cgroup: ${c}; only a per-process RLIMIT_DATA could stand in, which needs "bestEffort": true`);
    }
    case "pids": {
      const c = cgroup("pids", "pids.max", "pids.max");
      if (typeof c !== "string") return c;
      return none(
        `no cgroup: ${c}; RLIMIT_NPROC is no stand-in: it counts every process of the user on this host, not the run's, and does not bind root`,
      );
    }
    case "cpu": {
      const c = cgroup("cpu", "cpu.cfs_quota_us", "cpu.max");
      if (typeof c !== "string") return c;
      return none(`no cgroup: ${c}; no rlimit limits a share of CPU time`);
    }
    case "wallTime":
      return { ...base, mechanism: { kind: "timer" }, holds: "tree", how: "srt kills the sandbox when it is reached" };
    case "fileSize":
      return rlimit("fsize", (by) => `RLIMIT_FSIZE for each process${by}`);
    case "openFiles":
      // The container's first process inherits srt's hard limit (docker's from its daemon, unknown here).
      return engine.runtime === "docker" || l.value <= host.nofileHard
        ? rlimit("nofile", (by) => `RLIMIT_NOFILE for each process${by}`)
        : none(
            `srt itself may open at most ${host.nofileHard} files here (hard RLIMIT_NOFILE); raising it needs CAP_SYS_RESOURCE`,
          );
  }
}
