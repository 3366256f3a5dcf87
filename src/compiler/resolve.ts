/**
 * Real path of a spelled path through the Host, also when its tail does not
 * exist yet (a deny on an absent file must land where the file would be
 * created) or it is a dangling symlink. Only lstat and readlink are used, so
 * intermediate symlinks are followed exactly as the kernel would.
 */
import type { Host, HostErrorCode } from "./host.js";
import type { NodeState } from "./ir.js";
import { dirname, joinPath } from "./paths.js";

/** Linux MAXSYMLINKS. */
const MAX_HOPS = 40;

export type Resolved =
  | { readonly ok: true; readonly real: string; readonly node: NodeState }
  | { readonly ok: false; readonly code: HostErrorCode; readonly at: string };

/** `onLink`: told every symlink the walk passes, at its real location (its directory has no links left). */
export function resolveReal(host: Host, path: string, onLink?: (link: string) => void): Resolved {
  const pending = path.split("/").filter(Boolean);
  let current = "/";
  let hops = 0;
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
      // The rest does not exist: nothing below can be a symlink.
      if (st.code === "ENOENT") return { ok: true, real: normalizeTail(next, pending), node: "absent" };
      return { ok: false, code: st.code, at: next };
    }
    if (st.value.kind === "symlink") {
      if (++hops > MAX_HOPS) return { ok: false, code: "ELOOP", at: next };
      onLink?.(next);
      const link = host.readlink(next);
      if (!link.ok) return { ok: false, code: link.code, at: next };
      pending.unshift(...link.value.split("/").filter(Boolean));
      if (link.value.startsWith("/")) current = "/";
      continue;
    }
    if (pending.length > 0 && st.value.kind !== "dir") return { ok: false, code: "ENOTDIR", at: next };
    current = next;
    if (pending.length === 0)
      return {
        ok: true,
        real: current,
        node: st.value.kind === "dir" ? "dir" : st.value.kind === "file" ? "file" : "other",
      };
  }
  return { ok: true, real: current, node: "dir" };
}

function normalizeTail(base: string, rest: readonly string[]): string {
  let p = base;
  for (const s of rest) {
    if (s === ".") continue;
    p = s === ".." ? dirname(p) : joinPath(p, s);
  }
  return p;
}
