/**
 * Where the sandbox may write, as far as the IR says: literal allowWrite
 * paths and allowWrite globs (the private temp dir is chosen at run time and
 * holds nothing the policy protects). Used to place the mandatory names and
 * to decide which ancestors of a denied path could be renamed.
 */
import type { GlobRule, PathRule, Policy } from "../../compiler/ir.js";
import { isWithin } from "../../compiler/paths.js";
import { globSubtree } from "./filesystem.js";
import { toJsRegExp } from "./regex.js";

export interface WritableRoots {
  /** Literal directory roots, outermost only, sorted. */
  readonly dirs: readonly string[];
  /** allowWrite globs, sorted. */
  readonly globs: readonly string[];
  /** Whether the sandbox may create, rename or delete `path` (before any deny). */
  readonly covers: (path: string) => boolean;
}

export function writableRoots(policy: Policy): WritableRoots {
  const writes = policy.filesystem.rules.filter((r) => r.access === "write" && r.effect === "allow");
  const literals = writes.filter((r): r is PathRule => r.kind === "path").map((r) => r.path);
  const dirsAll = writes
    .filter((r): r is PathRule => r.kind === "path" && r.node !== "file" && r.node !== "other")
    .map((r) => r.path)
    .sort();
  const dirs = [...new Set(dirsAll)].filter((d, _, all) => !all.some((outer) => outer !== d && isWithin(d, outer)));
  const globs = [...new Set(writes.filter((r): r is GlobRule => r.kind === "glob").map((r) => r.pattern))].sort();
  const globRegexes = globs.map((g) => toJsRegExp(globSubtree(g)));
  const covers = (path: string): boolean =>
    literals.some((root) => isWithin(path, root)) || globRegexes.some((rx) => rx.test(path));
  return { dirs, globs, covers };
}
