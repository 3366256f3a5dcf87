/**
 * What `srt explain` and `srt doctor` say about resource limits on this host:
 * the same decision a run makes (decide.ts over probe.ts), in words. Doctor
 * also makes and removes a trial cgroup when srt may create one, so "holds"
 * means a cgroup was really made here, not that a directory looked right.
 */
import type { ResourceLimits } from "../../../compiler/ir.js";
import type { LinuxDeps } from "../deps.js";
import { createRunCgroup } from "./cgroup.js";
import {
  decideLimits,
  defaultEngine,
  describeLimit,
  limitKeys,
  type LimitDecision,
  type LimitsHost,
} from "./decide.js";
import { limitsAppliers, probeUid, type LimitsEngine } from "./engine.js";
import { probeLimitsHost } from "./probe.js";

/**
 * explain's lines for a policy's limits: each with its origin and how it holds here under the
 * engine that would run it (no host: not Linux). `host` is probed for that engine (probeFor).
 */
export function explainLimits(limits: ResourceLimits, host: LimitsHost | undefined, engine?: LimitsEngine): string[] {
  const asked = limitKeys.filter((k) => limits[k] !== undefined);
  if (asked.length === 0) return [];
  const shown = host === undefined ? undefined : (engine ?? defaultEngine(host));
  const out = ["", `Resource limits${shown === undefined ? "" : ` (under ${engineName(shown)})`}:`];
  const decided = host === undefined ? undefined : decideLimits(limits, host, shown);
  for (const k of asked) {
    const l = limits[k]!;
    out.push(`    ${describeLimit(k, l.value)}  ← ${l.origin}`);
    const d = decided?.decisions.find((x) => x.key === k);
    if (d !== undefined) out.push(`      on this host: ${holdsText(d)}`);
  }
  const be = limits.bestEffort;
  if (decided === undefined) out.push("  how each holds is decided on the host that runs the command (srt doctor)");
  else if (decided.refusals.length > 0)
    out.push(
      `  ✗ a run of this policy is refused here (SRT550): a limit does not hold and bestEffort is off  ← ${be.origin}`,
    );
  else if (be.value) out.push(`  bestEffort: limits that do not hold here are skipped  ← ${be.origin}`);
  return out;
}

/** "runc, rootless" */
export const engineName = (e: LimitsEngine): string => `${e.runtime}, ${e.rootless ? "rootless" : "as root"}`;

/** The host's facts as a run under `engine` by `uid` sees them (a daemon's cgroups are root's). */
export const probeFor = (fs: Parameters<typeof probeLimitsHost>[0], uid: number, engine: LimitsEngine): LimitsHost =>
  probeLimitsHost(fs, probeUid(engine, uid));

const holdsText = (d: LimitDecision): string =>
  d.holds === "tree"
    ? `holds for the whole sandbox: ${d.how}`
    : d.holds === "process"
      ? `holds per process: ${d.how}`
      : `does NOT hold: ${d.how}`;

export interface LimitsCheck {
  readonly ok: boolean;
  readonly detail: string;
  readonly fix?: string;
}

/** doctor: which limits hold here under `engine`; a trial cgroup proves the ones in a cgroup srt or runc makes. */
export function checkLimits(
  os: Pick<LinuxDeps, "fs" | "kill" | "clock" | "runId">,
  uid: number,
  engine: LimitsEngine = { runtime: "bwrap", rootless: uid !== 0 },
): LimitsCheck {
  const host = probeFor(os.fs, uid, engine);
  const probe: ResourceLimits = {
    memory: { value: 2 ** 40, origin: "default" },
    pids: { value: 1 << 20, origin: "default" },
    cpu: { value: 1024, origin: "default" },
    wallTime: { value: 1, origin: "default" },
    fileSize: { value: 1, origin: "default" },
    openFiles: { value: 16, origin: "default" },
    bestEffort: { value: false, origin: "default" },
  };
  const decided = decideLimits(probe, host, engine).decisions;
  const viaCgroup = decided.filter((d) => d.mechanism.kind === "cgroup");
  let trial: string | undefined;
  if (viaCgroup.length > 0) {
    try {
      const cg = createRunCgroup(os, `doctor-${os.runId()}`, viaCgroup, () => undefined);
      const problems = cg.remove();
      if (problems.length > 0) trial = problems.join("; ");
    } catch (e) {
      trial = (e as Error).message;
    }
  }
  const parts = decided.map((d) =>
    d.holds === "no"
      ? `${d.key}: NOT enforceable (${d.how})`
      : d.mechanism.kind === "cgroup" && trial !== undefined
        ? `${d.key}: NOT enforceable (a trial cgroup failed: ${trial})`
        : `${d.key}: ${d.mechanism.kind === "rlimit" && d.key === "openFiles" ? `${d.how}, up to ${nofileShown(host, engine)}` : d.how}`,
  );
  const ok = decided.every((d) => d.holds !== "no") && trial === undefined;
  const bestEffort = 'or set "limits": {"bestEffort": true}';
  const delegate = `as root, delegate a cgroup to uid ${uid}: mkdir <its own cgroup in each hierarchy>/srt-${uid} and chown it to ${uid} (README: Resource limits)`;
  return {
    ok,
    detail: `under ${engineName(engine)}: ${parts.join("; ")}`,
    ...(ok
      ? {}
      : {
          fix:
            uid === 0
              ? `mount the cgroup controllers (memory, pids, cpu) writable, ${bestEffort}`
              : limitsAppliers(engine.runtime).cgroup === "srt"
                ? `${delegate}; ${bestEffort}`
                : `run as root, or under bwrap with a delegated cgroup (${delegate}); ${bestEffort}`,
        }),
  };
}

const nofileShown = (host: LimitsHost, engine: LimitsEngine): string =>
  engine.runtime === "docker"
    ? "the daemon's hard limit"
    : host.nofileHard === Number.MAX_SAFE_INTEGER
      ? "unlimited"
      : String(host.nofileHard);
