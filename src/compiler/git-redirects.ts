/**
 * Where git's configuration sends it, for every repository the command could
 * influence: the directory core.hooksPath names (git runs hooks from there
 * instead of .git/hooks) and every file the config includes (read as config).
 * Both are protected when they lie in a writable path.
 *
 * The repositories are those the search found in writable directories (`.git`
 * directories and files, bare repositories, submodules' and linked worktrees'
 * git directories) and those above each writable directory (a hooks path
 * relative to the worktree can land inside a writable subdirectory). For each,
 * git reads the system and global config, the repository's config (in its
 * common directory) and config.worktree, and what they include; srt reads the
 * same files. Every hooks path any of them names is protected, not only the
 * one that wins: which wins depends on includeIf conditions and on the order
 * at the time of the next git command, and protecting a spare one costs
 * nothing.
 */
import { charge, type WalkBudget } from "./budget.js";
import { interpolateGitPath, isIncludeKey, parseGitConfig } from "./git-config.js";
import type { Host } from "./host.js";
import type { PathRule } from "./ir.js";
import type { MandatoryFailure, MandatoryResult } from "./mandatory.js";
import { dirname, joinPath } from "./paths.js";
import { protectSpelled, type Writable } from "./protect-path.js";
import { resolveReal } from "./resolve.js";

/** What the search saw of a repository; where its hooks run is worked out here. */
export type GitSeen =
  /** A `.git` directory: hooks run in its parent, the worktree. */
  | { readonly kind: "worktree"; readonly runsIn: string; readonly gitDir: string }
  /** A `.git` file (a linked worktree, a submodule): hooks run here, the git directory is what it names. */
  | { readonly kind: "link"; readonly runsIn: string; readonly file: string }
  /** A bare repository: hooks run in the git directory itself. */
  | { readonly kind: "bare"; readonly gitDir: string }
  /** A submodule's git directory in `.git/modules/…`: its worktree is its core.worktree. */
  | { readonly kind: "inner"; readonly gitDir: string }
  /** A linked worktree's admin directory: its worktree is what its `gitdir` file names. */
  | { readonly kind: "admin"; readonly gitDir: string };

export interface RedirectInput {
  readonly writable: Writable;
  readonly seen: readonly GitSeen[];
}

/** No real config comes near this; a bigger one is refused rather than read in part. */
const MAX_CONFIG_BYTES = 1 << 20;
/** git's own limit on nested includes. */
const MAX_INCLUDE_DEPTH = 10;

interface ConfigRead {
  readonly hooksPaths: readonly string[];
  readonly includes: readonly string[];
  readonly worktree: readonly string[];
  readonly bare: boolean;
}

