/**
 * Delivering a signal to the sandboxed command. With --new-session the whole
 * sandbox is one process group led by the sandbox's first process (bwrap's
 * init, pid 1 inside); the command and a shell's background jobs are in it.
 * Signalling the group reaches them all; the init itself ignores signals it
 * has no handler for (pid_namespaces(7)), and when the command ends the init
 * ends and the kernel kills whatever is left in the namespace.
 */
import { constants } from "node:os";
import type { LinuxDeps } from "./deps.js";

/** 128+N with N from this (Linux) host's own table; an unknown name counts as SIGTERM (never 0). */
export const statusOfSignal = (s: NodeJS.Signals): number => 128 + (constants.signals[s] ?? constants.signals.SIGTERM);

export function signalSandbox(kill: LinuxDeps["kill"], sandboxPid: number, signal: NodeJS.Signals): boolean {
  try {
    kill(-sandboxPid, signal);
    return true;
  } catch {
    try {
      kill(sandboxPid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The signals of one run. A signal forwarded before the sandbox exists is held
 * and delivered once the command is about to start (it never starts without
 * it); the first forwarded signal also starts the grace period, after which
 * everything (the sandbox and bwrap) is SIGKILLed. Once the run has ended
 * (close), nothing is signalled any more: its pids may belong to others.
 */
export interface SandboxSignals {
  forward(signal: NodeJS.Signals): void;
  /** bwrap was spawned: killAll reaches it too. */
  bwrapSpawned(pid: number | undefined): void;
  /** The sandbox's first process on the host: forward and killAll reach the sandbox from now on. */
  sandboxStarted(pid: number): void;
  /** Delivers the signal held since before the sandbox existed, if any. */
  deliverPending(): void;
  killAll(): void;
  close(): void;
}

export function createSandboxSignals(os: Pick<LinuxDeps, "kill" | "clock">, killGraceMs: number): SandboxSignals {
  let sandboxPid: number | undefined;
  let bwrapPid: number | undefined;
  let pending: NodeJS.Signals | undefined;
  let cancelKill: (() => void) | undefined;
  let closed = false;
  const killAll = (): void => {
    if (closed) return;
    if (sandboxPid !== undefined) signalSandbox(os.kill, sandboxPid, "SIGKILL");
    if (bwrapPid !== undefined) signalSandbox(os.kill, bwrapPid, "SIGKILL");
  };
  return {
    forward(signal) {
      if (closed) return;
      if (sandboxPid !== undefined) signalSandbox(os.kill, sandboxPid, signal);
      else pending ??= signal; // not started yet: delivered as soon as it is
      cancelKill ??= os.clock.after(killGraceMs, killAll);
    },
    bwrapSpawned: (pid) => void (bwrapPid = pid),
    sandboxStarted: (pid) => void (sandboxPid = pid),
    deliverPending() {
      if (!closed && pending !== undefined && sandboxPid !== undefined) signalSandbox(os.kill, sandboxPid, pending);
    },
    killAll,
    close() {
      closed = true;
      cancelKill?.();
    },
  };
}
