/**
 * Which host paths a plan's command can change, as plan data. srt trusts a
 * few host files during and after a run (the tools it starts, the plan file
 * itself, the --violations file); the runtime checks each against this field
 * instead of reading the bwrap argv, which only the backend interprets.
 */
import type { MountOp } from "./mounts.js";

export interface HostWrites {
  /** Writable roots (allowWrite, real paths): each is writable with everything below it, except… */
  readonly roots: readonly string[];
  /** …below these: bound read-only again, masked or hidden. The deepest entry on a path decides; at equal depth these win. */
  readonly except: readonly string[];
}

const within = (p: string, root: string): boolean => root === "/" || p === root || p.startsWith(`${root}/`);

export function hostWritesOf(ops: readonly MountOp[]): HostWrites {
  const roots: string[] = [];
  const except: string[] = [];
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
