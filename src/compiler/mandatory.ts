/**
 * Files that are always write-protected, even inside writable paths, because
 * writing them runs code later outside the sandbox: shell start-up files, git
 * hooks and config, editor/agent/tool config. Searched at any depth below each
 * writable root (bounded by the shared walk budget and an optional depth).
 */
import { charge, type WalkBudget } from "./budget.js";
import type { Host, HostErrorCode, NodeKind } from "./host.js";
import type { NodeState, PathRule } from "./ir.js";
import { isWithin, joinPath } from "./paths.js";
import { protectWhole, unlistableRule } from "./unlistable.js";

/** Rule name → why it exists (shown by `srt explain`). */
export const mandatoryReasons = {
  "shell-config": "shell start-up files run on the user's next shell, outside the sandbox",
  "git-config": "global git config can set hooks, pagers and credential helpers that run as the user",
  "tool-config": "tool config (npm, yarn, ripgrep, MCP servers) can name commands that tools run",
  "editor-config": "editor config can define tasks and extensions that run on open",
  "agent-config": "agent commands and sub-agents run with the user's authority",
  "git-hooks": "git hooks run on the next commit or checkout",
  "git-repo-config": ".git/config can run commands (core.fsmonitor, core.hooksPath, aliases)",
  "git-link": "a .git file, or a .git directory created where there is none, decides which repository, hooks and config git uses",
  "settings-file": "srt's settings (the file in use, and ~/.srt-settings.json, read when none is named) must not be written from inside the sandbox",
  "srt-installation": "srt's own code, and the node_modules/.bin that launches it, must not be rewritten from inside the sandbox",
  "plan-file": "the plan `srt compile -o` wrote must not be rewritten by the command it runs (the next `srt exec` would run the rewrite)",
  "violations-file": "srt appends to the --violations file after the run: the command must not replace it (by a link to a shell start-up file, say)",
} as const;

export type MandatoryRule = keyof typeof mandatoryReasons;

const fileRules: Readonly<Record<string, MandatoryRule>> = {
  ".bashrc": "shell-config",
  ".bash_profile": "shell-config",
  ".zshrc": "shell-config",
  ".zprofile": "shell-config",
  ".zshenv": "shell-config",
  ".zlogin": "shell-config",
  ".profile": "shell-config",
  ".gitconfig": "git-config",
  ".gitmodules": "git-config",
  ".ripgreprc": "tool-config",
  ".mcp.json": "tool-config",
  ".npmrc": "tool-config",
  ".yarnrc": "tool-config",
  ".yarnrc.yml": "tool-config",
};
const dirRules: Readonly<Record<string, MandatoryRule>> = {
  ".vscode": "editor-config",
  ".idea": "editor-config",
  ".husky": "git-hooks",
};
const claudeDirs = ["commands", "agents"] as const;

/** Own keys only: a file named "constructor" or "toString" must not find Object.prototype's members. */
const ruleIn = (table: Readonly<Record<string, MandatoryRule>>, name: string): MandatoryRule | undefined => (Object.hasOwn(table, name) ? table[name] : undefined);

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
}

export type MandatoryResult =
  | { readonly ok: true; readonly rules: readonly PathRule[] }
  | { readonly ok: false; readonly reason: "budget"; readonly detail: string }
  | { readonly ok: false; readonly reason: "host"; readonly code: HostErrorCode; readonly at: string };

const rule = (path: string, node: NodeState, name: MandatoryRule): PathRule => ({
  kind: "path",
  access: "write",
  effect: "deny",
  path,
  node,
  via: { kind: "literal" },
  origin: `mandatory:${name}`,
});

const stateAt = (host: Host, path: string): NodeState => {
  const st = host.lstat(path);
  return stateOf(st.ok ? st.value.kind : undefined);
};

const stateOf = (k: NodeKind | undefined): NodeState => (k === undefined ? "absent" : k === "dir" ? "dir" : k === "file" ? "file" : "other");

