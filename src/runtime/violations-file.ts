/**
 * Opening the --violations file. srt appends to it on the host, after the
 * sandbox is gone, text that includes host names the command chose; a
 * command that could swap the file for a symlink (to ~/.bashrc, say) would
 * have srt write into whatever it points to. So the file is opened before
 * the run starts, never through a symlink at its name (O_NOFOLLOW), only if
 * it is a regular file, and only for appending. Keeping the file and the way
 * to it out of the command's reach is the caller's part (sandbox-run.ts).
 */
import { closeSync, constants, fstatSync, openSync } from "node:fs";

export type OpenedViolations =
  { readonly ok: true; readonly fd: number } | { readonly ok: false; readonly message: string };

export function openViolationsFile(path: string): OpenedViolations {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of hanging srt; no effect on a regular file.
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o600,
    );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      return {
        ok: false,
        message: `${path} is a symlink; srt does not write through one (name the file it points to)`,
      };
    return { ok: false, message: `cannot open ${path} (${code ?? (e as Error).message})` };
  }
  try {
    if (fstatSync(fd).isFile()) return { ok: true, fd };
  } catch {
    // fall through: refuse
  }
  closeSync(fd);
  return { ok: false, message: `${path} is not a regular file` };
}
