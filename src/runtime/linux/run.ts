/**
 * Runs a command under a Linux plan, in named phases, each its own module:
 *
 *   prepare   the state directory, the watchdog, the run directory, the run's
 *             registration and its placeholders          (prepare.ts)
 *   network   the proxies, when the plan reaches the network (startNetwork)
 *   watch     every detachable mount's identity, before bwrap mounts it
 *                                                        (protection-watch.ts)
 *   launch    bwrap with its pipes, the user-namespace maps, the bridges,
 *             then the command's release                 (launch.ts)
 *   wait      bwrap's end and what it means              (wait.ts)
 *   cleanup   on every path: what the phases took, in reverse (cleanup.ts)
 *
 * Every OS access goes through LinuxDeps (deps.ts; node-deps.ts by default),
 * so the phases, their order and their failure paths are unit-tested with a
 * fake OS as well as under real bwrap.
 *
 * The result is the command's status (128+N if it died of signal N), or a
 * runtime failure (status 1 and a message) when the sandbox could not be set
 * up — in which case the command never ran.
 */
import type { LinuxPlan } from "../../backends/bwrap/index.js";
import type { FileSystemViolation } from "../proxy/violations.js";
import type { BridgeSpec, OneHop } from "./bridge.js";
import { cleanUpRun, type Held } from "./cleanup.js";
import type { LinuxDeps, SpawnedChild, StdioSlot } from "./deps.js";
import { launchSandbox } from "./launch.js";
import { nodeLinuxDeps } from "./node-deps.js";
import { prepareRun } from "./prepare.js";
import { guardProtections, type ProtectionGuard } from "./protection-watch.js";
import type { RunDir } from "./run-dir.js";
import { createSandboxSignals, type SandboxSignals } from "./signals.js";
import { failureOf, RuntimeFailure, type Failed } from "../failure.js";
import type { LinuxTools } from "./tools.js";
import { waitForSandbox } from "./wait.js";
import { startLimits, type LimitsRequest, type LimitsSession, type LimitViolation } from "./limits/enforce.js";
import type { LimitsEngine } from "./limits/engine.js";
import type { RuntimeCode } from "../../compiler/diagnostics.js";
import { requireNative } from "../native.js";
import type { WriteViolation } from "./write-violations.js";

export { statusOfSignal } from "./signals.js";

/** The proxies of one run, as the runner needs them. */
export interface NetworkSession {
  /** Variables that point the command's tools at the proxies. */
  readonly env: Readonly<Record<string, string>>;
  /** Sandbox loopback port → host unix socket. */
  readonly bridges: readonly BridgeSpec[];
  /** The proxies' native relay, when srt-bridge may take their tunnels (bridge.ts OneHop). */
  readonly oneHop?: OneHop | undefined;
  /** Files the command reads in place of others (a masked credential's sentinel copy over the denied original). */
  readonly binds?: readonly { readonly source: string; readonly dest: string }[];
  close(): Promise<void>;
}

export type StartNetwork = (plan: LinuxPlan, run: RunDir) => Promise<NetworkSession>;

export interface RunRequest {
  readonly plan: LinuxPlan;
  readonly command: readonly string[];
  /** The caller's environment; the plan's env policy decides what passes. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly tools: LinuxTools;
  readonly uid: number;
  readonly gid: number;
  /** srt's state directory here (locateStateDir); it must be the one the plan was compiled for. */
  readonly stateDir: string;
  readonly startNetwork?: StartNetwork;
  /** After a forwarded signal, how long the command may take before the sandbox is killed. */
  readonly killGraceMs?: number;
  readonly log?: (line: string) => void;
  /**
   * How to run `srt __cleanup <state dir> <run id>` if srt dies without cleaning
   * up (the watchdog appends the two arguments). Without it, placeholders of a
   * SIGKILLed run stay until the next run that uses the same paths ends.
   */
  readonly cleanupCommand?: readonly string[];
  /** See spawn-bwrap.ts: "close" (default) or "refuse". */
  readonly inheritedFds?: "close" | "refuse";
  /** The command's stdio (library use); default: srt's own. */
  readonly stdio?: readonly [StdioSlot, StdioSlot, StdioSlot];
  /** Warnings the user should see without --debug (a limit bestEffort skipped). */
  readonly warn?: (line: string) => void;
  /** The limits helper's path (native/limits); default: srt's own build, SRT510 when it is missing. */
  readonly limitsHelper?: () => string;
  /** Told the bwrap process as soon as it is spawned (library use: its stdio pipes). */
  readonly onSpawn?: (child: SpawnedChild) => void;
  /**
   * Nothing else in this process takes srt's state lock while this run lives (the CLI): cleanup
   * may then hold it across a wait, to remove the placeholder directories at once
   * (releaseRunAsync). A library must not say so: another sandbox's synchronous lock would spin
   * in the same event loop and never see the lock released.
   */
  readonly soleRun?: boolean;
}

export type RunResult =
  | {
      readonly kind: "exited";
      readonly status: number;
      /** The resource limits the command ran into (a limit's kill is the command's status: 137). */
      readonly limits?: readonly LimitViolation[];
      /** Writes the policy refused during the run, as the supervisor saw them (write-violations.ts). */
      readonly writeViolations?: readonly WriteViolation[];
      /** Refused writes past the ones kept (counted only). */
      readonly writeViolationsDropped?: number;
      /** The Landlock ABI the supervisor's second wall used (0: none on this kernel). */
      readonly landlock?: number;
    }
  /** violation: the run was stopped because a protection detached (protection-watch.ts). */
  | (Failed & { readonly violation?: FileSystemViolation });

