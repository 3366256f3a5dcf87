/**
 * Files that are always write-protected, even inside writable paths, because
 * writing them runs code later outside the sandbox: shell start-up files, git
 * hooks and config, editor/agent/tool config. Searched at any depth below each
 * writable root (bounded by the shared walk budget and an optional depth).
 */
import { charge, type WalkBudget } from "./budget.js";
import type { Host, HostErrorCode, NodeKind } from "./host.js";
import type { NodeState, PathRule } from "./ir.js";
import { joinPath } from "./paths.js";

/** Rule name → why it exists (shown by `srt explain`). */
export const mandatoryReasons = {
  "shell-config": "shell start-up files run on the user's next shell, outside the sandbox",
  "git-config": "global git config can set hooks, pagers and credential helpers that run as the user",
  "tool-config": "tool config (npm, yarn, ripgrep, MCP servers) can name commands that tools run",
  "editor-config": "editor config can define tasks and extensions that run on open",
  "agent-config": "agent commands and sub-agents run with the user's authority",
  "git-hooks": "git hooks run on the next commit or checkout",
  "git-repo-config": ".git/config can run commands (core.fsmonitor, core.hooksPath, aliases)",
  "git-link": "a worktree's .git file decides which repository (and hooks) git uses",
  "settings-file": "the sandbox policy in use must not be rewritten from inside it",
  "srt-installation": "srt's own code must not be rewritten from inside the sandbox",
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

export interface MandatoryInput {
  /** Real paths of the writable directories, searched below. */
  readonly roots: readonly string[];
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
  for (const root of input.roots) {
    // A writable root inside a protected directory (allowWrite: [".git/hooks"]) is protected whole.
    const enclosing = enclosingProtected(root);
    if (enclosing) {
      rules.push(rule(enclosing.path, stateAt(host, enclosing.path), enclosing.name));
      continue;
    }
    if (root.endsWith("/.git")) {
      rules.push(rule(joinPath(root, "hooks"), stateAt(host, joinPath(root, "hooks")), "git-hooks"));
      if (!input.allowGitConfig) rules.push(rule(joinPath(root, "config"), stateAt(host, joinPath(root, "config")), "git-repo-config"));
    }
    const stack: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
    while (stack.length > 0) {
      const { dir, depth } = stack.pop()!;
      const list = host.readdir(dir);
      if (!list.ok) {
        if (depth === 0 && list.code === "ENOENT") break; // an absent root: nothing can be below it yet
        return { ok: false, reason: "host", code: list.code, at: dir };
      }
      const over = charge(budget, host, list.value.length + 1);
      if (over !== undefined) return { ok: false, reason: "budget", detail: `searching ${root} went over ${over}` };
      const kinds = new Map(list.value.map((e) => [e.name, e.kind]));
      // At the top of a writable root, absent names are protected too: creating them is the attack.
      const names = depth === 0 ? [...new Set([...Object.keys(fileRules), ...Object.keys(dirRules), ".claude", ".git", ...kinds.keys()])] : [...kinds.keys()];
      for (const name of names.sort()) {
        const kind = kinds.get(name);
        const path = joinPath(dir, name);
        const fileRule = fileRules[name];
        const dirRule = dirRules[name];
        if (fileRule !== undefined) rules.push(rule(path, stateOf(kind), fileRule));
        else if (dirRule !== undefined) rules.push(rule(path, stateOf(kind), dirRule));
        else if (name === ".claude" && (kind === "dir" || (kind === undefined && depth === 0))) {
          const sub = kind === "dir" ? host.readdir(path) : undefined;
          const subKinds = new Map(sub?.ok ? sub.value.map((e) => [e.name, e.kind]) : []);
          for (const c of claudeDirs) {
            if (subKinds.has(c) || depth === 0) rules.push(rule(joinPath(path, c), stateOf(subKinds.get(c)), "agent-config"));
          }
        } else if (name === ".git" && kind === "dir") {
          const sub = host.readdir(path);
          if (!sub.ok) return { ok: false, reason: "host", code: sub.code, at: path };
          const subKinds = new Map(sub.value.map((e) => [e.name, e.kind]));
          rules.push(rule(joinPath(path, "hooks"), stateOf(subKinds.get("hooks")), "git-hooks"));
          if (!input.allowGitConfig) rules.push(rule(joinPath(path, "config"), stateOf(subKinds.get("config")), "git-repo-config"));
        } else if (name === ".git" && kind !== undefined) {
          rules.push(rule(path, stateOf(kind), "git-link"));
        } else if (kind === "dir" && depth + 1 < maxDepth) {
          stack.push({ dir: path, depth: depth + 1 });
        }
      }
    }
  }
  return { ok: true, rules };
}

/** The outermost protected directory that contains `path` (or is it), if any. */
function enclosingProtected(path: string): { path: string; name: MandatoryRule } | undefined {
  const segs = path.split("/");
  for (let i = 1; i < segs.length; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1];
    const prefix = segs.slice(0, i + 1).join("/");
    const dirRule = dirRules[seg];
    if (dirRule !== undefined) return { path: prefix, name: dirRule };
    if (seg === ".git" && next === "hooks") return { path: `${prefix}/hooks`, name: "git-hooks" };
    if (seg === ".claude" && (next === "commands" || next === "agents")) return { path: `${prefix}/${next}`, name: "agent-config" };
  }
  return undefined;
}
