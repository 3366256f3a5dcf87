/**
 * macOS signal numbers (<sys/signal.h>). They differ from Linux for several
 * signals (SIGUSR1 is 30, not 10; SIGBUS 10, SIGCHLD 20…), and srt's exit
 * status for a command killed by signal N is 128+N of the platform it runs on,
 * as a shell would report it there.
 */
const darwinSignals: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGEMT: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGBUS: 10,
  SIGSEGV: 11,
  SIGSYS: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGURG: 16,
  SIGSTOP: 17,
  SIGTSTP: 18,
  SIGCONT: 19,
  SIGCHLD: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGIO: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGINFO: 29,
  SIGUSR1: 30,
  SIGUSR2: 31,
};

/** 128+N for a signal by name; an unknown name counts as SIGTERM (never 0: the run did not succeed). */
export const darwinStatusOfSignal = (signal: NodeJS.Signals): number => 128 + (darwinSignals[signal] ?? 15);

/**
 * Delivers a signal to the command's process group. The command was spawned
 * as a session leader (setsid), which cannot leave its group, so while it
 * lives the group exists; once the group is gone there is nothing to signal,
 * and the bare pid is never tried (it may already be someone else's).
 */
export function signalGroup(
  kill: (pid: number, signal: NodeJS.Signals) => void,
  pgid: number,
  signal: NodeJS.Signals,
): boolean {
  try {
    kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH
  }
}
