/**
 * IR path rules → the ordered mount operations bubblewrap performs on top of
 * `--ro-bind / /`. Precedence is decided by *specificity*, not by the order
 * rules were written: the state of a path is set by the deepest rule on it or
 * on an ancestor (a deny wins a tie at the same path), and mounts are emitted
 * shallow-first so a deeper mount always lies on top of a shallower one.
 *
 *   read:  deny masks a subtree; allowRead re-opens a path inside a mask.
 *   write: allowWrite opens a subtree; denyWrite (and every mandatory deny)
 *          closes a path inside it again.
 *   A path that is unreadable stays masked even when it is writable: Linux
 *   has no write-only mount, and we never turn a deny into an allow.
 *
 * Only a state change needs a mount, so the argv stays linear in the number
 * of rules, and a deny inside an already-masked region costs nothing.
 */
import type { FsRule, NodeState, Origin, PathRule, Policy } from "../../compiler/ir.js";

/**
 * Every origin that named a mount's path, sorted, each once: one path can be
 * named by several rules. An array in the plan and in violation reports (a
 * consumer filters on one origin without splitting text); `shownOrigins`
 * writes it for people (bwrap comments, explain, messages).
 */
export type OriginList = readonly Origin[];

/** An origin list as people read it: space-separated, in its sorted order. */
export const shownOrigins = (list: OriginList): string => list.join(" ");

/** The list for a set of origins: sorted, each once (one order everywhere, so plans and goldens are stable). */
export const originList = (origins: Iterable<Origin>): OriginList => [...new Set(origins)].sort(compareStrings);
import { detachableMounts, type DetachableMount } from "./detachable.js";
import { compareStrings } from "../../compiler/compare.js";
import { dirname as parentOf, isWithin as within, pathDepth as depth } from "../../compiler/paths.js";

/** What a path looks like inside the sandbox. */
export type MountState = "rw" | "ro" | "masked";

export type MountOp =
  /**
   * `--bind P P` / `--ro-bind P P`: the host path itself, writable or not.
   * `optional`: `--ro-bind-try` — for a path that did not exist at compile time:
   * the runtime creates it, and skips it only when the user may not create it
   * there (EACCES/EPERM/EROFS), in which case the sandbox, running as the same
   * user with no capabilities, cannot create it either.
   */
  | {
      readonly op: "bind";
      readonly path: string;
      readonly writable: boolean;
      readonly why: MountWhy;
      readonly origin: OriginList;
      readonly optional?: true;
    }
  /** `--tmpfs D` now, `--remount-ro D` after everything below it: an empty read-only directory. */
  | { readonly op: "mask-dir"; readonly path: string; readonly origin: OriginList }
  /** `--ro-bind <void> F`: an empty file no one may open (mode 000). */
  | { readonly op: "mask-file"; readonly path: string; readonly origin: OriginList }
  | { readonly op: "remount-ro"; readonly path: string; readonly origin: OriginList };

export type MountWhy =
  | "write-allow" // a writable root
  | "write-deny" // read-only again inside a writable root
  | "read-allow" // re-opened inside a read mask
  /**
   * A writable directory between a writable root and a protected path, bound
   * onto itself so that it is a mount point: rename(2) of a mount point fails
   * with EBUSY. Without it `mv .git .old && mkdir -p .git/hooks` would move the
   * protection away with the old directory and free the protected path. The
   * same for a read mask: `mv a a2` would carry the mask of a/b/secret along,
   * and the next run, finding no a/b/secret, would read a2/b/secret.
   */
  | "pin-ancestor";

/**
 * A path inside a writable region that a mount lands on, so it must exist when
 * bwrap starts. If it does not (it never did: a protected name not created yet;
 * or it vanished since the plan was compiled — e.g. another run's placeholder),
 * the runtime creates it empty, of this kind, under the placeholder registry's
 * lock, and the last run out removes it. Without the second case a run compiled
 * while another run's placeholders existed would fail to start once they are gone.
 */
export interface Placeholder {
  readonly path: string;
  readonly kind: "file" | "dir";
  readonly origin: OriginList;
  /** A file's text when it must not be empty (git's commondir is held as "."; see PathRule.content). */
  readonly content?: string;
}

/** Rules that cannot be enforced as written, and why (shown by explain and in goldens). */
export interface MountNote {
  readonly path: string;
  readonly origin: OriginList;
  readonly note: string;
}

