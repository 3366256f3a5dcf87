/**
 * Runs a command under a Linux plan: the run directory and placeholders (each
 * registered with the janitor first), the proxies when the plan reaches the
 * network, bwrap with the seccomp program, the bridge into the sandbox's
 * network namespace, then waiting, forwarding signals and cleaning up.
 *
 * The result is the command's status (128+N if it died of signal N), or a
 * runtime failure (status 1 and a message) when the sandbox could not be set
 * up — in which case the command never ran.
 */
import { constants } from "node:os";
import type { LinuxPlan } from "../../backends/bwrap/index.js";
import { fillSlots } from "../../backends/bwrap/index.js";
import { applyEnvPolicy } from "../../compiler/env-policy.js";
import { startBridges, type BridgeSpec, type Bridges } from "./bridge.js";
import { createJanitor } from "./janitor.js";
import { registerAndCreate, releaseRun, type Registry } from "./placeholder-registry.js";
import { guardProtections, type ProtectionGuard } from "./protection-watch.js";
import type { FileSystemViolation } from "../proxy/violations.js";
import { createRunDir, newRunId, type RunDir } from "./run-dir.js";
import { ensureStateDir, planStateDirMismatch } from "../state-dir.js";
import { signalSandbox } from "./signals.js";
import type { ChildProcess } from "node:child_process";
import { spawnBwrap, type BwrapLaunch, type BwrapProcess } from "./spawn-bwrap.js";
import { readInfoPid, readStatus } from "./status-fd.js";
import { mapUserNamespace } from "./userns.js";
import type { LinuxTools } from "./tools.js";

