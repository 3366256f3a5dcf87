/**
 * Writing an artifact srt or a person will act on later (a plan, Kubernetes
 * objects): never through a symlink planted at its name (one the command of
 * an earlier run could have put there, say towards ~/.bashrc), and only into
 * a regular file.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, writeSync } from "node:fs";

/** Writes text to path, refusing a symlink or anything but a regular file there; the error text, if any. */
export function writeOutput(path: string, text: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ELOOP"
      ? "is a symbolic link; srt does not write through it (remove it, or name the file it points to)"
      : `cannot write it (${code ?? (e as Error).message})`;
  }
  try {
    if (!fstatSync(fd).isFile()) return "is not a regular file";
    // Truncated only now: O_TRUNC at open would empty a FIFO or device before the check.
    ftruncateSync(fd, 0);
    const bytes = Buffer.from(text, "utf8");
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
    return undefined;
  } catch (e) {
    return `cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  } finally {
    closeSync(fd);
  }
}
