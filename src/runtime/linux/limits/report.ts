/**
 * What `srt explain` and `srt doctor` say about resource limits on this host:
 * the same decision a run makes (decide.ts over probe.ts), in words. Doctor
 * also makes and removes a trial cgroup when srt may create one, so "holds"
 * means a cgroup was really made here, not that a directory looked right.
 */
import type { ResourceLimits } from "../../../compiler/ir.js";
import type { LinuxDeps } from "../deps.js";
import { createRunCgroup } from "./cgroup.js";
import { decideLimits, describeLimit, limitKeys, type LimitDecision, type LimitsHost } from "./decide.js";
import { controllers } from "./hierarchy.js";
import { probeLimitsHost } from "./probe.js";

/** explain's lines for a policy's limits: each with its origin and how it holds here (no host: Linux only). */
export function explainLimits(limits: ResourceLimits, host: LimitsHost | undefined): string[] {
  const asked = limitKeys.filter((k) => limits[k] !== undefined);
  if (asked.length === 0) return [];
  const out = ["", "Resource limits:"];
  const decided = host === undefined ? undefined : decideLimits(limits, host);
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

/** doctor: which limits hold here; a trial cgroup proves the cgroup ones. */
export function checkLimits(os: Pick<LinuxDeps, "fs" | "kill" | "clock" | "runId">, uid: number): LimitsCheck {
  const host = probeLimitsHost(os.fs, uid);
  const probe: ResourceLimits = {
    memory: { value: 2 ** 40, origin: "default" },
    pids: { value: 1 << 20, origin: "default" },
    cpu: { value: 1024, origin: "default" },
    bestEffort: { value: true, origin: "default" },
  };
  const decided = decideLimits(probe, host).decisions;
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
  const parts: string[] = [];
  for (const c of controllers) {
    const slot = host.cgroups.get(c);
    const key = c === "memory" ? "memory" : c === "pids" ? "pids" : "cpu";
    if (slot !== undefined && !("missing" in slot) && trial === undefined)
      parts.push(`${key}: cgroup v${slot.version} below ${slot.parent}`);
    else if (slot !== undefined && "missing" in slot) parts.push(`${key}: NOT enforceable (${slot.missing})`);
    else parts.push(`${key}: NOT enforceable (a trial cgroup failed: ${trial ?? "unknown"})`);
  }
  parts.push(
    `fileSize: RLIMIT_FSIZE`,
    `openFiles: RLIMIT_NOFILE up to ${host.nofileHard === Number.MAX_SAFE_INTEGER ? "unlimited" : host.nofileHard}`,
    "wallTime: srt's timer",
  );
  const allCgroup = viaCgroup.length === controllers.length && trial === undefined;
  return {
    ok: allCgroup,
    detail: parts.join("; "),
    ...(allCgroup
      ? {}
      : {
          fix:
            uid === 0
              ? 'mount the cgroup controllers (memory, pids, cpu) writable, or set "limits": {"bestEffort": true}'
              : `as root, delegate a cgroup to uid ${uid}: mkdir <its own cgroup in each hierarchy>/srt-${uid} and chown it to ${uid} (README: Resource limits); or set "limits": {"bestEffort": true}`,
        }),
  };
}