export interface MountPlan {
  readonly ops: readonly MountOp[];
  readonly placeholders: readonly Placeholder[];
  readonly notes: readonly MountNote[];
  /** The protections a host-side unlink or rename can detach (detachable.ts): watched while the command runs. */
  readonly detachable: readonly DetachableMount[];
}

/** Paths under these are replaced wholesale by `--dev` / `--proc`; a rule there cannot be expressed as a bind. */
const virtualRoots = ["/dev", "/proc"] as const;

interface Decider {
  readonly read: (p: string) => boolean;
  readonly write: (p: string) => boolean;
}

/** The deepest rule on p or an ancestor decides; at equal depth deny wins. */
function decider(rules: readonly PathRule[]): Decider {
  const verdict = (access: "read" | "write", fallback: boolean) => {
    const relevant = rules.filter((r) => r.access === access);
    return (p: string): boolean => {
      let best: PathRule | undefined;
      for (const r of relevant) {
        if (!within(p, r.path)) continue;
        if (best === undefined || r.path.length > best.path.length || (r.path === best.path && r.effect === "deny"))
          best = r;
      }
      return best === undefined ? fallback : best.effect === "allow";
    };
  };
  return { read: verdict("read", true), write: verdict("write", false) };
}

const placeholder = (
  path: string,
  kind: "file" | "dir",
  origin: OriginList,
  content: string | undefined,
): Placeholder =>
  kind === "file" && content !== undefined && content !== "" ? { path, kind, origin, content } : { path, kind, origin };

const stateOf = (d: Decider, p: string): MountState => (!d.read(p) ? "masked" : d.write(p) ? "rw" : "ro");

/**
 * A deny of `D/*` covers every entry of D — dotfiles too (globs are expanded
 * with dot: true) and entries created after compile time. One rule on D says
 * that with one mount, where one rule per match costs one bind each (bwrap
 * file binds grow quadratically: 500 ≈ 400 ms) and still lets new matching
 * files be created. The per-match rules stay, so nothing they deny is lost.
 * Only when the matches really live in D (not behind a symlinked spelling).
 */
function wholeDirectoryDenies(rules: readonly FsRule[]): PathRule[] {
  const out: PathRule[] = [];
  for (const g of rules) {
    if (g.kind !== "glob" || g.effect !== "deny" || !g.pattern.endsWith("/*")) continue;
    const dir = g.pattern.slice(0, -2);
    if (dir === "" || /[*?[\]{}()!+@]/.test(dir)) continue;
    const inDir = rules.some(
      (r) => r.kind === "path" && r.via.kind === "glob" && r.via.pattern === g.pattern && parentOf(r.path) === dir,
    );
    if (inDir)
      out.push({
        kind: "path",
        access: g.access,
        effect: "deny",
        path: dir,
        node: "dir",
        via: { kind: "glob", pattern: g.pattern },
        origin: g.origin,
      });
  }
  return out;
}

