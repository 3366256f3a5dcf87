/**
 * The limits phase of a run (run.ts), between prepare and launch: decide what
 * holds here (decide.ts over probe.ts), refuse the run when a requested limit
 * would not hold and bestEffort is off (SRT550: fail closed), make the run's
 * cgroup (cgroup.ts), and give launch the helper's argument list that puts
 * bwrap into the cgroup and under the rlimits before it executes. The wall
 * time is srt's own timer, armed once the sandbox exists. After the run,
 * `violations` says which limits the command ran into.
 */
import type { ResourceLimits } from "../../../compiler/ir.js";
import type { OciLimitValues } from "../../../backends/oci/index.js";
import type { LinuxDeps } from "../deps.js";
import { RuntimeFailure } from "../../failure.js";
import { createRunCgroup, foreignRunCgroup, type RunCgroup } from "./cgroup.js";
import { decideLimits, describeLimit, limitsRequested, type LimitDecision, type LimitKey } from "./decide.js";
import { limitsAppliers, probeUid, type LimitsEngine } from "./engine.js";
import { probeLimitsHost } from "./probe.js";

/** A limit the command ran into: a line in the summary, an entry in the --violations file. */
export interface LimitViolation {
  readonly kind: "limit";
  /** ISO 8601. */
  readonly time: string;
  readonly limit: LimitKey;
  readonly value: number;
  /** Where the limit was set (a settings pointer). */
  readonly rule: string;
  /** "memory limit 256 MiB reached: killed". */
  readonly reason: string;
}

export interface LimitsSession {
  /** The limits helper and its options, to run bwrap under; undefined when no limit needs it. */
  readonly prefix: readonly string[] | undefined;
  readonly decisions: readonly LimitDecision[];
  /** The cgroup limits runc must apply as linux.resources (empty for every other engine). */
  readonly cgroupLimits: readonly LimitDecision[];
  /** The rlimits the runtime or engine applies (empty under bwrap: srt's helper sets them). */
  readonly rlimits: readonly RuntimeRlimit[];
  /** What the runtime or engine must apply itself: runc's linux.resources, docker's flags, their rlimits. */
  readonly applied: OciLimitValues;
  /** Arms the wall-time timer (if any) once the sandbox runs; `kill` ends the sandbox. */
  startClock(kill: () => void): void;
  /** What the command ran into, given its exit status. */
  violations(status: number | undefined): LimitViolation[];
  /** Stops the timer, kills leftovers, removes the cgroup; the problems, never a throw. */
  close(): string[];
}

export interface LimitsRequest {
  readonly limits: ResourceLimits;
  readonly uid: number;
  readonly runId: string;
  /** The limits helper's path (throws SRT510 when it is not built). */
  readonly helper: () => string;
  /** Told each cgroup directory before it is made (the watchdog removes it if srt dies). */
  readonly expectCgroup: (dir: string) => void;
  /** Said to the user (not only in debug output): a limit bestEffort skips or weakens. */
  readonly warn?: ((line: string) => void) | undefined;
  /**
   * The engine (engine.ts): who applies what. bwrap (default): srt's cgroup, joined with the rlimits
   * by srt's helper. crun: srt's cgroup joined by the helper, the rlimits the runtime's. runc: the
   * cgroup is runc's (the spec's linux.resources, `srt-<run id>` below srt's own), its counters read
   * after the run (runc run --keep), the rlimits the runtime's. docker, podman: the engine's flags.
   */
  readonly engine?: LimitsEngine;
}

/** An rlimit the runtime or engine applies itself (not srt's helper). */
export interface RuntimeRlimit {
  readonly rlimit: "data" | "fsize" | "nofile";
  readonly value: number;
}

/** SIGXFSZ's status (128+25 on Linux): the command's writer went past fileSize. */
const xfszStatus = 153;