export function findMandatoryDenies(host: Host, input: MandatoryInput, budget: WalkBudget): MandatoryResult {
  const rules: PathRule[] = [];
  const maxDepth = input.depth === "unlimited" ? Infinity : input.depth;
  for (const { path, node } of input.writable) {
    rules.push(...protectionOf(host, path, node, input.allowGitConfig).rules);
  }
  for (const root of walkRoots(input)) {
    if (protectionOf(host, root, "dir", input.allowGitConfig).whole) continue;
    // A writable root in a git directory (allowWrite: [".git"] or [".git/modules"]): what needs
    // protecting there is hooks and config, the top-level ones and every submodule's.
    const gitAt = root.split("/").indexOf(".git");
    if (gitAt !== -1) {
      const git = gitDirRules(host, root.split("/").slice(0, gitAt + 1).join("/"), input.allowGitConfig, budget);
      if (!git.ok) return git;
      rules.push(...git.rules);
      continue;
    }
    const stack: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
    while (stack.length > 0) {
      const { dir, depth } = stack.pop()!;
      const list = host.readdir(dir);
      if (!list.ok) {
        if (depth === 0 && list.code === "ENOENT") break; // an absent root: nothing can be below it yet
        if (list.code !== "EACCES") return { ok: false, reason: "host", code: list.code, at: dir };
        // Locked by an earlier run (chmod 000): protected whole, with a warning, rather than failing every later compile.
        protectWhole(host, dir, rules, stack);
        continue;
      }
      const over = charge(budget, host, list.value.length + 1);
      if (over !== undefined) return { ok: false, reason: "budget", detail: `searching ${root} went over ${over}` };
      const kinds = new Map(list.value.map((e) => [e.name, e.kind]));
      // At the top of a writable root, absent names are protected too: creating them is the attack.
      const names = depth === 0 ? [...new Set([...Object.keys(fileRules), ...Object.keys(dirRules), ".claude", ".git", ...kinds.keys()])] : [...kinds.keys()];
      for (const name of names.sort()) {
        const kind = kinds.get(name);
        const path = joinPath(dir, name);
        const fileRule = ruleIn(fileRules, name);
        const dirRule = ruleIn(dirRules, name);
        if (fileRule !== undefined) rules.push(rule(path, stateOf(kind), fileRule));
        else if (dirRule !== undefined) rules.push(rule(path, stateOf(kind), dirRule));
        // A linked .claude could be swapped for a real directory holding commands: the link itself is protected.
        else if (name === ".claude" && kind === "symlink") rules.push(rule(path, "other", "agent-config"));
        else if (name === ".claude" && (kind === "dir" || (kind === undefined && depth === 0))) {
          const sub = kind === "dir" ? host.readdir(path) : undefined;
          if (sub?.ok === false && sub.code !== "EACCES") return { ok: false, reason: "host", code: sub.code, at: path };
          if (sub?.ok === false) {
            rules.push(unlistableRule(path));
            continue;
          }
          const subKinds = new Map(sub?.ok ? sub.value.map((e) => [e.name, e.kind]) : []);
          for (const c of claudeDirs) {
            if (subKinds.has(c) || depth === 0) rules.push(rule(joinPath(path, c), stateOf(subKinds.get(c)), "agent-config"));
          }
        } else if (name === ".git" && kind === "dir") {
          const git = gitDirRules(host, path, input.allowGitConfig, budget);
          if (!git.ok) return git;
          rules.push(...git.rules);
        } else if (name === ".git" && kind !== undefined) {
          rules.push(rule(path, stateOf(kind), "git-link"));
        } else if (name === ".git" && depth === 0) {
          // No repository here yet: one created from inside (hooks, core.fsmonitor) would be the one
          // git uses for this directory afterwards. Held as an empty directory, which git's
          // repository discovery skips (an empty *file* would break every git command below it).
          rules.push({ ...rule(path, "absent", "git-link"), shape: "dir" });
        } else if (kind === "dir" && depth + 1 < maxDepth) {
          stack.push({ dir: path, depth: depth + 1 });
        }
      }
    }
  }
  return { ok: true, rules };
}

/**
 * Hooks and config of a git directory, and of every submodule's git directory
 * kept below it in `modules/` (`.git/modules/<name>[/modules/<name>…]`): a
 * submodule's `.git` file points there, so its hooks run on the next git
 * command inside the submodule just like the top-level ones.
 */
