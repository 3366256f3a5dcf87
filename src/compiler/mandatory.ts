/**
 * Paths that are always write-protected, even inside writable paths, because
 * the host runs or obeys them later, outside the sandbox. What they are and
 * why: the table in protected-names.ts. Here they are found: project names
 * and git directories at any depth below each writable root (bounded by the
 * shared walk budget and an optional depth), home names where they are
 * (home.ts), and the paths git's config points at (git-redirects.ts).
 */
import { charge, type WalkBudget } from "./budget.js";
import { gitRedirectRules, type GitSeen } from "./git-redirects.js";
import { homeRules } from "./home.js";
import type { Host, HostErrorCode, NodeKind } from "./host.js";
import type { NodeState, PathRule } from "./ir.js";
import { dirname, isWithin, joinPath } from "./paths.js";
import {
  gitConfigRules,
  gitDirNames,
  gitWorktreeNames,
  projectNames,
  protectedDirCaches,
  protectRule,
  type MandatoryRule,
  type ProtectedName,
} from "./protected-names.js";
import { protectWhole, unlistableRule } from "./unlistable.js";
import { vanished } from "./vanished.js";

export { mandatoryReasons, type MandatoryRule } from "./protected-names.js";

/** Project names but `.git`, whose kind decides what it needs (below). */
const projectByName: ReadonlyMap<string, ProtectedName> = new Map(
  projectNames.filter((n) => n.name !== ".git").map((n) => [n.name, n]),
);

export interface MandatoryInput {
  /**
   * Real paths the command may write, with what is there now. Each is checked
   * itself (a writable path can *be* a protected file) and, when it is a
   * directory, searched below.
   */
  readonly writable: readonly { readonly path: string; readonly node: NodeState }[];
  /** A file d levels below a root (its children: d = 1) is found when d <= depth. */
  readonly depth: number | "unlimited";
  readonly allowGitConfig: boolean;
  /**
   * Directories every sandbox of the target replaces by an empty read-only one: srt's state
   * directory on Linux (bwrap/lower.ts, oci/lower.ts). Nothing below them is reachable from inside,
   * so the search does not go there. Going there would list other runs' run directories, which
   * come and go while they run: a concurrent run would make every compile's memo miss.
   */
  readonly hidden?: readonly string[];
}

export type MandatoryFailure =
  | { readonly ok: false; readonly reason: "budget"; readonly detail: string }
  | { readonly ok: false; readonly reason: "host"; readonly code: HostErrorCode; readonly at: string }
  /** A git config file (or a path in it) srt cannot read the way git would: it cannot tell where hooks come from. */
  | { readonly ok: false; readonly reason: "git-config"; readonly at: string; readonly detail: string };

export type MandatoryResult = { readonly ok: true; readonly rules: readonly PathRule[] } | MandatoryFailure;

const stateOf = (k: NodeKind | undefined): NodeState =>
  k === undefined ? "absent" : k === "dir" ? "dir" : k === "file" ? "file" : "other";

/** A directory git would take for a repository by its contents (git's is_git_directory), whatever its name. */
const looksLikeGitDir = (kinds: ReadonlyMap<string, NodeKind>): boolean =>
  kinds.has("HEAD") && kinds.get("objects") === "dir" && kinds.get("refs") === "dir";

