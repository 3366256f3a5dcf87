/**
 * Starts bwrap for a plan. The argument list and the seccomp program go in as
 * files opened on fds 3 and 4 (`--args 3`, `--seccomp 4`), so no policy is too
 * long for execve (E2BIG) and nothing needs a shell. bwrap reads both before
 * the command starts and neither fd reaches the command (bwrap opens them
 * close-on-exec; the tests check /proc/self/fd inside).
 *
 *   fd 5  --json-status-fd: child pid, later the exit code
 *   fd 6  --block-fd: the command waits for one byte (only when a bridge must be up first)
 *   fd 7  --userns-block-fd: bwrap waits until we wrote the uid/gid maps
 *         (unprivileged with a bridge: one user namespace the bridge can enter)
 *   fd 8  --info-fd: bwrap requires it with --userns-block-fd; it carries the
 *         child pid before bwrap blocks (the status fd may not, yet)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import type { RunDir } from "./run-dir.js";

export interface BwrapLaunch {
  readonly bwrap: string;
  readonly options: readonly string[];
  readonly seccomp: Uint8Array;
  readonly command: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Hold the command until release() (a bridge must listen first). */
  readonly block: boolean;
  /** Make bwrap wait for the caller to map its user namespace (unprivileged + bridge). */
  readonly mapUserNamespace: boolean;
}

export interface BwrapProcess {
  readonly child: ChildProcess;
  readonly status: Readable;
  /** --info-fd, only when mapping the user namespace. */
  readonly info: Readable | undefined;
  release(): void;
  /** Lets bwrap continue after the maps were written. */
  userNamespaceReady(): void;
}

export function spawnBwrap(launch: BwrapLaunch, run: RunDir): BwrapProcess {
  const extra: string[] = ["--json-status-fd", "5"];
  if (launch.block) extra.push("--block-fd", "6");
  if (launch.mapUserNamespace) extra.push("--unshare-user", "--info-fd", "8", "--userns-block-fd", "7");
  const argsFile = run.file("bwrap.args");
  const bpfFile = run.file("seccomp.bpf");
  writeFileSync(argsFile, [...launch.options, ...extra, "--seccomp", "4"].map((a) => `${a}\0`).join(""), { mode: 0o600 });
  writeFileSync(bpfFile, launch.seccomp, { mode: 0o600 });
  const argsFd = openSync(argsFile, "r");
  const bpfFd = openSync(bpfFile, "r");
  try {
    const child = spawn(launch.bwrap, ["--args", "3", "--", ...launch.command], {
      stdio: ["inherit", "inherit", "inherit", argsFd, bpfFd, "pipe", launch.block ? "pipe" : "ignore", launch.mapUserNamespace ? "pipe" : "ignore", launch.mapUserNamespace ? "pipe" : "ignore"],
      env: launch.env,
      cwd: launch.cwd,
      // Its own process group: a terminal's ^C reaches srt, which forwards it; bwrap must not die of it first.
      detached: true,
    });
    const stdio = child.stdio as unknown as readonly (Readable | Writable | null | undefined)[];
    const pipe = (i: number): Writable | undefined => (stdio[i] ?? undefined) as Writable | undefined;
    for (const i of [6, 7]) pipe(i)?.on("error", () => undefined);
    const once = (i: number): (() => void) => {
      let sent = false;
      return () => {
        if (sent) return;
        sent = true;
        pipe(i)?.end("x");
      };
    };
    return { child, status: stdio[5] as Readable, info: (stdio[8] ?? undefined) as Readable | undefined, release: once(6), userNamespaceReady: once(7) };
  } finally {
    closeSync(argsFd);
    closeSync(bpfFd);
  }
}
