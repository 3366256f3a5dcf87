/**
 * The symlinks a spelled path passes through, each at its real location (the
 * directory entry that holds it). A mount cannot protect a symlink: a bind
 * lands on the target, and the link itself stays replaceable by whoever can
 * write the directory it lies in. So a file srt relies on across runs (its
 * settings, a plan it wrote) must not be reached through a link that lies in
 * a writable directory; these are the links to check.
 */
import type { Host, HostErrorCode } from "./host.js";
import { dirname, joinPath } from "./paths.js";

/** Linux MAXSYMLINKS. */
const MAX_HOPS = 40;

export type LinksOnPath =
  | { readonly ok: true; readonly links: readonly string[] }
  | { readonly ok: false; readonly code: HostErrorCode; readonly at: string };

export function linksOnPath(host: Host, path: string): LinksOnPath {
  const pending = path.split("/").filter(Boolean);
  const links: string[] = [];
  let current = "/";
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === ".") continue;
    if (name === "..") {
      current = dirname(current);
      continue;
    }
    const next = joinPath(current, name);
    const st = host.lstat(next);
    if (!st.ok) {
      // What does not exist yet holds no link.
      if (st.code === "ENOENT") return { ok: true, links };
      return { ok: false, code: st.code, at: next };
    }
    if (st.value.kind === "symlink") {
      if (links.length >= MAX_HOPS) return { ok: false, code: "ELOOP", at: next };
      links.push(next);
      const target = host.readlink(next);
      if (!target.ok) return { ok: false, code: target.code, at: next };
      pending.unshift(...target.value.split("/").filter(Boolean));
      if (target.value.startsWith("/")) current = "/";
      continue;
    }
    if (pending.length > 0 && st.value.kind !== "dir") return { ok: false, code: "ENOTDIR", at: next };
    current = next;
  }
  return { ok: true, links };
}