export function findMandatoryDenies(host: Host, input: MandatoryInput, budget: WalkBudget): MandatoryResult {
  const rules: PathRule[] = [];
  const seen: GitSeen[] = [];
  const maxDepth = input.depth === "unlimited" ? Infinity : input.depth;
  const hidden = new Set(input.hidden ?? []);
  const home = homeRules(host, input.writable);
  if (!home.ok) return home;
  rules.push(...home.rules);
  const insideGit = new Set<string>();
  for (const { path, node } of input.writable) {
    const own = protectionOf(host, path, node, input.allowGitConfig, budget);
    if (!own.ok) return own;
    rules.push(...own.rules);
    seen.push(...own.seen);
    if (own.inGitDir) insideGit.add(path);
  }
  for (const root of walkRoots(input)) {
    // Covered whole already (a writable root inside .vscode, ~/.ssh, a git directory's hooks), or a root
    // inside a git directory, whose protected entries protectionOf found: nothing to search.
    if (
      insideGit.has(root) ||
      rules.some((r) => root === r.path || root.startsWith(r.path === "/" ? "/" : r.path + "/"))
    )
      continue;
    const stack: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
    while (stack.length > 0) {
      const { dir, depth } = stack.pop()!;
      const list = host.readdir(dir);
      if (!list.ok) {
        if (depth === 0 && list.code === "ENOENT") break; // an absent root: nothing can be below it yet
        if (vanished(host, dir, list.code)) continue; // gone meanwhile (vanished.ts): as if never seen
        if (list.code !== "EACCES") return { ok: false, reason: "host", code: list.code, at: dir };
        // Locked by an earlier run (chmod 000): protected whole, with a warning, rather than failing every later compile.
        protectWhole(host, dir, rules, stack);
        continue;
      }
      const over = charge(budget, host, list.value.length + 1);
      if (over !== undefined) return { ok: false, reason: "budget", detail: `searching ${root} went over ${over}` };
      const kinds = new Map(list.value.map((e) => [e.name, e.kind]));
      if (depth > 0 && looksLikeGitDir(kinds)) {
        // A bare repository or a separate git directory: no `.git` in its name, but git runs its hooks
        // (a push into it runs post-receive) and obeys its config all the same.
        const git = gitDirRules(host, dir, input.allowGitConfig, budget);
        if (!git.ok) return git;
        rules.push(...git.rules);
        if (!git.gone) seen.push({ kind: "bare", gitDir: dir }, ...git.seen);
        continue;
      }
      // At the top of a writable root, absent names are protected too: creating them is the attack.
      const names = depth === 0 ? [...new Set([...projectByName.keys(), ".git", ...kinds.keys()])] : [...kinds.keys()];
      for (const name of names.sort()) {
        const kind = kinds.get(name);
        const path = joinPath(dir, name);
        const known = projectByName.get(name);
        if (known !== undefined) {
          // A symlinked one ("other") is protected as the link: it could be swapped for a real directory.
          if (kind !== undefined || depth === 0) rules.push(protectRule(path, stateOf(kind), known.rule, known));
        } else if (name === ".git" && kind === "dir") {
          const git = gitDirRules(host, path, input.allowGitConfig, budget);
          if (!git.ok) return git;
          rules.push(...git.rules);
          // Gone since the listing (another run's placeholder removed): what a walk a moment later
          // finds, no repository here, so at the top of a root it is held like any missing .git.
          if (git.gone && depth === 0) rules.push(heldGitLink(path));
          if (!git.gone) seen.push({ kind: "worktree", runsIn: dir, gitDir: path }, ...git.seen);
        } else if (name === ".git" && kind !== undefined) {
          rules.push(protectRule(path, stateOf(kind), "git-link"));
          seen.push({ kind: "link", runsIn: dir, file: path });
        } else if (name === ".git" && depth === 0) {
          rules.push(heldGitLink(path));
        } else if (kind === "dir" && depth + 1 < maxDepth && !hidden.has(path)) {
          stack.push({ dir: path, depth: depth + 1 });
        }
      }
    }
  }
  const redirects = gitRedirectRules(host, { writable: input.writable, seen }, budget);
  if (!redirects.ok) return redirects;
  rules.push(...redirects.rules);
  return { ok: true, rules: [...rules, ...coverWritable(rules, input.writable)] };
}

/**
 * No repository at the top of a writable root: one created from inside (hooks,
 * core.fsmonitor) would be the one git uses for this directory afterwards.
 * Held as an empty directory, which git's repository discovery skips (an
 * empty *file* would break every git command below it).
 */
const heldGitLink = (path: string): PathRule => protectRule(path, "absent", "git-link", { shape: "dir", hold: "" });

/**
 * A writable path inside a protected one (`allowWrite: [".git/hooks/pre-commit"]`,
 * `["~/.ssh/config"]`) is denied itself too: backends let the deepest rule
 * on a path decide, so the deny on the enclosing path alone would lose to
 * the deeper allow.
 */
