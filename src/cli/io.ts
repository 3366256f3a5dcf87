/** What a command may touch of the process, passed in so tests can run commands in-process. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly color: boolean;
  readonly platform: NodeJS.Platform;
  readonly uid: number;
  readonly gid: number;
  /**
   * Hands SIGINT/SIGTERM/SIGHUP to a running sandbox instead of letting them
   * kill srt (which would leave the command to die of SIGKILL via
   * --die-with-parent, and report nothing). Returns the undo.
   */
  readonly onSignals: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

const forwarded: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export const processIo = (): CliIo => ({
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  cwd: process.cwd(),
  env: process.env,
  color: process.stderr.isTTY === true && process.env["NO_COLOR"] === undefined,
  platform: process.platform,
  uid: process.getuid?.() ?? -1,
  gid: process.getgid?.() ?? -1,
  onSignals(handler) {
    for (const s of forwarded) process.on(s, handler);
    return () => {
      for (const s of forwarded) process.off(s, handler);
    };
  },
});

/** Exit statuses srt itself uses (DESIGN §6); a command's own status passes through untouched. */
export const exitStatus = { ok: 0, runtime: 1, usage: 2 } as const;

/**
 * SRT_DEBUG turns on -d: any non-empty value but "0" and "false" (as the reference tool and most
 * tools read such switches), so `SRT_DEBUG=yes` and `SRT_DEBUG=true` are not silently ignored.
 */
export const debugFromEnv = (env: Readonly<Record<string, string | undefined>>): boolean => {
  const v = env["SRT_DEBUG"]?.trim().toLowerCase();
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
};
