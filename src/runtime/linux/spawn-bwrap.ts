/**
 * Starts bwrap for a plan. The argument list and the supervisor's configuration go in
 * through pipes on fds 3 and 7 (`--args 3`; the supervisor's first argument), written after
 * spawn: no policy is too long for execve (E2BIG), nothing needs a shell, and
 * there is no file by any name that anything could rewrite between srt
 * writing it and bwrap reading it (a sandbox that could had turned `--ro-bind
 * / /` into `--bind / /` for a concurrent run). bwrap reads each to its end
 * and closes it before the command starts, so neither reaches the command (the
 * tests check /proc/self/fd inside). If bwrap dies before reading, the writes
 * fail with EPIPE, which is ignored: the exit status says what happened.
 *
 *   fd 5  --json-status-fd: child pid, later the exit code
 *   fd 6  --block-fd: the command waits for one byte (only when a bridge must be up first)
 *   fd 7  the supervisor's configuration (read and closed by it before the command starts)
 *   fd 8  --info-fd: the child pid, early (bwrap requires it with --userns-block-fd)
 *   fd 9  the supervisor's reports (its status, refused writes); closed before the command starts
 *
 * bwrap's command is srt's supervisor (native/srt-supervise), which installs the seccomp program
 * itself, with a listener, and then runs the command: bwrap gets no --seccomp.
 *
 * Unprivileged runs with a bridge (DESIGN §3): left alone, bwrap maps the
 * caller to root in an outer user namespace (to mount devpts) and runs the
 * command in a nested one; the network namespace belongs to the outer one,
 * which no process stays in, so the bridge cannot enter it. With
 * --unshare-user --userns-block-fd the caller writes an identity map itself
 * and there is one namespace. bwrap never closes the userns-block fd, so it
 * would stay open inside the sandbox; giving the *same* fd as --block-fd makes
 * bwrap close it after the second byte (measured: the command sees 0 1 2 only).
 */
import type { Readable, Writable } from "node:stream";
import type { LinuxDeps, SpawnedChild, StdioSlot } from "./deps.js";
import { ipcChannelFds, type InheritedFdPolicy } from "./inherited-fds.js";
import { nulFields } from "./nul-fields.js";
import { launcherWordsAt } from "../shell.js";

export type { StdioSlot } from "./deps.js";

export interface BwrapLaunch {
  readonly bwrap: string;
  readonly options: readonly string[];
  /** The supervisor program and its configuration (the seccomp program is in it). */
  readonly supervisor: { readonly path: string; readonly config: Uint8Array };
  readonly command: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Hold the command until release() (a bridge must listen first). */
  readonly block: boolean;
  /** Make bwrap wait (on fd 6) until the caller mapped the user namespace (unprivileged + bridge). */
  readonly mapUserNamespace: boolean;
  /** Inherited fds without close-on-exec: close them (default) or refuse to run, for a library host whose fds must stay open. */
  readonly inheritedFds?: InheritedFdPolicy;
  /**
   * `unshare` to start bwrap under, with `--mount --propagation private` (root runs). bwrap's
   * mounts are slaves of the host's: on a host whose mounts are shared (systemd), a mount the
   * host makes during the run (a disk, an autofs point the command triggers: /boot, /efi)
   * would arrive in the sandbox read-write, whatever the policy says. In a private copy of the
   * host's mount table nothing propagates in. unshare execs bwrap: the process stays bwrap.
   */
  readonly privateMounts?: string;
  /**
   * srt's limits helper and its options (limits/enforce.ts): it joins the run's cgroup and
   * lowers the rlimits, then executes the rest, so bwrap is born inside them.
   */
  readonly limiter?: readonly string[];
  /** The command's stdin, stdout, stderr (as for child_process.spawn); default: srt's own. */
  readonly stdio?: readonly [StdioSlot, StdioSlot, StdioSlot];
}

export interface BwrapProcess {
  readonly child: SpawnedChild;
  readonly status: Readable;
  /** --info-fd, when mapping the user namespace. */
  readonly info: Readable | undefined;
  /** The supervisor's records (fd 9). */
  readonly reports: Readable;
  /** One byte on fd 6: the maps are written (when mapping). */
  userNamespaceReady(): void;
  /** One byte on fd 6 (the last): the command may start. */
  release(): void;
}

/** bwrap's --args format: each argument NUL-terminated, paths as their exact bytes (byte-paths.ts). */
export const argsBytes = (args: readonly string[]): Buffer => nulFields(args);

export function spawnBwrap(os: Pick<LinuxDeps, "spawn" | "env" | "inheritedFds">, launch: BwrapLaunch): BwrapProcess {
  // Before anything is spawned for the sandbox: nothing srt's caller left open may reach the command.
  os.inheritedFds(ipcChannelFds(os.env), launch.inheritedFds ?? "close");
  const extra: string[] = ["--json-status-fd", "5"];
  if (launch.block) extra.push("--block-fd", "6");
  if (launch.mapUserNamespace) {
    if (!launch.block) throw new Error("mapping the user namespace needs the block fd");
    extra.push("--unshare-user", "--info-fd", "8", "--userns-block-fd", "6");
  }
  const args = argsBytes([...launch.options, ...extra]);
  const words = launcherWordsAt(launch.command);
  const bwrapArgv = [
    ...["--args", "3", "--", launch.supervisor.path, "7", "9"],
    ...(words === undefined ? [] : ["--words", String(words)]),
    ...["--", ...launch.command],
  ];
  const [file, argv] =
    launch.privateMounts === undefined
      ? [launch.bwrap, bwrapArgv]
      : [launch.privateMounts, ["--mount", "--propagation", "private", "--", launch.bwrap, ...bwrapArgv]];
  const [first, args0] =
    launch.limiter === undefined || launch.limiter.length === 0
      ? [file, argv]
      : [launch.limiter[0]!, [...launch.limiter.slice(1), "--", file, ...argv]];
  const child = os.spawn(first, args0, {
    stdio: [
      ...(launch.stdio ?? ["inherit", "inherit", "inherit"]),
      "pipe",
      "ignore",
      "pipe",
      launch.block ? "pipe" : "ignore",
      "pipe",
      launch.mapUserNamespace ? "pipe" : "ignore",
      "pipe",
    ],
    env: launch.env,
    cwd: launch.cwd,
    // Its own process group: a terminal's ^C reaches srt, which forwards it; bwrap must not die of it first.
    detached: true,
  });
  const stdio = child.stdio;
  const pipe = (i: number): Writable | undefined => (stdio[i] ?? undefined) as Writable | undefined;
  for (const [fd, data] of [
    [3, args],
    [7, launch.supervisor.config],
  ] as const) {
    const w = pipe(fd);
    w?.on("error", () => undefined); // EPIPE: bwrap died first (or never started); its exit says why
    w?.end(data);
  }
  const block = pipe(6);
  block?.on("error", () => undefined);
  let mapped = false;
  let released = false;
  const userNamespaceReady = (): void => {
    if (mapped || released) return;
    mapped = true;
    block?.write("u");
  };
  const release = (): void => {
    if (released) return;
    released = true;
    block?.end("r");
  };
  return {
    child,
    status: stdio[5] as Readable,
    info: (stdio[8] ?? undefined) as Readable | undefined,
    reports: stdio[9] as Readable,
    userNamespaceReady,
    release,
  };
}
