/**
 * The real SessionOs (session.ts): bwraps found through /proc, files written
 * with O_EXCL (a file already there is not the session's).
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeSync } from "node:fs";
import type { SessionOs } from "./session.js";

/** True when `argv` holds `marker` as consecutive words. */
export const holdsMarker = (argv: readonly string[], marker: readonly string[]): boolean =>
  argv.some((_, i) => marker.every((m, j) => argv[i + j] === m));

/** undefined when not readable (a setuid bwrap is not dumpable). */
function exeOf(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

export const nodeSessionOs: SessionOs = {
  findMarked(bwrap, marker) {
    const found: number[] = [];
    for (const name of readdirSync("/proc")) {
      if (!/^[0-9]+$/.test(name)) continue;
      try {
        const argv = readFileSync(`/proc/${name}/cmdline`, "latin1").split("\0");
        if (!holdsMarker(argv, marker)) continue;
        // Only the session's sandboxes know the marker (it is in their environment): a process of theirs
        // may copy it into its argv, and killing that is harmless. Still, kill only bwrap when /proc says.
        if ((exeOf(name) ?? bwrap) === bwrap) found.push(Number(name));
      } catch {
        // Gone meanwhile, or not ours to read.
      }
    }
    return found;
  },
  writeBytes(path, bytes, mode) {
    const fd = openSync(path, "wx", mode);
    try {
      writeSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
  },
};
