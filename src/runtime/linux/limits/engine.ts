/**
 * Who applies a run's limits under each engine, and whether a tree-wide one can
 * hold there (pure; decide.ts asks, for `srt explain`, `srt doctor` and the run
 * alike). The engines differ only in who writes the cgroup and the rlimits:
 *
 *   bwrap          srt makes the run's cgroup; its limits helper joins it and
 *                  sets the rlimits before bwrap executes;
 *   crun           the same cgroup, the helper joins it before crun executes;
 *                  crun runs with its cgroup manager off, so the container stays
 *                  in it; the rlimits are the spec's process.rlimits;
 *   runc           as root, runc makes the cgroup from the spec's
 *                  linux.resources where srt's own would be; rootless runc is
 *                  given none (on cgroup v1 it cannot make one unprivileged);
 *   docker         the engine's daemon (root) makes the container's cgroup from
 *                  --memory, --pids-limit, --cpus; --ulimit for the rlimits;
 *   podman         as docker when root; rootless podman ignores resource
 *                  limits on cgroup v1 (it says so and runs without them).
 * wallTime is srt's timer under every engine: it kills the sandbox's first
 * process (a container's init on the host), which ends the tree.
 */
import type { Controller } from "./hierarchy.js";

export type LimitsRuntime = "bwrap" | "runc" | "crun" | "docker" | "podman";
export const limitsRuntimes: readonly LimitsRuntime[] = ["bwrap", "runc", "crun", "docker", "podman"];

/** The engine of a run, as far as its limits go. */
export interface LimitsEngine {
  readonly runtime: LimitsRuntime;
  /** srt runs as a user other than root (the engine's daemon, if any, may still be root). */
  readonly rootless: boolean;
}

/** Who writes each kind of limit: srt (its helper), the OCI runtime (the spec's fields) or the engine's flags. */
export interface LimitsAppliers {
  readonly cgroup: "srt" | "runtime" | "engine";
  readonly rlimit: "helper" | "runtime" | "engine";
}

export function limitsAppliers(runtime: LimitsRuntime): LimitsAppliers {
  switch (runtime) {
    case "bwrap":
      return { cgroup: "srt", rlimit: "helper" };
    case "crun":
      return { cgroup: "srt", rlimit: "runtime" };
    case "runc":
      return { cgroup: "runtime", rlimit: "runtime" };
    case "docker":
    case "podman":
      return { cgroup: "engine", rlimit: "engine" };
  }
}

/** Whose cgroups the probe must look at: a daemon's (root) for Docker and podman, else srt's caller's. */
export const probeUid = (engine: LimitsEngine, uid: number): number =>
  engine.runtime === "docker" || engine.runtime === "podman" ? 0 : uid;

/** The engine's own words for a tree-wide limit (docker and podman). */
export const engineFlag: Readonly<Record<Controller, string>> = {
  memory: "--memory and --memory-swap",
  pids: "--pids-limit",
  cpu: "--cpus",
};

/**
 * Why this engine cannot hold a tree-wide limit whatever the host offers, or undefined. `version`:
 * the controller's cgroup version here (undefined: the host has no place for it, which the caller says).
 */
export function engineRefusesCgroup(engine: LimitsEngine, version: 1 | 2 | undefined): string | undefined {
  if (engine.runtime === "runc" && engine.rootless)
    return "srt gives rootless runc no cgroup, so it applies no linux.resources (on a cgroup v1 host it cannot make one unprivileged); run as root, or under bwrap or crun with a delegated cgroup";
  if (engine.runtime === "podman" && engine.rootless && version !== undefined)
    return version === 1
      ? "rootless podman ignores resource limits on cgroup v1 (it warns and runs the container without them)"
      : "srt has not verified that rootless podman applies resource limits on this host (it needs a cgroup v2 controller delegated to the user)";
  return undefined;
}

/** How each rlimit is set, in words, after "RLIMIT_X for each process". */
export function rlimitBy(engine: LimitsEngine, rlimit: "data" | "fsize" | "nofile"): string {
  switch (limitsAppliers(engine.runtime).rlimit) {
    case "helper":
      return "";
    case "runtime":
      return ` (the spec's process.rlimits, set by ${engine.runtime})`;
    case "engine":
      return ` (${engine.runtime} --ulimit ${rlimit})`;
  }
}
