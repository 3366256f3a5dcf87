/**
 * Which host paths a plan's command can change, as plan data. srt trusts a
 * few host files during and after a run (the tools it starts, the plan file
 * itself, the --violations file); the runtime checks each against this field
 * instead of reading the bwrap argv, which only the backend interprets.
 */
import type { Host, HostErrorCode } from "../../compiler/host.js";
import { linksOnPath } from "../../compiler/links.js";
import { resolveReal } from "../../compiler/resolve.js";
import type { MountOp } from "./mounts.js";

export interface HostWrites {
  /** Writable roots (allowWrite, real paths): each is writable with everything below it, except… */
  readonly roots: readonly string[];
  /** …below these: bound read-only again, masked or hidden. The deepest entry on a path decides; at equal depth these win. */
  readonly except: readonly string[];
}

const within = (p: string, root: string): boolean => root === "/" || p === root || p.startsWith(`${root}/`);

/** `stateDir`: srt's state directory, hidden whole in every sandbox after the policy's mounts (lower.ts). */
export function hostWritesOf(ops: readonly MountOp[], stateDir: string): HostWrites {
  const roots: string[] = [];
  const except: string[] = [stateDir];
  for (const m of ops) {
    // Pins are writable binds inside a root that only make a directory a mount point: they change nothing here.
    if (m.op === "bind" && m.writable && m.why === "write-allow") roots.push(m.path);
    else if (m.op === "bind" && !m.writable) except.push(m.path);
    else if (m.op === "mask-dir" || m.op === "mask-file") except.push(m.path);
  }
  return { roots, except };
}

/** The writable root that lets the command change `path` (a real path), or undefined when it cannot. */
export function writableRootOf(w: HostWrites, path: string): string | undefined {
  let root: string | undefined;
  let best = -1;
  for (const r of w.roots) if (within(path, r) && r.length > best) [root, best] = [r, r.length];
  for (const e of w.except) if (within(path, e) && e.length >= best) return undefined;
  return root;
}

/** How a plan's command could change what a spelled path names for srt's next use of it. */
export type Exposure =
  /** A symlink on the way lies where the command can write: it could re-point it (a mount cannot hold a link). */
  | { readonly kind: "link"; readonly link: string; readonly root: string }
  /** The file itself (or a directory it could be swapped in from) is writable. */
  | { readonly kind: "writable"; readonly real: string; readonly root: string }
  | { readonly kind: "unknown"; readonly at: string; readonly code: HostErrorCode };

/** undefined when the plan's command can change neither the file nor the way to it. */
export function exposureOf(w: HostWrites, host: Host, spelled: string): Exposure | undefined {
  const links = linksOnPath(host, spelled);
  if (!links.ok) return { kind: "unknown", at: links.at, code: links.code };
  for (const link of links.links) {
    const root = writableRootOf(w, link);
    if (root !== undefined) return { kind: "link", link, root };
  }
  const r = resolveReal(host, spelled);
  if (!r.ok) return { kind: "unknown", at: r.at, code: r.code };
  const root = writableRootOf(w, r.real);
  return root === undefined ? undefined : { kind: "writable", real: r.real, root };
}