function coverWritable(rules: readonly PathRule[], writable: MandatoryInput["writable"]): PathRule[] {
  const byPath = new Map(rules.map((r) => [r.path, r]));
  const out: PathRule[] = [];
  for (const w of writable) {
    for (let a = dirname(w.path); ; a = dirname(a)) {
      const enclosing = byPath.get(a);
      if (enclosing !== undefined) {
        out.push(protectRule(w.path, w.node, enclosing.origin.slice("mandatory:".length) as MandatoryRule));
        break;
      }
      if (a === "/") break;
    }
  }
  return out;
}

type GitDirResult =
  /** gone: the git directory itself vanished before it could be listed (vanished()); nothing else is said then. */
  | { readonly ok: true; readonly rules: PathRule[]; readonly seen: GitSeen[]; readonly gone: boolean }
  | MandatoryFailure;

/**
 * The protected entries of a git directory (hooks, config, config.worktree,
 * commondir), of every submodule's git directory kept below it in `modules/`
 * (`.git/modules/<name>[/modules/<name>…]`: a submodule's `.git` file points
 * there, so its hooks run on the next git command inside the submodule), and
 * of every linked worktree's admin directory in `worktrees/<id>`.
 */
function gitDirRules(host: Host, gitDir: string, allowGitConfig: boolean, budget: WalkBudget): GitDirResult {
  const rules: PathRule[] = [];
  const seen: GitSeen[] = [];
  const stack = [gitDir];
  // A directory srt cannot list is protected whole (unlistable.ts): "unlistable", nothing to look into.
  // One gone since it was seen (vanished()) has nothing to look into either, and needs nothing.
  const listing = (dir: string): Map<string, NodeKind> | MandatoryFailure | "unlistable" | "gone" => {
    const list = host.readdir(dir);
    if (!list.ok && vanished(host, dir, list.code)) return "gone";
    if (!list.ok && list.code !== "EACCES") return { ok: false, reason: "host", code: list.code, at: dir };
    if (!list.ok) {
      rules.push(unlistableRule(dir));
      return "unlistable";
    }
    const over = charge(budget, host, list.value.length + 1);
    if (over !== undefined) return { ok: false, reason: "budget", detail: `searching ${gitDir} went over ${over}` };
    return new Map(list.value.map((e) => [e.name, e.kind]));
  };
  const entries = (dir: string, kinds: ReadonlyMap<string, NodeKind>, names: readonly ProtectedName[]): PathRule[] =>
    names
      .filter((n) => !(allowGitConfig && gitConfigRules.has(n.rule)) && (kinds.has(n.name) || n.hold !== undefined))
      .map((n) => protectRule(joinPath(dir, n.name), stateOf(kinds.get(n.name)), n.rule, n));
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const kinds = listing(dir);
    if (kinds === "gone" && dir === gitDir) return { ok: true, rules: [], seen: [], gone: true };
    if (kinds === "unlistable" || kinds === "gone") continue;
    if (!(kinds instanceof Map)) return kinds;
    if (dir === gitDir && kinds.size === 0) {
      // An empty .git is not a repository (git's discovery skips it; another run's placeholder looks
      // like this): keep it that way, whole, instead of placing hooks and config inside it.
      rules.push(protectRule(gitDir, "dir", "git-link"));
      continue;
    }
    if (dir !== gitDir && !kinds.has("HEAD")) {
      // Inside modules/: submodule names may contain slashes, so their git dirs can sit deeper.
      for (const [name, k] of kinds) if (k === "dir") stack.push(joinPath(dir, name));
      continue;
    }
    if (dir !== gitDir) seen.push({ kind: "inner", gitDir: dir });
    rules.push(...entries(dir, kinds, gitDirNames));
    if (kinds.get("modules") === "dir") stack.push(joinPath(dir, "modules"));
    if (kinds.get("worktrees") !== "dir") continue;
    const worktrees = listing(joinPath(dir, "worktrees"));
    if (worktrees === "unlistable" || worktrees === "gone") continue;
    if (!(worktrees instanceof Map)) return worktrees;
    for (const [id, k] of [...worktrees].sort()) {
      if (k !== "dir") continue;
      const admin = joinPath(dir, `worktrees/${id}`);
      const adminKinds = listing(admin);
      if (adminKinds === "unlistable" || adminKinds === "gone") continue;
      if (!(adminKinds instanceof Map)) return adminKinds;
      rules.push(...entries(admin, adminKinds, gitWorktreeNames));
      seen.push({ kind: "admin", gitDir: admin });
    }
  }
  return { ok: true, rules, seen, gone: false };
}

