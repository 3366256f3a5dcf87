/**
 * Reading this run's Seatbelt denials from the unified log while the command
 * runs: `log stream` (log-stream.ts builds its arguments and parses its
 * lines) is started *before* the command and waited for until it prints its
 * first line (the "Filtering the log data…" header), so an early denial is
 * not missed; after the command it is given a moment to deliver late lines
 * (the kernel logs asynchronously), then stopped.
 *
 * The log is for reporting only. When `log stream` cannot run (a non-admin
 * account may be refused; it does not exist off macOS) the run goes on
 * sandboxed exactly the same, and the report says that file denials are not
 * listed. Enforcement never depends on this file.
 *
 * Timings (ready wait, drain) are guesses, not measured on a Mac.
 */
import type { Clock, Spawn, SpawnedProcess } from "./deps.js";
import { logBinary, logStreamArgv, parseLogLine, type MacosViolation } from "./log-stream.js";

export interface LogWatchOptions {
  readonly spawn: Spawn;
  readonly clock: Clock;
  readonly tag: string;
  readonly env: Readonly<Record<string, string>>;
  readonly onViolation: (v: MacosViolation) => void;
  /** How long to wait for log stream's first line before starting the command anyway. */
  readonly readyTimeoutMs?: number;
  /** How long after the command to keep reading before stopping log stream. */
  readonly drainMs?: number;
}

export interface LogWatch {
  /** Why denials may be missing from the report (log stream failed or was late); undefined when all is well. */
  note(): string | undefined;
  /** Drains, stops log stream and waits for it to exit (bounded). */
  stop(): Promise<void>;
}

/** A longer line is not a Sandbox record; it is dropped rather than buffered without end. */
const maxLine = 64 * 1024;

export async function startLogWatch(o: LogWatchOptions): Promise<LogWatch> {
  let problem: string | undefined;
  let stderr = "";
  let child: SpawnedProcess;
  try {
    child = o.spawn(logBinary, logStreamArgv(o.tag), {
      cwd: "/",
      env: o.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: false,
    });
  } catch (e) {
    return stopped(`cannot start ${logBinary}: ${(e as Error).message}`);
  }
  let ended = false;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.once("error", (e) => {
      problem ??= `cannot start ${logBinary}: ${e.message}`;
      ended = true;
      resolve();
    });
    child.once("exit", (code, signal) => {
      if (!stopping)
        problem ??= `${logBinary} stream ended early (${signal ?? `status ${code}`})${stderr.trim() === "" ? "" : `: ${stderr.trim().split("\n")[0]}`}`;
      ended = true;
      resolve();
    });
  });
  child.stderr?.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString("utf8");
  });
  let pending = "";
  let sawLine!: () => void;
  const firstLine = new Promise<void>((resolve) => (sawLine = resolve));
  child.stdout?.on("data", (d: Buffer) => {
    pending += d.toString("utf8");
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      sawLine();
      const v = line.length <= maxLine ? parseLogLine(line, o.tag) : undefined;
      if (v !== undefined) o.onViolation(v);
    }
    if (pending.length > maxLine) pending = "";
  });

  const readyMs = o.readyTimeoutMs ?? 2000;
  let timedOut = false;
  await new Promise<void>((resolve) => {
    const cancel = o.clock.after(readyMs, () => {
      timedOut = true;
      resolve();
    });
    void Promise.race([firstLine, exited]).then(() => {
      cancel();
      resolve();
    });
  });
  if (timedOut && !ended)
    problem = `${logBinary} stream was not ready after ${readyMs} ms; early denials may be missing`;

  return {
    note: () =>
      problem === undefined ? undefined : `srt: ${problem}; file and other sandbox denials are not fully reported`,
    async stop() {
      if (!ended) await new Promise<void>((resolve) => o.clock.after(o.drainMs ?? 250, resolve));
      stopping = true;
      if (ended) return;
      child.kill("SIGTERM");
      const cancel = o.clock.after(1000, () => child.kill("SIGKILL"));
      await exited;
      cancel();
    },
  };
}

function stopped(problem: string): LogWatch {
  return {
    note: () => `srt: ${problem}; file and other sandbox denials are not reported`,
    stop: async () => undefined,
  };
}
