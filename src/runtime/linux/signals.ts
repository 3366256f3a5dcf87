/**
 * Delivering a signal to the sandboxed command. With --new-session the whole
 * sandbox is one process group led by the sandbox's first process (bwrap's
 * init, pid 1 inside); the command and a shell's background jobs are in it.
 * Signalling the group reaches them all; the init itself ignores signals it
 * has no handler for (pid_namespaces(7)), and when the command ends the init
 * ends and the kernel kills whatever is left in the namespace.
 */
import type { LinuxDeps } from "./deps.js";

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