/**
 * Directories to search below: existing writable directories. A directory
 * inside another is searched by the outer walk already, unless the depth is
 * limited (then the inner one's own search reaches deeper).
 */
function walkRoots(input: MandatoryInput): string[] {
  const dirs = [...new Set(input.writable.filter((w) => w.node === "dir").map((w) => w.path))].sort();
  if (input.depth !== "unlimited") return dirs;
  return dirs.filter((d, i) => !dirs.slice(0, i).some((outer) => isWithin(d, outer)));
}

type Protection =
  | { readonly ok: true; readonly rules: PathRule[]; readonly seen: GitSeen[]; readonly inGitDir: boolean }
  | MandatoryFailure;

/**
 * What a writable path needs by itself: `allowWrite: [".npmrc"]`, `[".vscode/x"]`
 * or `[".git/hooks/pre-commit"]` would otherwise make a protected path
 * writable, because the search only looks *below* writable directories.
 */
function protectionOf(
  host: Host,
  path: string,
  node: NodeState,
  allowGitConfig: boolean,
  budget: WalkBudget,
): Protection {
  const segs = path.split("/");
  // The outermost protected project name on the path (a file, or a directory holding the path).
  for (let i = 1; i < segs.length; i++) {
    const known = projectByName.get(segs[i]!);
    if (known === undefined || (known.shape === "file" && i !== segs.length - 1)) continue;
    // Inside a download cache of the directory (~/.cargo/registry): the cache alone is writable.
    if (i + 1 < segs.length && protectedDirCaches.get(known.name)?.includes(segs[i + 1]!) === true) continue;
    const prefix = segs.slice(0, i + 1).join("/");
    const st = prefix === path ? node : stateAt(host, prefix);
    return { ok: true, rules: [protectRule(prefix, st, known.rule, known)], seen: [], inGitDir: false };
  }
  // A `.git` file points git at another repository; replacing it redirects hooks and config.
  if (segs[segs.length - 1] === ".git" && (node === "file" || node === "other")) {
    return {
      ok: true,
      rules: [protectRule(path, node, "git-link")],
      seen: [{ kind: "link", runsIn: segs.slice(0, -1).join("/") || "/", file: path }],
      inGitDir: false,
    };
  }
  // Inside (or at) a git directory: its protected entries that overlap the path.
  const gitDir = gitDirAbove(host, segs);
  if (gitDir === undefined) return { ok: true, rules: [], seen: [], inGitDir: false };
  const git = gitDirRules(host, gitDir, allowGitConfig, budget);
  if (!git.ok) return git;
  // Gone since gitDirAbove saw it: what a moment later's gitDirAbove would say, no git directory.
  if (git.gone) return { ok: true, rules: [], seen: [], inGitDir: false };
  const overlaps = (r: PathRule): boolean =>
    r.path === path || r.path.startsWith(path + "/") || path.startsWith(r.path + "/");
  const top: GitSeen = gitDir.endsWith("/.git")
    ? { kind: "worktree", runsIn: gitDir.slice(0, -5) || "/", gitDir }
    : { kind: "bare", gitDir };
  return { ok: true, rules: git.rules.filter(overlaps), seen: [top, ...git.seen], inGitDir: true };
}

/** The outermost git directory holding path (or being it): a `.git` directory, or one git would take for a repository by its contents. */
function gitDirAbove(host: Host, segs: readonly string[]): string | undefined {
  for (let i = 1; i < segs.length; i++) {
    const prefix = segs.slice(0, i + 1).join("/");
    if (segs[i] === ".git") {
      if (stateAt(host, prefix) === "dir") return prefix;
      continue;
    }
    if (
      stateAt(host, joinPath(prefix, "objects")) === "dir" &&
      stateAt(host, joinPath(prefix, "refs")) === "dir" &&
      stateAt(host, joinPath(prefix, "HEAD")) !== "absent"
    )
      return prefix;
  }
  return undefined;
}

const stateAt = (host: Host, path: string): NodeState => {
  const st = host.lstat(path);
  return stateOf(st.ok ? st.value.kind : undefined);
};
