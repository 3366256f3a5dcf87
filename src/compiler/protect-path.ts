/**
 * A protected path found by reading something (a home entry, core.hooksPath,
 * an include) is spelled the way the reader would open it; what must not
 * change is what that spelling reaches. So the deny lands on the real path
 * when it lies in a writable path, and every symlink on the way that lies in
 * a writable path is protected as a link too: the command could otherwise
 * replace the link (`rm .githooks && mkdir .githooks`) and leave the real
 * path's protection behind. On Linux such a link fails the compile (SRT307).
 */
import type { Host, HostErrorCode } from "./host.js";
import type { NodeState, PathRule } from "./ir.js";
import { isWithin } from "./paths.js";
import { protectRule, type MandatoryRule, type ProtectedName } from "./protected-names.js";
import { resolveReal } from "./resolve.js";

export type Writable = readonly { readonly path: string; readonly node: NodeState }[];

export type SpelledResult =
  | { readonly ok: true; readonly rules: PathRule[] }
  | { readonly ok: false; readonly reason: "host"; readonly code: HostErrorCode; readonly at: string };

export function protectSpelled(
  host: Host,
  spelled: string,
  writable: Writable,
  rule: MandatoryRule,
  n: Pick<ProtectedName, "shape" | "hold">,
): SpelledResult {
  const inWritable = (p: string): boolean => writable.some((w) => isWithin(p, w.path));
  const r = resolveReal(host, spelled);
  // A directory on the way this user cannot search: neither can the sandboxed command (same uid, no
  // capabilities), and no writable path lies below it (expand would have failed to resolve it).
  if (!r.ok && r.code === "EACCES") return { ok: true, rules: [] };
  if (!r.ok) return { ok: false, reason: "host", code: r.code, at: r.at };
  const rules = inWritable(r.real) ? [protectRule(r.real, r.node, rule, n)] : [];
  // A writable path inside it (`allowWrite: ["~/.ssh/config"]`): that path itself is what the command may write.
  for (const w of writable)
    if (w.path !== r.real && isWithin(w.path, r.real)) rules.push(protectRule(w.path, w.node, rule));
  const segs = spelled.split("/");
  for (let i = 2; i <= segs.length; i++) {
    const prefix = segs.slice(0, i).join("/");
    // A writable path itself is a real path (expand resolved it); only links inside one can be replaced.
    if (!inWritable(prefix) || writable.some((w) => w.path === prefix)) continue;
    const st = host.lstat(prefix);
    if (st.ok && st.value.kind === "symlink") rules.push(protectRule(prefix, "other", rule));
  }
  return { ok: true, rules };
}
