/**
 * Identity-maps the sandbox's user namespace from the host (DESIGN §3), so
 * there is one namespace, owned by the caller, that the proxy bridge can
 * enter. Writing one's own uid/gid is allowed to the namespace's owner once
 * setgroups is denied.
 */
import type { LinuxFs } from "./deps.js";

export function mapUserNamespace(fs: Pick<LinuxFs, "writeFile">, pid: number, uid: number, gid: number): void {
  // The files exist (procfs): the mode is never used.
  fs.writeFile(`/proc/${pid}/setgroups`, "deny", 0o644);
  fs.writeFile(`/proc/${pid}/uid_map`, `${uid} ${uid} 1\n`, 0o644);
  fs.writeFile(`/proc/${pid}/gid_map`, `${gid} ${gid} 1\n`, 0o644);
}