export function gitRedirectRules(host: Host, input: RedirectInput, budget: WalkBudget): MandatoryResult {
  const home = host.env.home;
  const small = (path: string): string | undefined | MandatoryFailure => {
    if (charge(budget, host, 1) !== undefined)
      return { ok: false, reason: "budget", detail: `reading git config went over the walk budget` };
    // Spellings like ".git/../tools/git.inc" and "worktrees/x/../.." are resolved the way the kernel would.
    const real = resolveReal(host, path);
    if (!real.ok)
      return real.code === "ENOTDIR" ? undefined : { ok: false, reason: "host", code: real.code, at: real.at };
    if (real.node === "absent") return undefined;
    const r = host.readFile(real.real, MAX_CONFIG_BYTES);
    if (r.ok) return r.value;
    if (r.code === "ENOENT" || r.code === "ENOTDIR") return undefined; // git skips a missing file too
    if (r.code === "EFBIG")
      return { ok: false, reason: "git-config", at: path, detail: `it is larger than ${MAX_CONFIG_BYTES} bytes` };
    return { ok: false, reason: "host", code: r.code, at: path };
  };

  // Every config file read once, includes followed; the values that matter kept per file.
  const cache = new Map<string, ConfigRead | MandatoryFailure>();
  const readConfig = (path: string, depth: number): ConfigRead | MandatoryFailure => {
    const hit = cache.get(path);
    if (hit !== undefined) return hit;
    cache.set(path, { hooksPaths: [], includes: [], worktree: [], bare: false }); // an include cycle reads nothing more
    const text = small(path);
    if (typeof text === "object") return text;
    const out = { hooksPaths: [] as string[], includes: [] as string[], worktree: [] as string[], bare: false };
    if (text !== undefined) {
      const parsed = parseGitConfig(text);
      if (!parsed.ok)
        return { ok: false, reason: "git-config", at: path, detail: `line ${parsed.line} is not valid git config` };
      for (const e of parsed.entries) {
        // A bare key is a boolean true to git.
        if (e.key === "core.bare") out.bare ||= e.value === undefined || /^(true|yes|on|1)$/i.test(e.value);
        if (e.value === undefined) continue; // git refuses a path key without a value
        if (e.key !== "core.hookspath" && e.key !== "core.worktree" && !isIncludeKey(e.key)) continue;
        if (e.value === "") continue; // git finds no hooks in an empty hooks path
        const p = interpolateGitPath(e.value, home);
        if (!p.ok)
          return {
            ok: false,
            reason: "git-config",
            at: path,
            detail: `line ${e.line}: srt cannot resolve ${e.value} as git would`,
          };
        if (e.key === "core.hookspath") out.hooksPaths.push(p.path);
        else if (e.key === "core.worktree") out.worktree.push(p.path);
        else {
          // Relative to the directory of the file that includes it, as spelled (not its real path).
          const target = p.path.startsWith("/") ? p.path : joinPath(dirname(path), p.path);
          out.includes.push(target);
          if (depth >= MAX_INCLUDE_DEPTH) continue;
          const sub = readConfig(target, depth + 1);
          if ("ok" in sub) return sub;
          out.hooksPaths.push(...sub.hooksPaths);
          out.includes.push(...sub.includes);
        }
      }
    }
    cache.set(path, out);
    return out;
  };

  // Repositories: git directory → where its hooks run.
  const repos = new Map<string, Set<string>>();
  const add = (spelled: string, runsIn: string | undefined): void => {
    const real = resolveReal(host, spelled);
    const gitDir = real.ok ? real.real : spelled;
    const set = repos.get(gitDir) ?? new Set<string>();
    if (runsIn !== undefined) set.add(runsIn);
    repos.set(gitDir, set);
  };
  /** git's read_gitfile: "gitdir: <path>", relative to the file's directory; anything else makes git stop, so nothing runs. */
  const follow = (file: string): string | undefined | MandatoryFailure => {
    const r = resolveReal(host, file);
    if (r.ok && r.node === "dir") return r.real; // a symlinked .git directory
    const text = small(file);
    if (typeof text !== "string") return text;
    const m = /^gitdir: (.+?)[\r\n]*$/.exec(text);
    return m === null ? undefined : m[1]!.startsWith("/") ? m[1]! : joinPath(dirname(file), m[1]!);
  };
  const enclosing: GitSeen[] = [];
  for (const w of input.writable) {
    for (let a = dirname(w.path); ; a = dirname(a)) {
      const dotGit = joinPath(a, ".git");
      const st = host.lstat(dotGit);
      if (st.ok && st.value.kind === "dir") enclosing.push({ kind: "worktree", runsIn: a, gitDir: dotGit });
      else if (st.ok) enclosing.push({ kind: "link", runsIn: a, file: dotGit });
      if (a === "/") break;
    }
  }
  for (const s of [...input.seen, ...enclosing]) {
    if (s.kind === "worktree") add(s.gitDir, s.runsIn);
    else if (s.kind === "bare") add(s.gitDir, s.gitDir);
    else if (s.kind === "inner") add(s.gitDir, undefined);
    else if (s.kind === "link") {
      const g = follow(s.file);
      if (typeof g === "object") return g;
      if (g !== undefined) add(g, s.runsIn);
    } else {
      const g = follow(joinPath(s.gitDir, "gitdir"));
      if (typeof g === "object") return g;
      add(s.gitDir, g === undefined ? undefined : dirname(g));
    }
  }

  const xdg = host.env.vars["XDG_CONFIG_HOME"];
  const globals = [
    "/etc/gitconfig",
    joinPath(home, ".gitconfig"),
    joinPath(home, ".config/git/config"),
    ...(xdg?.startsWith("/") ? [joinPath(xdg, "git/config")] : []),
  ];
  const rules: PathRule[] = [];
  const protect = (
    spelled: string,
    rule: "git-hooks-path" | "git-config-include",
    shape: "file" | "dir",
  ): MandatoryFailure | undefined => {
    const found = protectSpelled(host, spelled, input.writable, rule, { shape, hold: "" });
    if (!found.ok) return found;
    rules.push(...found.rules);
    return undefined;
  };
  for (const [gitDir, runsIn] of [...repos].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const common = small(joinPath(gitDir, "commondir"));
    if (typeof common === "object") return common;
    const commonDir =
      common === undefined
        ? gitDir
        : ((c) => (c.startsWith("/") ? c : joinPath(gitDir, c)))(common.replace(/[\r\n]+$/, ""));
    const files = [...globals, joinPath(commonDir, "config"), joinPath(gitDir, "config.worktree")];
    const reads: ConfigRead[] = [];
    for (const f of files) {
      const r = readConfig(f, 0);
      if ("ok" in r) return r;
      reads.push(r);
    }
    // The repository's own config says where its worktree is (core.worktree, relative to the git directory) or that it has none.
    const own = reads[globals.length]!;
    for (const w of own.worktree) runsIn.add(w.startsWith("/") ? w : joinPath(gitDir, w));
    if (own.bare) runsIn.add(gitDir);
    for (const r of reads) {
      for (const inc of r.includes) {
        const failed = protect(inc, "git-config-include", "file");
        if (failed) return failed;
      }
      for (const h of r.hooksPaths) {
        for (const base of h.startsWith("/") ? [""] : [...runsIn].sort()) {
          const failed = protect(h.startsWith("/") ? h : joinPath(base, h), "git-hooks-path", "dir");
          if (failed) return failed;
        }
      }
    }
  }
  return { ok: true, rules };
}
