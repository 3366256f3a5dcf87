/**
 * If srt is SIGKILLed (or crashes) during a run, nothing of the run may stay
 * behind: not the run directory, and not the command. On Linux bwrap's
 * --die-with-parent ends the sandbox; macOS has no parent-death signal, and
 * the command runs in its own session (no controlling terminal), so it would
 * keep running unnoticed.
 *
 * So, like the Linux janitor, a tiny `/bin/sh` watchdog in its own session is
 * told, before each step, what srt is about to create: `tree <path>` for the
 * run directory, `group <pgid>` for the command's process group (`ungroup`
 * once it has been reaped, so a reused pid is never killed). It waits for
 * end-of-file on its stdin, which comes when srt exits for any reason. If srt
 * said `done` first it exits; otherwise it SIGKILLs the groups and removes the
 * trees. A command that calls setsid() itself leaves the group and escapes
 * this (macOS offers no way to kill a process tree by ancestry).
 *
 * Paths travel as octal escapes (`\ooo` per byte) that POSIX printf decodes,
 * so no name can change the script. The script is plain POSIX sh and is
 * tested on Linux (dash); macOS's /bin/sh (bash in POSIX mode) has not run it.
 */
import type { Spawn } from "./deps.js";

const script = `trap '' INT TERM HUP PIPE
set -f
last=
trees=
groups=
while IFS= read -r line; do
  last=$line
  case $line in
    "tree "*) trees="$trees
\${line#tree }" ;;
    "group "*) groups="$groups \${line#group }" ;;
    "ungroup "*) gone=\${line#ungroup }; kept=
      for g in $groups; do [ "$g" = "$gone" ] || kept="$kept $g"; done
      groups=$kept ;;
  esac
done
[ "$last" = done ] && exit 0
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
printf '%s\\n' "$trees" | while IFS= read -r enc; do
  [ -n "$enc" ] || continue
  p=$(printf "\${enc}x"); p=\${p%x}
  rm -rf -- "$p"
done
exit 0
`;

export interface Watchdog {
  /** Registers a directory (removed whole) before it is created. */
  expectTree(path: string): void;
  /** The command's process group, right after spawn. */
  expectGroup(pgid: number): void;
  /** The group has been reaped: its id may be reused, never kill it. */
  groupGone(pgid: number): void;
  /** srt cleaned up itself: the watchdog exits without doing anything. */
  dismiss(): void;
}

const encode = (path: string): string => [...Buffer.from(path, "utf8")].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");

export function createWatchdog(spawn: Spawn): Watchdog {
  const dog = spawn("/bin/sh", ["-c", script, "srt-watchdog"], { cwd: "/", env: { PATH: "/usr/bin:/bin" }, stdio: ["pipe", "ignore", "ignore"], detached: true });
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
    expectGroup: (pgid) => say(`group ${group(pgid)}`),
    groupGone: (pgid) => say(`ungroup ${group(pgid)}`),
    dismiss() {
      if (dismissed) return;
      dog.stdin?.end("done\n");
      dismissed = true;
    },
  };
}
