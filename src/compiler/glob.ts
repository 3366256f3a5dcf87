/**
 * Glob expansion: a bounded walk of the Host from the glob's static base,
 * matched with picomatch. Symlinks are followed, because the kernel follows
 * them: with `~/p/keys -> /secure/keys`, `~/p/**\/*.pem` must deny
 * `/secure/keys/a.pem`, or reading `~/p/keys/a.pem` gets through. A symlinked
 * base is walked at its real path; each real directory is walked once (loops,
 * and links that reach one tree many ways), and the shared budget bounds links
 * that lead somewhere huge. Matches keep their spelling; the caller resolves
 * them. For deny rules, a directory whose every entry matches collapses to the
 * directory itself: one mount instead of thousands, and files created there
 * later are covered too.
 */
import picomatch from "picomatch";
import { charge, type WalkBudget } from "./budget.js";
import type { Host, HostErrorCode, NodeKind } from "./host.js";
import { globBase, globOptions, joinPath, picomatchPattern } from "./paths.js";
import { resolveReal } from "./resolve.js";
import { compareStrings } from "./compare.js";

export interface GlobMatch {
  readonly path: string;
  readonly kind: NodeKind;
}

export type GlobResult =
  /**
   * `realPattern`: the pattern at the real path of its base, when the base is spelled through a symlink.
   * `unlistable`: directories the walk could not list (EACCES); a deny glob matched each one whole, an allow glob nothing in it.
   */
  | {
      readonly ok: true;
      readonly matches: readonly GlobMatch[];
      readonly realPattern?: string;
      readonly unlistable: readonly string[];
    }
  | { readonly ok: false; readonly reason: "budget"; readonly detail: string }
  | { readonly ok: false; readonly reason: "host"; readonly code: HostErrorCode; readonly at: string };

export function expandGlob(host: Host, pattern: string, budget: WalkBudget, collapse: boolean): GlobResult {
  const spelled = globBase(pattern);
  const baseReal = resolveReal(host, spelled.base);
  if (!baseReal.ok)
    return baseReal.code === "ENOTDIR"
      ? { ok: true, matches: [], unlistable: [] }
      : { ok: false, reason: "host", code: baseReal.code, at: baseReal.at };
  if (baseReal.node !== "dir") return { ok: true, matches: [], unlistable: [] };
  const base = baseReal.real;
  const rest = spelled.rest;
  const walked = base === spelled.base ? pattern : joinPath(base, rest);
  const isMatch = picomatch(picomatchPattern(walked), globOptions);
  const segments = rest.split("/");
  // Without "**" a match sits exactly segments.length levels below base.
  const maxDepth = segments.some((s) => s.includes("**")) ? Infinity : segments.length;
  const segMatchers = segments.map((s) => (s.includes("**") ? undefined : picomatch(picomatchPattern(s), globOptions)));
  // From the first "**" on, depth no longer says which segment applies: "**" spans any number of levels.
  const globstarAt = segments.findIndex((s) => s.includes("**"));
  const segmentAt = (depth: number) => (globstarAt !== -1 && depth >= globstarAt ? undefined : segMatchers[depth]);

  const matches: GlobMatch[] = [];
  const unlistable: string[] = [];
  const visited = new Set<string>([base]);
  // Iterative post-order walk; `all` tells the parent whether everything below matched.
  type Frame = {
    dir: string;
    real: string;
    depth: number;
    entries: { name: string; kind: NodeKind }[];
    i: number;
    all: boolean;
    mark: number;
  };
  /**
   * What is inside a directory that cannot be listed (an earlier run's `chmod 000`) is unknown, and
   * failing would let that run deny service to every later compile: a deny takes it whole (fail
   * closed), an allow takes nothing there. "locked" tells the caller which happened.
   */
  const open = (dir: string, real: string, depth: number): Frame | GlobResult | "locked" => {
    const list = host.readdir(real);
    if (!list.ok && list.code === "EACCES") {
      unlistable.push(dir);
      if (collapse) matches.push({ path: dir, kind: "dir" });
      return "locked";
    }
    if (!list.ok) return { ok: false, reason: "host", code: list.code, at: dir };
    const over = charge(budget, host, list.value.length + 1);
    if (over !== undefined) return { ok: false, reason: "budget", detail: `expanding ${pattern} went over ${over}` };
    const entries = [...list.value].sort((a, b) => compareStrings(a.name, b.name));
    return { dir, real, depth, entries, i: 0, all: entries.length > 0, mark: matches.length };
  };
  const done = (): GlobResult =>
    walked === pattern ? { ok: true, matches, unlistable } : { ok: true, matches, realPattern: walked, unlistable };
  const first = open(base, base, 0);
  if (first === "locked") return done();
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
      const seg = segmentAt(f.depth);
      const mayDescend =
        (e.kind === "dir" || e.kind === "symlink") && f.depth + 1 < maxDepth && (seg === undefined || seg(e.name));
      const real = mayDescend ? realDir(host, joinPath(f.real, e.name), e.kind) : undefined;
      if (real !== undefined && typeof real !== "string") return real;
      if (real === undefined || visited.has(real)) {
        // Not a directory, or one this walk already covers under another spelling.
        f.all = false;
        continue;
      }
      visited.add(real);
      const child = open(path, real, f.depth + 1);
      if (child === "locked") {
        if (!collapse) f.all = false;
        continue;
      }
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
  return done();
}

/** The real directory an entry leads to, undefined if it is not one, or the error that stops the walk. */
function realDir(host: Host, path: string, kind: NodeKind): string | undefined | GlobResult {
  if (kind === "dir") return path;
  const r = resolveReal(host, path);
  if (r.ok) return r.node === "dir" ? r.real : undefined;
  // A dangling or looping link leads nowhere a file could be read through.
  return r.code === "ENOENT" || r.code === "ENOTDIR" || r.code === "ELOOP"
    ? undefined
    : { ok: false, reason: "host", code: r.code, at: path };
}