export function planMounts(policy: Policy): MountPlan {
  const rules = [
    ...policy.filesystem.rules.filter((r): r is PathRule => r.kind === "path"),
    ...wholeDirectoryDenies(policy.filesystem.rules),
  ];
  const d = decider(rules);
  const notes: MountNote[] = [];
  // One entry per path: the node kind and the origins that named it (for comments).
  const byPath = new Map<
    string,
    { node: NodeState; shape: "file" | "dir"; content: string | undefined; origins: Origin[] }
  >();
  const stateDir = policy.context.stateDir;
  for (const r of rules) {
    if (virtualRoots.some((v) => within(r.path, v))) {
      notes.push({
        path: r.path,
        origin: [r.origin],
        note: "under a fresh /dev or /proc inside the sandbox; the rule has no host path to act on",
      });
      continue;
    }
    // Hidden whole after these mounts (lower.ts); a writable rule there is refused by the compiler (SRT308).
    if (within(r.path, stateDir)) {
      notes.push({
        path: r.path,
        origin: [r.origin],
        note: "inside srt's state directory, which is hidden in every sandbox; the rule has nothing to act on",
      });
      continue;
    }
    const seen = byPath.get(r.path);
    if (seen) {
      seen.origins.push(r.origin);
      // Any rule on the path may say how to hold it while missing (a user's denyWrite on .git, say, beside the mandatory one).
      if (r.shape === "dir") seen.shape = "dir";
      seen.content ??= r.content;
    } else
      byPath.set(r.path, {
        node: r.node,
        shape: r.node === "dir" || r.shape === "dir" ? "dir" : "file",
        content: r.content,
        origins: [r.origin],
      });
  }
  const origin = (p: string): OriginList => originList(byPath.get(p)?.origins ?? []);

  // Pass 1: the mount each rule path needs, if any.
  const chosen = new Map<string, MountOp>();
  const placeholders: Placeholder[] = [];
  const protectedInWritable: string[] = [];
  const rootState = stateOf(d, "/");
  if (rootState === "rw")
    chosen.set("/", { op: "bind", path: "/", writable: true, why: "write-allow", origin: origin("/") });
  if (rootState === "masked")
    notes.push({
      path: "/",
      origin: origin("/"),
      note: "a read deny on / would leave nothing to run; it is not applied (deny narrower paths)",
    });
  for (const [p, { node, shape, content }] of byPath) {
    if (p === "/") continue;
    const here = stateOf(d, p);
    const outer = stateOf(d, parentOf(p));
    if (here === outer) continue;
    const o = origin(p);
    if (node === "absent") {
      if (here !== "rw" && outer === "rw") {
        // Creating it is the only way to stop its creation (also when it is read-denied too:
        // an unreadable path must not become a writable one just because it does not exist yet).
        // The placeholder is empty and ours, so binding it read-only also "masks" it when it is read-denied too.
        placeholders.push(placeholder(p, shape, o, content));
        chosen.set(p, { op: "bind", path: p, writable: false, why: "write-deny", origin: o, optional: true });
        protectedInWritable.push(p);
      } else if (here === "rw") {
        notes.push({ path: p, origin: o, note: "does not exist, so there is nothing to make writable" });
      }
      // Masking or re-opening an absent path protects nothing and reveals nothing.
      continue;
    }
    // Inside a writable region the target may vanish before the run (deleted, or another run's placeholder removed).
    if (outer === "rw" && here !== "rw") placeholders.push(placeholder(p, shape, o, content));
    if (here === "masked") {
      chosen.set(p, node === "dir" ? { op: "mask-dir", path: p, origin: o } : { op: "mask-file", path: p, origin: o });
      // A mask moves with its directory; renamed, the next run would find nothing to mask at the old path.
      if (outer === "rw") protectedInWritable.push(p);
      continue;
    }
    const why: MountWhy = here === "rw" ? "write-allow" : outer === "masked" ? "read-allow" : "write-deny";
    if (why === "write-deny") protectedInWritable.push(p);
    chosen.set(p, { op: "bind", path: p, writable: here === "rw", why, origin: o });
  }

  // Pass 2: pin the writable directories between each protected path (or read mask) and the nearest mount point.
  for (const p of protectedInWritable.sort()) {
    const o = chosen.get(p)!.origin;
    for (let a = parentOf(p); a !== "/" && !chosen.has(a) && stateOf(d, a) === "rw"; a = parentOf(a)) {
      // Optional: a pinned directory that is missing is one the runtime could not create, so the sandbox cannot either.
      chosen.set(a, { op: "bind", path: a, writable: true, why: "pin-ancestor", origin: o, optional: true });
    }
  }

  // The state directory becomes a mount point (lower.ts masks it), so it cannot be renamed; inside a
  // writable region its directory chain is pinned too, or `mv /tmp/x /tmp/y` would carry the state
  // directory (with every run's registration) away from where srt looks, and a fresh empty one would
  // tell srt that no run holds any placeholder.
  if (stateOf(d, stateDir) === "rw") {
    for (let a = parentOf(stateDir); a !== "/" && !chosen.has(a) && stateOf(d, a) === "rw"; a = parentOf(a)) {
      chosen.set(a, {
        op: "bind",
        path: a,
        writable: true,
        why: "pin-ancestor",
        origin: ["default:state-dir"],
        optional: true,
      });
    }
  }

  // Shallow first, so every deeper mount lies on top; masks turn read-only after their carve-outs exist.
  const ops = [...chosen.values()].sort((a, b) => depth(a.path) - depth(b.path) || compareStrings(a.path, b.path));
  const masks = ops.filter((m) => m.op === "mask-dir").reverse();
  for (const m of masks) ops.push({ op: "remount-ro", path: m.path, origin: m.origin });
  return {
    ops,
    placeholders: placeholders.sort((a, b) => compareStrings(a.path, b.path)),
    notes,
    detachable: detachableMounts(ops),
  };
}
