/**
 * A file descriptor srt inherited from its caller without close-on-exec is
 * inherited again by bwrap and by the sandboxed command (neither closes
 * them): an open handle to a host file or socket that no mount and no seccomp
 * rule ever sees — a writable ~/.bashrc, a docker.sock connection. Node and
 * libuv open every descriptor of their own with O_CLOEXEC, so an fd above 2
 * without it came from the caller, and srt has no use for it: close it before
 * the sandbox starts. The Node IPC channel (when srt was forked) is kept.
 */
import { closeSync, readdirSync, readFileSync } from "node:fs";

const O_CLOEXEC = 0o2000000;

/** Closes inherited fds > 2 that lack close-on-exec; returns the ones closed. */
export function closeInheritedFds(keep: ReadonlySet<number>): number[] {
  const closed: number[] = [];
  let names: string[];
  try {
    names = readdirSync("/proc/self/fdinfo");
  } catch {
    return closed;
  }
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2 || keep.has(fd)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
    } catch {
      continue; // closed meanwhile (e.g. the directory handle of readdirSync)
    }
    const flags = /^flags:\s*([0-7]+)/m.exec(text)?.[1];
    if (flags === undefined || (parseInt(flags, 8) & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // Already gone.
    }
  }
  return closed;
}

/** The fd of Node's IPC channel, if srt was started with one. */
export function ipcChannelFds(env: NodeJS.ProcessEnv): ReadonlySet<number> {
  const fd = Number(env["NODE_CHANNEL_FD"]);
  return new Set(Number.isInteger(fd) && env["NODE_CHANNEL_FD"] !== undefined ? [fd] : []);
}
