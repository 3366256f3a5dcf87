/**
 * The symlinks a spelled path passes through, each at its real location (the
 * directory entry that holds it). A mount cannot protect a symlink: a bind
 * lands on the target, and the link itself stays replaceable by whoever can
 * write the directory it lies in. So a file srt relies on across runs (its
 * settings, a plan it wrote) must not be reached through a link that lies in
 * a writable directory; these are the links to check.
 */
import type { Host, HostErrorCode } from "./host.js";
import { resolveReal } from "./resolve.js";

export type LinksOnPath =
  | { readonly ok: true; readonly links: readonly string[] }
  | { readonly ok: false; readonly code: HostErrorCode; readonly at: string };

/** The same walk as resolveReal (the kernel's), collecting each link it passes. */
export function linksOnPath(host: Host, path: string): LinksOnPath {
  const links: string[] = [];
  const r = resolveReal(host, path, (link) => links.push(link));
  return r.ok ? { ok: true, links } : { ok: false, code: r.code, at: r.at };
}
