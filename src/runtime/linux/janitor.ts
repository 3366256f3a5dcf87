/**
 * Whatever srt creates on the host for a run — the run directory, the
 * placeholders of absent protected paths — must be gone when srt is gone,
 * also when srt is SIGKILLed and cannot clean up itself.
 *
 * So before creating anything, srt starts a tiny watchdog (`/bin/sh`, in its
 * own session so terminal signals do not reach it) and tells it, one line per
 * item, what it is about to create. The watchdog only waits for end-of-file on
 * its stdin: the pipe closes when srt exits for any reason, and then it removes
 * the items newest first. srt also cleans up itself on a normal exit, so the
 * host is clean the moment srt returns; the watchdog then finds nothing to do.
 *
 * Paths travel as octal escapes (`\ooo` for every byte) that POSIX printf
 * decodes, so names with newlines, quotes or non-UTF-8 bytes cannot change the
 * script. Removal is conservative: a placeholder file only if it is still
 * empty, a directory only if it is empty (rmdir), a tree only for the run dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmdirSync, rmSync, statSync } from "node:fs";

export type CleanupKind = "file" | "dir" | "tree";

const script = `trap '' INT TERM HUP PIPE
set -f
list=
while IFS= read -r line; do list="$line
$list"; done
printf '%s\\n' "$list" | while IFS= read -r line; do
  [ -n "$line" ] || continue
  kind=\${line%% *}; enc=\${line#* }
  p=$(printf "\${enc}x"); p=\${p%x}
  case $kind in
    file) [ -f "$p" ] && [ ! -s "$p" ] && rm -f -- "$p" ;;
    dir) rmdir -- "$p" 2>/dev/null ;;
    tree) rm -rf -- "$p" ;;
  esac
done
`;

export interface Janitor {
  /** Registers an item with the watchdog before it is created. */
  expect(kind: CleanupKind, path: string): void;
  /** Removes every registered item now (newest first) and lets the watchdog go. */
  cleanUp(): void;
}

const encode = (path: string): string => [...Buffer.from(path, "utf8")].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");

export function createJanitor(): Janitor {
  const items: { kind: CleanupKind; path: string }[] = [];
  const watchdog: ChildProcess = spawn("/bin/sh", ["-c", script], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.on("error", () => undefined);
  watchdog.stdin?.on("error", () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  let done = false;
  return {
    expect(kind, path) {
      items.push({ kind, path });
      watchdog.stdin?.write(`${kind} ${encode(path)}\n`);
    },
    cleanUp() {
      if (done) return;
      done = true;
      for (const { kind, path } of items.reverse()) removeItem(kind, path);
      watchdog.stdin?.end();
    },
  };
}

function removeItem(kind: CleanupKind, path: string): void {
  try {
    if (kind === "tree") rmSync(path, { recursive: true, force: true });
    else if (kind === "dir") rmdirSync(path);
    else {
      const st = statSync(path);
      if (st.isFile() && st.size === 0) rmSync(path, { force: true });
    }
  } catch {
    // Gone already, or no longer ours to remove (not empty): leave it.
  }
}