function gitDirRules(host: Host, gitDir: string, allowGitConfig: boolean, budget: WalkBudget): MandatoryResult {
  const rules: PathRule[] = [];
  const stack = [gitDir];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const list = host.readdir(dir);
    if (!list.ok && list.code !== "EACCES") return { ok: false, reason: "host", code: list.code, at: dir };
    if (!list.ok) {
      rules.push(unlistableRule(dir));
      continue;
    }
    const over = charge(budget, host, list.value.length + 1);
    if (over !== undefined) return { ok: false, reason: "budget", detail: `searching ${gitDir} went over ${over}` };
    const kinds = new Map(list.value.map((e) => [e.name, e.kind]));
    if (dir === gitDir && kinds.size === 0) {
      // An empty .git is not a repository (git's discovery skips it; another run's placeholder looks
      // like this): keep it that way, whole, instead of placing hooks and config inside it.
      rules.push(rule(gitDir, "dir", "git-link"));
      continue;
    }
    const isGitDir = dir === gitDir || kinds.has("HEAD");
    if (isGitDir) {
      rules.push(rule(joinPath(dir, "hooks"), stateOf(kinds.get("hooks")), "git-hooks"));
      if (!allowGitConfig) rules.push(rule(joinPath(dir, "config"), stateOf(kinds.get("config")), "git-repo-config"));
      if (kinds.get("modules") === "dir") stack.push(joinPath(dir, "modules"));
    } else {
      // Inside modules/: submodule names may contain slashes, so their git dirs can sit deeper.
      for (const [name, k] of kinds) if (k === "dir") stack.push(joinPath(dir, name));
    }
  }
  return { ok: true, rules };
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

/**
 * What a writable path needs by itself: `allowWrite: ["~/.bashrc"]` or
 * `[".git/hooks/pre-commit"]` would otherwise make a protected file writable,
 * because the search only looks *below* writable directories. `whole` means the
 * path is covered entirely, so there is nothing left to search.
 */
function protectionOf(host: Host, path: string, node: NodeState, allowGitConfig: boolean): { rules: PathRule[]; whole: boolean } {
  const enclosing = enclosingProtected(path, allowGitConfig);
  if (enclosing) return { rules: [rule(enclosing.path, enclosing.path === path ? node : stateAt(host, enclosing.path), enclosing.name)], whole: true };
  const name = path.slice(path.lastIndexOf("/") + 1);
  const fileRule = ruleIn(fileRules, name);
  if (fileRule !== undefined) return { rules: [rule(path, node, fileRule)], whole: true };
  // A `.git` file points git at another repository; replacing it redirects hooks and config.
  if (name === ".git" && (node === "file" || node === "other")) return { rules: [rule(path, node, "git-link")], whole: true };
  const inside = (child: string, r: MandatoryRule): PathRule => rule(joinPath(path, child), node === "dir" ? stateAt(host, joinPath(path, child)) : "absent", r);
  if (name === ".git") return { rules: [inside("hooks", "git-hooks"), ...(allowGitConfig ? [] : [inside("config", "git-repo-config")])], whole: false };
  if (name === ".claude") return { rules: claudeDirs.map((c) => inside(c, "agent-config")), whole: false };
  return { rules: [], whole: false };
}

/** The outermost protected directory or file that contains `path` (or is it), if any. */
function enclosingProtected(path: string, allowGitConfig: boolean): { path: string; name: MandatoryRule } | undefined {
  const segs = path.split("/");
  for (let i = 1; i < segs.length; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1];
    const prefix = segs.slice(0, i + 1).join("/");
    const dirRule = ruleIn(dirRules, seg);
    if (dirRule !== undefined) return { path: prefix, name: dirRule };
    if (seg === ".git" && next === "hooks") return { path: `${prefix}/hooks`, name: "git-hooks" };
    if (seg === ".git" && next === "config" && !allowGitConfig) return { path: `${prefix}/config`, name: "git-repo-config" };
    if (seg === ".claude" && (next === "commands" || next === "agents")) return { path: `${prefix}/${next}`, name: "agent-config" };
  }
  return undefined;
}
