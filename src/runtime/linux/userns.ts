/**
 * Identity-maps the sandbox's user namespace from the host (DESIGN §3): as an
 * unprivileged caller bwrap would otherwise nest a second namespace that the
 * proxy bridge cannot enter. Writing our own uid/gid is allowed to the
 * namespace's owner once setgroups is denied.
 */
import { writeFileSync } from "node:fs";

export function mapUserNamespace(pid: number, uid: number, gid: number): void {
  writeFileSync(`/proc/${pid}/setgroups`, "deny");
  writeFileSync(`/proc/${pid}/uid_map`, `${uid} ${uid} 1\n`);
  writeFileSync(`/proc/${pid}/gid_map`, `${gid} ${gid} 1\n`);
}