/** The proxies of one run, as the runner needs them. */
export interface NetworkSession {
  /** Variables that point the command's tools at the proxies. */
  readonly env: Readonly<Record<string, string>>;
  /** Sandbox loopback port → host unix socket. */
  readonly bridges: readonly BridgeSpec[];
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
  readonly stdio?: BwrapLaunch["stdio"];
  /** Told the bwrap process as soon as it is spawned (library use: its stdio pipes). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

export type RunResult =
  | { readonly kind: "exited"; readonly status: number }
  /** violation: the run was stopped because a protection detached (protection-watch.ts). */
  | { readonly kind: "failed"; readonly message: string; readonly violation?: FileSystemViolation };

export interface RunningSandbox {
  /** Forwards a signal to the command (and, after the grace period, kills the sandbox). */
  forward(signal: NodeJS.Signals): void;
  readonly result: Promise<RunResult>;
}

/** 128+N with N from this (Linux) host's own table; an unknown name counts as SIGTERM (never 0). */
export const statusOfSignal = (s: NodeJS.Signals): number => 128 + (constants.signals[s] ?? constants.signals.SIGTERM);

export function runLinux(req: RunRequest): RunningSandbox {
  const t0 = performance.now();
  const log = (what: string): void => req.log?.(`srt: ${(performance.now() - t0).toFixed(1)} ms ${what}`);
  let sandboxPid: number | undefined;
  let bw: BwrapProcess | undefined;
  let pending: NodeJS.Signals | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  const killAll = (): void => {
    if (sandboxPid !== undefined) signalSandbox(sandboxPid, "SIGKILL");
    if (bw?.child.pid !== undefined) signalSandbox(bw.child.pid, "SIGKILL");
  };
  const forward = (signal: NodeJS.Signals): void => {
    if (sandboxPid !== undefined) signalSandbox(sandboxPid, signal);
    else pending ??= signal; // not started yet: delivered as soon as it is
    if (killTimer === undefined) {
      killTimer = setTimeout(killAll, req.killGraceMs ?? 10_000);
      killTimer.unref();
    }
  };

  const result = (async (): Promise<RunResult> => {
    const mismatch = planStateDirMismatch(req.plan.context.stateDir, req.stateDir);
    if (mismatch !== undefined) return { kind: "failed", message: mismatch };
    let registry: Registry;
    try {
      registry = { state: ensureStateDir(req.stateDir, req.uid), runId: newRunId(), uid: req.uid };
    } catch (e) {
      return { kind: "failed", message: (e as Error).message };
    }
    const janitor = createJanitor(req.cleanupCommand ? [...req.cleanupCommand, registry.state, registry.runId] : [], req.tools.sh);
    let network: NetworkSession | undefined;
    let bridges: Bridges | undefined;
    let guard: ProtectionGuard | undefined;
    try {
      const run = createRunDir(registry.state, registry.runId, (path) => janitor.expectTree(path));
      // Every run registers, holding every placeholder path its plan binds — also one created by
      // another run: compiled while that placeholder existed, this run binds it as an ordinary file,
      // and its removal would detach this run's mount (the path becomes creatable inside).
      registerAndCreate(registry, req.plan.placeholders);
      log(`run dir ${run.path}, ${req.plan.placeholders.length} placeholders`);
      if (req.plan.network.proxies) {
        if (req.startNetwork === undefined) return { kind: "failed", message: "this policy allows network access, but no proxy runtime is available" };
        network = await req.startNetwork(req.plan, run);
        log("proxies listening");
      }
      // Before bwrap mounts anything: a path replaced after this moment reads as changed (protection-watch.ts).
      guard = guardProtections(req.plan.detachable, () => {
        killAll();
        log("a protection detached: sandbox killed");
      });
      log(`watching ${JSON.stringify(guard.stats())}`);
      const broke = guard.failure();
      if (broke) return broke;
      const env: Record<string, string> = { ...applyEnvPolicy(req.plan.env, definedOnly(req.env)).passed, TMPDIR: run.slots.tmp, SRT_SANDBOX: "1", ...network?.env };
      const mapUserNs = network !== undefined && req.uid !== 0;
      const proc = spawnBwrap(
        {
          bwrap: req.tools.bwrap,
          options: [...fillSlots(req.plan.bwrap, run.slots), "--chdir", req.plan.chdir],
          seccomp: Uint8Array.from(atob(req.plan.seccomp.base64), (c) => c.charCodeAt(0)),
          command: req.command,
          env,
          cwd: "/",
          block: network !== undefined,
          mapUserNamespace: mapUserNs,
          ...(req.stdio === undefined ? {} : { stdio: req.stdio }),
          ...(req.inheritedFds === undefined ? {} : { inheritedFds: req.inheritedFds }),
        },
      );
      bw = proc;
      req.onSpawn?.(proc.child);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
        proc.child.once("error", (error) => resolve({ code: null, signal: null, error }));
        proc.child.once("exit", (code, signal) => resolve({ code, signal }));
      });
      const status = readStatus(proc.status);
      if (mapUserNs && proc.info) {
        const pid = await Promise.race([readInfoPid(proc.info), exited.then(() => undefined)]);
        if (pid !== undefined) {
          mapUserNamespace(pid, req.uid, req.gid);
          proc.userNamespaceReady();
        }
      }
      sandboxPid = await Promise.race([status.childPid, exited.then(() => status.childPid)]);
      log(`sandbox pid ${sandboxPid ?? "none"}`);
      if (sandboxPid !== undefined && network !== undefined) {
        bridges = await startBridges(sandboxPid, network.bridges, req.tools as Required<LinuxTools>, mapUserNs);
        log("bridges listening");
        proc.release();
      }
      if (pending !== undefined && sandboxPid !== undefined) signalSandbox(sandboxPid, pending);
      const end = await exited;
      log(`bwrap exited (${end.signal ?? end.code})`);
      // With a PID namespace the kernel has already killed what was left; without one (the weaker
      // nested sandbox) background jobs are still in the command's process group.
      if (sandboxPid !== undefined && !req.plan.bwrap.includes("--unshare-pid")) signalSandbox(sandboxPid, "SIGKILL");
      const broken = guard.failure();
      if (broken) return broken;
      if (end.error) return { kind: "failed", message: `cannot start ${req.tools.bwrap}: ${end.error.message}` };
      if (sandboxPid === undefined) return { kind: "failed", message: "bwrap could not set up the sandbox (its message is above); the command did not run. Run `srt doctor` to check this machine." };
      const code = status.exitCode() ?? end.code ?? (end.signal ? statusOfSignal(end.signal) : 1);
      return { kind: "exited", status: code };
    } catch (e) {
      killAll();
      // Set-up steps fail when a detached protection got the sandbox killed under them; that is the cause to report.
      return guard?.failure() ?? { kind: "failed", message: (e as Error).message };
    } finally {
      guard?.close();
      if (killTimer) clearTimeout(killTimer);
      bridges?.close();
      await network?.close();
      try {
        releaseRun(registry);
      } catch (e) {
        req.log?.(`srt: placeholder cleanup: ${(e as Error).message}`);
      }
      janitor.cleanUp();
      log("cleaned up");
    }
  })();
  return { forward, result };
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
