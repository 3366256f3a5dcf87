/**
 * Glob expansion: a bounded walk of the Host from the glob's static base,
 * matched with picomatch. Symlinked directories are not entered (a link can
 * point anywhere, loops included); a symlink that matches is reported so the
 * caller can cover its target as well. For deny rules, a directory whose every
 * entry matches collapses to the directory itself: one mount instead of
 * thousands, and files created there later are covered too.
 */
import picomatch from "picomatch";
import { charge, type WalkBudget } from "./budget.js";
import type { Host, HostErrorCode, NodeKind } from "./host.js";
import { globBase, globOptions, joinPath } from "./paths.js";

export interface GlobMatch {
  readonly path: string;
  readonly kind: NodeKind;
}

export type GlobResult =
  | { readonly ok: true; readonly matches: readonly GlobMatch[] }
  | { readonly ok: false; readonly reason: "budget"; readonly detail: string }
  | { readonly ok: false; readonly reason: "host"; readonly code: HostErrorCode; readonly at: string };

export function expandGlob(host: Host, pattern: string, budget: WalkBudget, collapse: boolean): GlobResult {
  const { base, rest } = globBase(pattern);
  const isMatch = picomatch(pattern, globOptions);
  const segments = rest.split("/");
  // Without "**" a match sits exactly segments.length levels below base.
  const maxDepth = segments.includes("**") || segments.some((s) => s.includes("**")) ? Infinity : segments.length;
  const segMatchers = segments.map((s) => (s.includes("**") ? undefined : picomatch(s, globOptions)));

  const baseStat = host.lstat(base);
  if (!baseStat.ok) return baseStat.code === "ENOENT" || baseStat.code === "ENOTDIR" ? { ok: true, matches: [] } : { ok: false, reason: "host", code: baseStat.code, at: base };
  if (baseStat.value.kind !== "dir") return { ok: true, matches: [] };

  const matches: GlobMatch[] = [];
  // Iterative post-order walk; `all` tells the parent whether everything below matched.
  type Frame = { dir: string; depth: number; entries: { name: string; kind: NodeKind }[]; i: number; all: boolean; mark: number };
  const open = (dir: string, depth: number): Frame | GlobResult => {
    const list = host.readdir(dir);
    if (!list.ok) return { ok: false, reason: "host", code: list.code, at: dir };
    const over = charge(budget, host, list.value.length + 1);
    if (over !== undefined) return { ok: false, reason: "budget", detail: `expanding ${pattern} went over ${over}` };
    const entries = [...list.value].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { dir, depth, entries, i: 0, all: entries.length > 0, mark: matches.length };
  };
  const first = open(base, 0);
  if ("ok" in first) return first;
  const stack: Frame[] = [first];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.i < f.entries.length) {
      const e = f.entries[f.i++]!;
      const path = joinPath(f.dir, e.name);
      if (isMatch(path)) {
        matches.push({ path, kind: e.kind });
        continue; // a matched directory is covered whole; nothing below needs listing
      }
      const seg = segMatchers[f.depth];
      const mayDescend = e.kind === "dir" && f.depth + 1 < maxDepth && (seg === undefined || seg(e.name));
      if (!mayDescend) {
        f.all = false;
        continue;
      }
      const child = open(path, f.depth + 1);
      if ("ok" in child) return child;
      stack.push(child);
      continue;
    }
    stack.pop();
    const parent = stack[stack.length - 1];
    if (collapse && f.all && f.depth > 0) {
      // Every entry below matched: replace them by the directory; to the parent it counts as a match.
      matches.splice(f.mark);
      matches.push({ path: f.dir, kind: "dir" });
    } else if (parent) {
      parent.all = false;
    }
  }
  return { ok: true, matches };
}
