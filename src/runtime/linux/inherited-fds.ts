/**
 * A file descriptor srt inherited from its caller without close-on-exec is
 * inherited again by bwrap and by the sandboxed command (neither closes
 * them): an open handle to a host file or socket that no mount and no seccomp
 * rule ever sees — a writable ~/.bashrc, a docker.sock connection. Node and
 * libuv open every descriptor of their own with O_CLOEXEC, so an fd above 2
 * without it came from the caller. By default it is closed before the
 * sandbox starts (Node cannot close fds in the child only). A library host
 * that uses such an fd itself can choose "refuse": the run then fails,
 * naming the fds. The Node IPC channel (when forked) is kept either way.
 */
import { closeSync, readdirSync, readFileSync } from "node:fs";

const O_CLOEXEC = 0o2000000;

/** What to do with inherited fds that would reach the sandbox. */
export type InheritedFdPolicy = "close" | "refuse";

/**
 * Closes (or, with "refuse", throws naming) inherited fds > 2 that lack
 * close-on-exec; returns the ones closed.
 */
export function handleInheritedFds(keep: ReadonlySet<number>, policy: InheritedFdPolicy): number[] {
  const found = findInheritedFds(keep);
  if (found.length > 0 && policy === "refuse") {
    throw new Error(
      `file descriptor${found.length === 1 ? "" : "s"} ${found.join(", ")} of this process would be inherited by the sandboxed command (opened without close-on-exec); close ${found.length === 1 ? "it" : "them"}, or pass inheritedFds: "close" to let srt close ${found.length === 1 ? "it" : "them"}`,
    );
  }
  const closed: number[] = [];
  for (const fd of found) {
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // Already gone.
    }
  }
  return closed;
}

function findInheritedFds(keep: ReadonlySet<number>): number[] {
  const found: number[] = [];
  let names: string[];
  try {
    names = readdirSync("/proc/self/fdinfo");
  } catch {
    return found;
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
    found.push(fd);
  }
  return found;
}

/** The fd of Node's IPC channel, if srt was started with one. */
export function ipcChannelFds(env: Readonly<Record<string, string | undefined>>): ReadonlySet<number> {
  const fd = Number(env["NODE_CHANNEL_FD"]);
  return new Set(Number.isInteger(fd) && env["NODE_CHANNEL_FD"] !== undefined ? [fd] : []);
}
