/**
 * Identity-maps the sandbox's user namespace from the host (DESIGN §3), so
 * there is one namespace, owned by the caller, that the proxy bridge can
 * enter. Writing one's own uid/gid is allowed to the namespace's owner once
 * setgroups is denied.
 */
import { writeFileSync } from "node:fs";

export function mapUserNamespace(pid: number, uid: number, gid: number): void {
  writeFileSync(`/proc/${pid}/setgroups`, "deny");
  writeFileSync(`/proc/${pid}/uid_map`, `${uid} ${uid} 1\n`);
  writeFileSync(`/proc/${pid}/gid_map`, `${gid} ${gid} 1\n`);
}
