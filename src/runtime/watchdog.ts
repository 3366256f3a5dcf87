/**
 * Whatever a run creates on the host must be gone when srt is gone, also when
 * srt is SIGKILLed and cannot clean up itself (Linux and macOS alike).
 *
 * So before creating anything, srt starts a tiny shell watchdog in its own
 * session (terminal signals do not reach it) and tells it, one line per item,
 * what it is about to create: `tree <path>` for a private directory, `cgroup
 * <path>` for a run's cgroup (its processes killed, then rmdir), `group
 * <pgid>` for a command's process group (`ungroup` once it has been reaped, so
 * a reused pid is never killed). The watchdog only waits for end-of-file on its
 * stdin, which comes when srt exits for any reason. If srt said `done` first
 * (it cleaned up itself) the watchdog exits; otherwise it SIGKILLs the groups,
 * removes the trees, and then runs the command it was started with, if any
 * (on Linux `srt __cleanup …`: placeholder cleanup needs the registry's lock,
 * which is not shell work).
 *
 * Paths travel as octal escapes (`\ooo` per byte) that POSIX printf decodes,
 * so names with newlines, quotes or non-UTF-8 bytes cannot change the script.
 * The script is plain POSIX sh, run for real by the tests with dash; macOS's
 * /bin/sh (bash in POSIX mode) has not run it. The shell is the caller's to
 * find, by the host-tools rule (./host-tools.ts): it runs outside the sandbox.
 */
import type { Writable } from "node:stream";

const script = `trap '' INT TERM HUP PIPE
set -f
last=
trees=
groups=
cgroups=
while IFS= read -r line; do
  last=$line
  case $line in
    "tree "*) trees="$trees
\${line#tree }" ;;
    "group "*) groups="$groups \${line#group }" ;;
    "cgroup "*) cgroups="\${line#cgroup }
$cgroups" ;;
    "ungroup "*) gone=\${line#ungroup }; kept=
      for g in $groups; do [ "$g" = "$gone" ] || kept="$kept $g"; done
      groups=$kept ;;
  esac
done
[ "$last" = done ] && exit 0
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
printf '%s\\n' "$cgroups" | while IFS= read -r enc; do
  [ -n "$enc" ] || continue
  p=$(printf "\${enc}x"); p=\${p%x}
  [ -d "$p" ] || continue
  n=0
  while [ $n -lt 100 ]; do
    while IFS= read -r pid; do kill -s KILL "$pid" 2>/dev/null; done < "$p/cgroup.procs"
    rmdir -- "$p" 2>/dev/null && break
    n=$((n + 1)); sleep 0.05
  done
done
printf '%s\\n' "$trees" | while IFS= read -r enc; do
  [ -n "$enc" ] || continue
  p=$(printf "\${enc}x"); p=\${p%x}
  rm -rf -- "$p"
done
[ $# -gt 0 ] && exec "$@"
exit 0
`;

/** The part of child_process.spawn the watchdog needs (injected: the macOS runner is tested with a fake OS). */
export type WatchdogSpawn = (
  file: string,
  args: readonly string[],
  request: {
    readonly cwd: string;
    readonly env: Readonly<Record<string, string>>;
    readonly stdio: readonly ["pipe", "ignore", "ignore"];
    readonly detached: true;
  },
) => { readonly stdin: Writable | null; once(event: "error", listener: (error: Error) => void): unknown };

export interface Watchdog {
  /** Registers a directory (removed whole) before it is created. */
  expectTree(path: string): void;
  /** A run's cgroup directory, before it is made: whatever is left in it is killed, then it is removed. */
  expectCgroup(path: string): void;
  /** A command's process group, right after spawn. */
  expectGroup(pgid: number): void;
  /** The group has been reaped: its id may be reused, never kill it. */
  groupGone(pgid: number): void;
  /** srt cleaned up itself: the watchdog exits without doing anything. */
  dismiss(): void;
}

const encode = (path: string): string =>
  [...Buffer.from(path, "utf8")].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");

/**
 * `afterDeath`: a command (absolute paths) the watchdog runs after its own cleanup if srt died without saying done.
 * `shell`: the sh to run it with, found by locateTool (never a PATH lookup).
 */
export function createWatchdog(spawn: WatchdogSpawn, afterDeath: readonly string[], shell: string): Watchdog {
  const dog = spawn(shell, ["-c", script, "srt-watchdog", ...afterDeath], {
    cwd: "/",
    env: { PATH: "/usr/bin:/bin" },
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  dog.once("error", () => undefined);
  dog.stdin?.on("error", () => undefined);
  (dog as { unref?: () => void }).unref?.();
  let dismissed = false;
  const say = (line: string): void => {
    if (!dismissed) dog.stdin?.write(`${line}\n`);
  };
  const group = (pgid: number): string => {
    // Only a positive integer ever reaches `kill`: 0 or -1 would mean "my own group" or "everything".
    if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new Error(`not a process group id: ${pgid}`);
    return String(pgid);
  };
  return {
    expectTree: (path) => say(`tree ${encode(path)}`),
    expectCgroup: (path) => say(`cgroup ${encode(path)}`),
    expectGroup: (pgid) => say(`group ${group(pgid)}`),
    groupGone: (pgid) => say(`ungroup ${group(pgid)}`),
    dismiss() {
      if (dismissed) return;
      dog.stdin?.end("done\n");
      dismissed = true;
    },
  };
}