export function startLimits(
  os: Pick<LinuxDeps, "fs" | "kill" | "clock">,
  req: LimitsRequest,
  log: (what: string) => void,
): LimitsSession | undefined {
  // A policy without limits costs a run nothing: no probe of the host's cgroups.
  if (!limitsRequested(req.limits)) return undefined;
  const engine = req.engine ?? { runtime: "bwrap", rootless: req.uid !== 0 };
  const decision = decideLimits(req.limits, probeLimitsHost(os.fs, probeUid(engine, req.uid)), engine);
  if (decision.decisions.length === 0) return undefined;
  if (decision.refusals.length > 0)
    throw new RuntimeFailure(
      "SRT550",
      `this host cannot enforce ${decision.refusals.join("; ")}. Set "limits": {"bestEffort": true} to run without them (srt doctor says what holds here)`,
    );
  for (const d of decision.decisions) {
    log(`${describeLimit(d.key, d.value)}: ${d.holds === "no" ? "NOT enforced" : d.how}`);
    if (d.holds === "no" || (d.key === "memory" && d.holds === "process"))
      req.warn?.(
        `srt: warning: ${describeLimit(d.key, d.value)} ${d.holds === "no" ? "is not enforced here" : "holds per process only"} (bestEffort): ${d.how}`,
      );
  }
  const appliers = limitsAppliers(engine.runtime);
  const byRuntime = appliers.rlimit !== "helper";
  const rlimits = decision.decisions.flatMap((d): RuntimeRlimit[] =>
    byRuntime && d.mechanism.kind === "rlimit" ? [{ rlimit: d.mechanism.rlimit, value: d.value }] : [],
  );
  const cgroupByRuntime = appliers.cgroup === "runtime";
  const cgroupLimits = decision.decisions.filter((d) => d.mechanism.kind === "cgroup");
  const needsHelper = decision.decisions.some(
    (d) => (d.mechanism.kind === "cgroup" && !cgroupByRuntime) || (d.mechanism.kind === "rlimit" && !byRuntime),
  );
  const helper = needsHelper ? req.helper() : undefined;
  let cgroup: Pick<RunCgroup, "events" | "remove" | "procsFiles"> | undefined;
  if (cgroupLimits.length > 0 && cgroupByRuntime) {
    const foreign = foreignRunCgroup(os.fs, req.runId, decision.decisions);
    // The watchdog removes them if srt dies; after a normal run the runtime has.
    for (const dir of foreign.dirs) req.expectCgroup(dir);
    cgroup = { procsFiles: [], events: foreign.events, remove: () => [] };
  } else if (cgroupLimits.length > 0) cgroup = createRunCgroup(os, req.runId, decision.decisions, req.expectCgroup);
  const prefix =
    helper === undefined
      ? undefined
      : [
          helper,
          ...(cgroup?.procsFiles ?? []).flatMap((f) => ["--join", f]),
          ...decision.decisions.flatMap((d) =>
            d.mechanism.kind === "rlimit" && !byRuntime ? ["--rlimit", `${d.mechanism.rlimit}=${d.value}`] : [],
          ),
        ];
  const wall = decision.decisions.find((d) => d.key === "wallTime");
  let cancel: (() => void) | undefined;
  let wallHit: Date | undefined;
  const treeByOthers = decision.decisions.filter(
    (d) => (d.mechanism.kind === "cgroup" && cgroupByRuntime) || d.mechanism.kind === "engine",
  );
  return {
    prefix,
    decisions: decision.decisions,
    cgroupLimits: cgroupByRuntime ? cgroupLimits : [],
    rlimits,
    // The tree-wide limits are memory, pids and cpu only.
    applied: { resources: Object.fromEntries(treeByOthers.map((d) => [d.key, d.value])), rlimits },
    startClock(kill) {
      if (wall === undefined || cancel !== undefined) return;
      cancel = os.clock.after(wall.value, () => {
        wallHit = os.clock.date();
        log(`${describeLimit("wallTime", wall.value)} reached: killing the sandbox`);
        kill();
      });
    },
    violations(status) {
      const now = os.clock.date();
      const out: LimitViolation[] = [];
      const add = (d: LimitDecision | undefined, what: string, at: Date = now): void => {
        if (d !== undefined)
          out.push({
            kind: "limit",
            time: at.toISOString(),
            limit: d.key,
            value: d.value,
            rule: d.origin,
            reason: `${describeLimit(d.key, d.value)} reached: ${what}`,
          });
      };
      const find = (k: LimitKey): LimitDecision | undefined => decision.decisions.find((d) => d.key === k);
      if (wallHit !== undefined) add(wall, "killed", wallHit);
      const ev = cgroup?.events();
      if (ev !== undefined && ev.oomKills > 0)
        add(
          find("memory"),
          status === 137 ? "killed" : `${ev.oomKills} ${ev.oomKills === 1 ? "process" : "processes"} killed`,
        );
      if (ev !== undefined && ev.forksRefused > 0)
        add(find("pids"), `${ev.forksRefused} ${ev.forksRefused === 1 ? "fork" : "forks"} refused`);
      if (status === xfszStatus) add(find("fileSize"), "a write past it was stopped (SIGXFSZ)");
      if (ev !== undefined && ev.throttledUs > 0)
        log(`${describeLimit("cpu", find("cpu")?.value ?? 0)}: throttled for ${Math.round(ev.throttledUs / 1000)} ms`);
      return out;
    },
    close() {
      cancel?.();
      return cgroup?.remove() ?? [];
    },
  };
}
