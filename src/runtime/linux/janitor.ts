/**
 * Whatever srt creates on the host for a run must be gone when srt is gone,
 * also when srt is SIGKILLed and cannot clean up itself.
 *
 * So before creating anything, srt starts a tiny watchdog (`/bin/sh`, in its
 * own session so terminal signals do not reach it) and tells it, one line per
 * item, what it is about to create. The watchdog only waits for end-of-file on
 * its stdin: the pipe closes when srt exits for any reason. If srt said "done"
 * first, it cleaned up itself and the watchdog just exits; otherwise the
 * watchdog removes the run directories and then runs the placeholder cleanup
 * (`srt __cleanup …`, see placeholder-registry.ts), which needs the registry's
 * lock and so is not shell work.
 *
 * Paths travel as octal escapes (`\ooo` for every byte) that POSIX printf
 * decodes, so names with newlines, quotes or non-UTF-8 bytes cannot change the
 * script.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

const script = `trap '' INT TERM HUP PIPE
set -f
last=
trees=
while IFS= read -r line; do
  last=$line
  case $line in "tree "*) trees="$trees
\${line#tree }" ;; esac
done
[ "$last" = done ] && exit 0
printf '%s\\n' "$trees" | while IFS= read -r enc; do
  [ -n "$enc" ] || continue
  p=$(printf "\${enc}x"); p=\${p%x}
  rm -rf -- "$p"
done
[ $# -gt 0 ] && exec "$@"
exit 0
`;

export interface Janitor {
  /** Registers a private directory (removed whole) before it is created. */
  expectTree(path: string): void;
  /** Removes the registered directories now and dismisses the watchdog. */
  cleanUp(): void;
}

const encode = (path: string): string => [...Buffer.from(path, "utf8")].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");

/** `afterDeath`: the command the watchdog runs if srt died without cleaning up (e.g. `node srt.mjs __cleanup DIR ID`). */
export function createJanitor(afterDeath: readonly string[] = []): Janitor {
  const trees: string[] = [];
  const watchdog: ChildProcess = spawn("/bin/sh", ["-c", script, "srt-watchdog", ...afterDeath], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.on("error", () => undefined);
  watchdog.stdin?.on("error", () => undefined);
  watchdog.unref();
  let done = false;
  return {
    expectTree(path) {
      trees.push(path);
      watchdog.stdin?.write(`tree ${encode(path)}\n`);
    },
    cleanUp() {
      if (done) return;
      done = true;
      for (const t of trees.reverse()) rmSync(t, { recursive: true, force: true });
      watchdog.stdin?.end("done\n");
    },
  };
}
