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
 */
import { formatBytes, formatDuration } from "../../../compiler/limits.js";
import type { LimitValue, Origin, ResourceLimits } from "../../../compiler/ir.js";
import type { Controller } from "./hierarchy.js";

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
  | { readonly kind: "cgroup"; readonly slot: CgroupSlot }
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

export function decideLimits(limits: ResourceLimits, host: LimitsHost): LimitsDecision {
  const bestEffort = limits.bestEffort.value;
  const decisions: LimitDecision[] = [];
  const refusals: string[] = [];
  for (const key of limitKeys) {
    const l: LimitValue | undefined = limits[key];
    if (l === undefined) continue;
    const d = decideOne(key, l, host, bestEffort);
    decisions.push(d);
    if (d.holds === "no" && !bestEffort) refusals.push(`${describeLimit(key, l.value)} (${l.origin}): ${d.how}`);
  }
  return { decisions, refusals, bestEffort };
}

function decideOne(key: LimitKey, l: LimitValue, host: LimitsHost, bestEffort: boolean): LimitDecision {
  const base = { key, value: l.value, origin: l.origin };
  const cgroup = (c: Controller, file: string): LimitDecision | string => {
    const slot = host.cgroups.get(c);
    if (slot === undefined || "missing" in slot) return slot?.missing ?? `no ${c} controller`;
    return {
      ...base,
      mechanism: { kind: "cgroup", slot },
      holds: "tree",
      how: `cgroup v${slot.version} ${file} of a per-run cgroup below ${slot.parent}`,
    };
  };
  const none = (why: string): LimitDecision => ({ ...base, mechanism: { kind: "none" }, holds: "no", how: why });
  switch (key) {
    case "memory": {
      const c = cgroup("memory", versionOf(host, "memory") === 2 ? "memory.max" : "memory.limit_in_bytes");
      if (typeof c !== "string") return c;
      return bestEffort
        ? {
            ...base,
            mechanism: { kind: "rlimit", rlimit: "data" },
            holds: "process",
            how: `no cgroup: ${c}; RLIMIT_DATA for each process instead (allocations beyond it fail; the tree as a whole is not limited)`,
          }
        : none(`no cgroup: ${c}; only a per-process RLIMIT_DATA could stand in, which needs "bestEffort": true`);
    }
    case "pids": {
      const c = cgroup("pids", "pids.max");
      if (typeof c !== "string") return c;
      return none(
        `no cgroup: ${c}; RLIMIT_NPROC is no stand-in: it counts every process of the user on this host, not the run's, and does not bind root`,
      );
    }
    case "cpu": {
      const c = cgroup("cpu", versionOf(host, "cpu") === 2 ? "cpu.max" : "cpu.cfs_quota_us");
      if (typeof c !== "string") return c;
      return none(`no cgroup: ${c}; no rlimit limits a share of CPU time`);
    }
    case "wallTime":
      return { ...base, mechanism: { kind: "timer" }, holds: "tree", how: "srt kills the sandbox when it is reached" };
    case "fileSize":
      return {
        ...base,
        mechanism: { kind: "rlimit", rlimit: "fsize" },
        holds: "process",
        how: "RLIMIT_FSIZE for each process",
      };
    case "openFiles":
      return l.value <= host.nofileHard
        ? {
            ...base,
            mechanism: { kind: "rlimit", rlimit: "nofile" },
            holds: "process",
            how: "RLIMIT_NOFILE for each process",
          }
        : none(
            `srt itself may open at most ${host.nofileHard} files here (hard RLIMIT_NOFILE); raising it needs CAP_SYS_RESOURCE`,
          );
  }
}

const versionOf = (host: LimitsHost, c: Controller): 1 | 2 | undefined => {
  const s = host.cgroups.get(c);
  return s === undefined || "missing" in s ? undefined : s.version;
};