export interface RunningSandbox {
  /** Forwards a signal to the command (and, after the grace period, kills the sandbox). */
  forward(signal: NodeJS.Signals): void;
  readonly result: Promise<RunResult>;
}

export function runLinux(req: RunRequest, os: LinuxDeps = nodeLinuxDeps()): RunningSandbox {
  const t0 = os.clock.now();
  const log = (what: string): void => req.log?.(`srt: ${(os.clock.now() - t0).toFixed(1)} ms ${what}`);
  const signals = createSandboxSignals(os, req.killGraceMs ?? 10_000);
  const result = runPhases(os, { ...req, shell: req.tools.sh }, signals, log, {
    failureCode: "SRT508",
    async launchAndWait(run, held) {
      const launched = await launchSandbox(os, req, run, held.network, held, signals, log);
      return waitForSandbox(
        os,
        launched,
        {
          pidNamespace: req.plan.pidNamespace,
          bwrap: req.tools.bwrap,
          supervisor: req.plan.supervisor,
          tmp: run.slots.tmp,
        },
        held.guard!,
        log,
      );
    },
  });
  return { forward: signals.forward, result };
}

/** What the shared phases need of a run request (bwrap's or an OCI runtime's). */
export type PhaseRequest = Pick<
  RunRequest,
  "plan" | "stateDir" | "uid" | "cleanupCommand" | "startNetwork" | "limitsHelper" | "warn" | "log" | "soleRun"
> & {
  /** The watchdog's shell. */
  readonly shell: string;
};

/** The engine's part of a run: launch and wait. The rest (prepare, limits, network, watch, cleanup) is shared. */
export interface EngineRun {
  /** How the engine applies the limits (bwrap: srt's helper does it all; runc: the spec's fields). */
  readonly limits?: Pick<LimitsRequest, "engine">;
  /** The code of a set-up failure that names no other. */
  readonly failureCode: RuntimeCode;
  /** From "nothing runs yet" to the command's result; what it takes goes into held. */
  launchAndWait(run: RunDir, held: Held): Promise<RunResult>;
  /** Before the shared cleanup, on every path (runc: delete a container it left behind). */
  release?(): Promise<void>;
}

/**
 * The phases every Linux engine shares, in order: prepare, limits, network, watch; then the
 * engine's launch and wait; the limits the command ran into; cleanup on every path.
 */
export async function runPhases(
  os: LinuxDeps,
  req: PhaseRequest,
  signals: SandboxSignals,
  log: (what: string) => void,
  engine: EngineRun,
): Promise<RunResult> {
  const held: Held = {};
  try {
    const run = prepareRun(
      os,
      { plan: req.plan, stateDir: req.stateDir, uid: req.uid, shell: req.shell, cleanupCommand: req.cleanupCommand },
      held,
      log,
    );
    held.limits = startRunLimits(os, req, run.id, held, log, engine.limits?.engine);
    held.network = await startRunNetwork(req, run, log);
    held.guard = watchProtections(os, req.plan, signals, log);
    const broke = held.guard.failure();
    if (broke) return broke;
    const ended = await engine.launchAndWait(run, held);
    // Read before cleanup removes the cgroup that counted them.
    if (ended.kind !== "exited") return ended;
    const limits = held.limits?.violations(ended.status) ?? [];
    return limits.length > 0 ? { ...ended, limits } : ended;
  } catch (e) {
    signals.killAll();
    // Set-up steps fail when a detached protection got the sandbox killed under them; that is the cause to report.
    return held.guard?.failure() ?? failureOf(e, engine.failureCode);
  } finally {
    await engine.release?.();
    await cleanUpRun(os, held, signals, { step: log, problem: (line) => req.log?.(line) }, req.soleRun === true);
  }
}

/** The limits phase (limits/enforce.ts): SRT550 when a limit cannot hold under the engine, unless bestEffort. */
export function startRunLimits(
  os: LinuxDeps,
  req: Pick<RunRequest, "plan" | "uid" | "limitsHelper" | "warn">,
  runId: string,
  held: Held,
  log: (what: string) => void,
  engine?: LimitsEngine,
): LimitsSession | undefined {
  return startLimits(
    os,
    {
      limits: req.plan.limits,
      uid: req.uid,
      runId,
      helper: req.limitsHelper ?? (() => requireNative("limits", "a run with resource limits")),
      expectCgroup: (dir) => held.janitor?.expectCgroup(dir),
      warn: req.warn,
      ...(engine === undefined ? {} : { engine }),
    },
    log,
  );
}

/** The network phase: the proxies, only when the plan reaches the network. */
export async function startRunNetwork(
  req: Pick<RunRequest, "plan" | "startNetwork">,
  run: RunDir,
  log: (what: string) => void,
): Promise<NetworkSession | undefined> {
  if (!req.plan.network.proxies) return undefined;
  if (req.startNetwork === undefined)
    throw new RuntimeFailure("SRT506", "this policy allows network access, but no proxy runtime is available");
  const network = await req.startNetwork(req.plan, run);
  log("proxies listening");
  return network;
}

/** The watch phase, before bwrap mounts anything: a path replaced after this moment reads as changed (protection-watch.ts). */
export function watchProtections(
  os: LinuxDeps,
  plan: LinuxPlan,
  signals: SandboxSignals,
  log: (what: string) => void,
): ProtectionGuard {
  const guard = guardProtections(
    plan.detachable,
    () => {
      signals.killAll();
      log("a protection detached: sandbox killed");
    },
    os.watch,
    () => os.clock.date(),
  );
  log(`watching ${JSON.stringify(guard.stats())}`);
  return guard;
}
