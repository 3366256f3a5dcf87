/**
 * The wait phase of a run (run.ts): bwrap's end, and what it means. The
 * command's own status (bwrap's status fd, else bwrap's exit) when the
 * sandbox started; a runtime failure when it never did — the command did not
 * run — or when a protection detached meanwhile (the sandbox was killed for
 * it, and that is what the user must hear).
 */
import type { ProtectionGuard } from "./protection-watch.js";
import type { Launched } from "./launch.js";
import type { LinuxDeps } from "./deps.js";
import type { RunResult } from "./run.js";
import { signalSandbox, statusOfSignal } from "./signals.js";
import { failed } from "../failure.js";
import type { SupervisorPlan } from "../../backends/bwrap/index.js";
import { explainRefusal } from "./write-violations.js";
import type { SupervisorReport } from "./supervisor.js";

export interface WaitFacts {
  /** The plan's: without a PID namespace the command's leftovers must be killed here. */
  readonly pidNamespace: boolean;
  /** bwrap's path, for the message when it could not be started. */
  readonly bwrap: string;
  /** What the supervisor refuses, and this run's private temp directory: to explain refused writes. */
  readonly supervisor: SupervisorPlan;
  readonly tmp: string;
}

export async function waitForSandbox(
  os: Pick<LinuxDeps, "kill" | "clock">,
  launched: Launched,
  facts: WaitFacts,
  guard: Pick<ProtectionGuard, "failure">,
  log: (what: string) => void,
): Promise<RunResult> {
  const end = await launched.exited;
  log(`bwrap exited (${end.signal ?? end.code})`);
  const { sandboxPid } = launched;
  // With a PID namespace the kernel has already killed what was left; without one (the weaker
  // nested sandbox) background jobs are still in the command's process group.
  if (sandboxPid !== undefined && !facts.pidNamespace) signalSandbox(os.kill, sandboxPid, "SIGKILL");
  const broken = guard.failure();
  if (broken) return broken;
  if (end.error) return failed("SRT504", `cannot start ${facts.bwrap}: ${end.error.message}`);
  if (sandboxPid === undefined)
    return failed(
      "SRT504",
      "bwrap could not set up the sandbox (its message is above); the command did not run. Run `srt doctor` to check this machine.",
    );
  const code = launched.status.exitCode() ?? end.code ?? (end.signal ? statusOfSignal(end.signal) : 1);
  return supervisedResult(os, launched.supervisor, code, facts);
}

/**
 * The command's status with what srt's supervisor said (bwrap and runc alike): its refusals as
 * write violations, or SRT511 when it never said "ready" (then the command did not run).
 */
export async function supervisedResult(
  os: Pick<LinuxDeps, "clock">,
  supervisor: Promise<SupervisorReport>,
  code: number,
  facts: Pick<WaitFacts, "supervisor" | "tmp">,
): Promise<RunResult> {
  // The report pipe ends with the last process holding it; a straggler must not hold the run.
  let cancel = (): void => undefined;
  const late = new Promise<undefined>((r) => (cancel = os.clock.after(5000, () => r(undefined))));
  const report = await Promise.race([supervisor, late]);
  cancel();
  if (report?.moved !== undefined)
    return failed(
      "SRT552",
      `${report.moved}, which this plan makes writable, is not where the plan put it inside the sandbox (the supervisor's line above says how: reached through a symbolic link, not the mount srt made there, or missing). It, or a directory above it, was replaced since the plan was compiled (another sandboxed command can do that, even for a moment), and its writable mount landed where the replacement led. The command did not run. Compile the policy again: the compiler refuses a link another sandbox could have planted (SRT306).`,
    );
  // Not one record: the supervisor never ran. bwrap (or runc) stopped while it built the sandbox, a
  // mount it could not make, and said why above; no kernel feature is missing (SRT511's advice).
  if (report !== undefined && !report.ready && report.failed === undefined && report.landlock === undefined)
    return failed(
      "SRT504",
      "the sandbox stopped before it started srt's supervisor (bwrap's or runc's message is above); the command did not run. Run `srt doctor` to check this machine.",
    );
  if (report === undefined || !report.ready)
    return failed(
      "SRT511",
      `srt's supervisor did not start the command${report?.failed === undefined ? "" : `: ${report.failed}`}; srt never runs a command without it. Run \`srt doctor\` to see which kernel feature is missing (a seccomp listener and SECCOMP_IOCTL_NOTIF_ADDFD with SEND: Linux 5.14 or newer).`,
    );
  return {
    kind: "exited",
    status: code,
    ...(report.refusals.length === 0
      ? {}
      : {
          writeViolations: report.refusals.map((r) => explainRefusal(facts.supervisor, facts.tmp, r, r.time)),
          ...(report.dropped === 0 ? {} : { writeViolationsDropped: report.dropped }),
        }),
    ...(report.landlock === undefined ? {} : { landlock: report.landlock }),
  };
}
