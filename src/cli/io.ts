/** What a command may touch of the process, passed in so tests can run commands in-process. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly color: boolean;
}

export const processIo = (): CliIo => ({
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  cwd: process.cwd(),
  env: process.env,
  color: process.stderr.isTTY === true && process.env["NO_COLOR"] === undefined,
});

/** Exit statuses srt itself uses (DESIGN §6); a command's own status passes through untouched. */
export const exitStatus = { ok: 0, runtime: 1, usage: 2 } as const;
