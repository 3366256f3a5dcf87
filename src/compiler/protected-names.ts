/**
 * The one table of what srt always write-protects, because the host runs or
 * obeys it later, outside the sandbox: each row says where its names are
 * looked for, what stands in for one that is missing, and why. The search
 * (mandatory.ts), the macOS regexes (backends/seatbelt/mandatory-names.ts),
 * `srt explain` and the README's list are all made from this table (a test
 * compares the README with `protectedTableMarkdown()`).
 *
 * A directory name ends in "/": it is protected whole, and held as an empty
 * read-only directory while missing (an empty *file* in its place would make
 * tools that look inside it fail with ENOTDIR).
 */
import type { NodeState, PathRule } from "./ir.js";

export type ProtectedWhere =
  /** At any depth below a writable directory; a missing one at the top of each writable directory. */
  | "project"
  /** In the home directory only (and $ZDOTDIR, $XDG_CONFIG_HOME, $XDG_DATA_HOME where they apply), and wherever such an entry links to. */
  | "home"
  /** In every git directory: `.git`, each submodule's under `.git/modules`, bare repositories. */
  | "git-dir"
  /** In each linked worktree's admin directory, `.git/worktrees/<id>`. */
  | "git-worktree"
  /** Paths computed from what is read (git config, srt's own files), not names. */
  | "found";

/**
 * What holds a missing path while the command runs: "empty" (an empty
 * read-only file or directory), "dot" (a file containing `.`, for git's
 * commondir: an empty one is a fatal error for every git command, `.` means
 * "this directory", no redirection), or "not-held" (a missing one is not
 * held: see the row's reason).
 */
export type WhileMissing = "empty" | "dot" | "not-held";

export interface ProtectedRow {
  readonly where: ProtectedWhere;
  readonly names: readonly string[];
  /** For "found" rows: which paths, in words. */
  readonly what?: string;
  readonly missing: WhileMissing;
  readonly why: string;
}

export const protectedTable = {
  // ---- In projects, at any depth ----
  "git-link": {
    where: "project",
    names: [".git/"],
    missing: "empty",
    why: "a `.git` file, or a `.git` directory created where there is none, decides which repository, hooks and config git uses there (a missing one is held as an empty directory, which git's repository discovery skips)",
  },
  "git-modules": {
    where: "project",
    names: [".gitmodules"],
    missing: "empty",
    why: "tells `git submodule` what to clone where (older git also ran its `update = !command`)",
  },
  "husky-hooks": {
    where: "project",
    names: [".husky/"],
    missing: "empty",
    why: "husky's hook scripts: git runs them on the next commit through core.hooksPath",
  },
  "agent-config": {
    where: "project",
    names: [
      ".claude/",
      ".cursor/",
      ".gemini/",
      ".codex/",
      ".continue/",
      ".roo/",
      ".kiro/",
      ".amazonq/",
      ".opencode/",
      "opencode.json",
      ".mcp.json",
      ".aider.conf.yml",
    ],
    missing: "empty",
    why: "coding agents started here run the hooks, MCP servers, plugins and lint/test commands these name, with the user's authority (Claude Code's settings hooks, Cursor's and Kiro's hooks, MCP server lists of .mcp.json, Cursor, Gemini, Codex, Continue, Roo, Amazon Q, opencode)",
  },
  "editor-config": {
    where: "project",
    names: [".vscode/", ".idea/", ".zed/"],
    missing: "empty",
    why: "editors run the tasks, language servers and debuggers named here when the project is opened",
  },
  devcontainer: {
    where: "project",
    names: [".devcontainer/", ".devcontainer.json"],
    missing: "empty",
    why: "its initializeCommand runs on the host when the project is opened in a dev container",
  },
  "tool-config": {
    where: "project",
    names: [".npmrc", ".yarnrc", ".yarnrc.yml", ".cargo/"],
    missing: "empty",
    why: "package managers read these from the project and every parent directory; they name programs to run (npm's script-shell, yarnPath, cargo's runner and rustc-wrapper)",
  },
  // ---- Inside git's own directories ----
  "git-hooks": {
    where: "git-dir",
    names: ["hooks/"],
    missing: "empty",
    why: "git runs these scripts on the next commit, checkout, merge or push",
  },
  "git-repo-config": {
    where: "git-dir",
    names: ["config", "config.worktree"],
    missing: "empty",
    why: "git runs programs a repository's config names (core.fsmonitor on every `git status`, core.hooksPath, pagers, aliases, filters); config.worktree is read as well once extensions.worktreeConfig is on (`git sparse-checkout` turns it on). Writable with allowGitConfig",
  },
  "git-commondir": {
    where: "git-dir",
    names: ["commondir"],
    missing: "dot",
    why: "sends git to another directory for its config and hooks (a missing one is held containing `.`, this directory: git treats an empty commondir as a fatal error)",
  },
  "git-worktree-config": {
    where: "git-worktree",
    names: ["config.worktree"],
    missing: "empty",
    why: "a linked worktree's own config, read once extensions.worktreeConfig is on. Writable with allowGitConfig",
  },
  "git-worktree-link": {
    where: "git-worktree",
    names: ["commondir", "gitdir"],
    missing: "not-held",
    why: "commondir says where a linked worktree's config and hooks are; gitdir says which directory `git worktree` prunes, moves and removes. git writes both when it makes the worktree, so a missing one means the worktree is being made or is broken: not held",
  },
  "git-hooks-path": {
    where: "found",
    names: [],
    what: "the directory core.hooksPath names, in any config git reads for a repository in, below or above a writable directory (system, global, the repository's, config.worktree, and what they include), relative paths taken from each of its worktrees",
    missing: "empty",
    why: "git runs hooks from there instead of .git/hooks",
  },
  "git-config-include": {
    where: "found",
    names: [],
    what: "every file include.path and includeIf.*.path name in those configs",
    missing: "empty",
    why: "git reads an included file as config (an included file that is missing is skipped by git, so a created one would be read)",
  },
  "settings-file": {
    where: "found",
    names: [],
    what: "the settings file in use, ~/.srt-settings.json and the file SRT_SETTINGS names",
    missing: "empty",
    why: "srt's settings must not be written from inside the sandbox: the next run would obey them",
  },
  "srt-installation": {
    where: "found",
    names: [],
    what: "srt's own package, and every node_modules/.bin that launches it",
    missing: "not-held",
    why: "srt's own code and launcher must not be rewritten from inside the sandbox (nothing to hold when it is not there)",
  },
  "plan-file": {
    where: "found",
    names: [],
    what: "the plan `srt compile -o` writes",
    missing: "empty",
    why: "the command a plan runs must not rewrite it: the next `srt exec` would run the rewrite",
  },
  "violations-file": {
    where: "found",
    names: [],
    what: "the --violations file of the run",
    missing: "empty",
    why: "srt appends to it after the run: the command must not replace it (by a link to a shell start-up file, say)",
  },
  // ---- In the home directory ----
  "shell-config": {
    where: "home",
    names: [
      ".bashrc",
      ".bash_profile",
      ".bash_login",
      ".bash_logout",
      ".bash_aliases",
      ".profile",
      ".zshenv",
      ".zprofile",
      ".zshrc",
      ".zlogin",
      ".zlogout",
      ".cshrc",
      ".tcshrc",
      ".login",
      ".logout",
      ".kshrc",
      ".mkshrc",
      ".bashrc.d/",
      ".oh-my-zsh/",
      ".config/fish/",
      ".config/nushell/",
    ],
    missing: "empty",
    why: "shells run these when they start or end (`bash -l` falls through .bash_profile, .bash_login, .profile; Debian's .bashrc sources .bash_aliases; fish and nushell run every file in their directory)",
  },
  "shell-input": {
    where: "home",
    names: [".inputrc"],
    missing: "empty",
    why: "readline key bindings can type commands into the user's next shell",
  },
  "session-startup": {
    where: "home",
    names: [
      ".xprofile",
      ".xinitrc",
      ".xsession",
      ".xsessionrc",
      ".pam_environment",
      ".config/environment.d/",
      ".config/autostart/",
      ".config/systemd/",
      ".local/share/systemd/",
    ],
    missing: "empty",
    why: "the desktop session, systemd --user and PAM run these, or take the environment from them, at the next login",
  },
  "desktop-entries": {
    where: "home",
    names: [".local/share/applications/", ".config/mimeapps.list"],
    missing: "empty",
    why: "decide which program runs when the user opens a file or a launcher",
  },
  "path-dirs": {
    where: "home",
    names: [
      ".local/bin/",
      "bin/",
      "go/bin/",
      ".nvm/",
      ".pyenv/",
      ".rbenv/",
      ".volta/",
      ".deno/",
      ".bun/",
      ".sdkman/",
      ".local/share/pnpm/",
    ],
    missing: "empty",
    why: "on the user's PATH (or sourced by shell start-up files): a program planted here shadows a real command the next time it is typed",
  },
  "language-startup": {
    where: "home",
    names: [".local/lib/", ".irbrc", ".pryrc", ".psqlrc", ".sqliterc", ".Rprofile", ".julia/config/"],
    missing: "empty",
    why: "interpreters run these when they start (Python runs `import` lines of .pth files and usercustomize in the user site-packages under .local/lib on every start)",
  },
  "terminal-config": {
    where: "home",
    names: [
      ".tmux.conf",
      ".config/tmux/",
      ".screenrc",
      ".config/kitty/",
      ".config/alacritty/",
      ".wezterm.lua",
      ".config/wezterm/",
      ".config/starship.toml",
    ],
    missing: "empty",
    why: "terminals, multiplexers and prompts run the shell and the commands named here when they start",
  },
  "editor-startup": {
    where: "home",
    names: [
      ".vimrc",
      ".vim/",
      ".gvimrc",
      ".exrc",
      ".config/nvim/",
      ".local/share/nvim/",
      ".emacs",
      ".emacs.d/",
      ".config/emacs/",
      ".config/helix/",
      ".config/zed/",
      ".config/Code/User/",
      ".vscode-server/",
    ],
    missing: "empty",
    why: "editors run this code, and the plugins and language servers it names, when they start",
  },
  "git-config": {
    where: "home",
    names: [".gitconfig", ".config/git/"],
    missing: "empty",
    why: "global git config names programs (core.fsmonitor, pagers, credential helpers) and hooks for every repository",
  },
  "ssh-config": {
    where: "home",
    names: [".ssh/"],
    missing: "empty",
    why: "ssh runs ProxyCommand and LocalCommand from its config; sshd runs rc and trusts authorized_keys; known_hosts decides which servers ssh believes",
  },
  "gpg-config": {
    where: "home",
    names: [".gnupg/"],
    missing: "empty",
    why: "gpg and its agent run the programs their config names (pinentry-program, photo-viewer)",
  },
  "container-config": {
    where: "home",
    names: [".docker/", ".kube/"],
    missing: "empty",
    why: "docker runs the credential helpers and CLI plugins named or kept here; kubectl runs the exec plugins a kubeconfig names",
  },
  "user-tool-config": {
    where: "home",
    names: [".claude.json", ".ripgreprc", ".config/gh/"],
    missing: "empty",
    why: "Claude Code starts the MCP servers .claude.json lists; ripgrep's config can name a --pre program; gh runs shell aliases from its config",
  },
} as const satisfies Record<string, ProtectedRow>;

export type MandatoryRule = keyof typeof protectedTable;

const rows = Object.entries(protectedTable) as [MandatoryRule, ProtectedRow][];

/** Rule name → why it exists (shown by `srt explain`). */
export const mandatoryReasons: Readonly<Record<MandatoryRule, string>> = Object.fromEntries(
  rows.map(([rule, row]) => [rule, row.why]),
) as Record<MandatoryRule, string>;

/** One name of the table, split into what the search needs. */
export interface ProtectedName {
  readonly rule: MandatoryRule;
  /** Without the trailing "/". */
  readonly name: string;
  readonly shape: "file" | "dir";
  /** Contents of the file that holds it while missing; undefined when it is not held. */
  readonly hold: "" | "." | undefined;
}

const namesOf = (where: ProtectedWhere): readonly ProtectedName[] =>
  rows
    .filter(([, row]) => row.where === where)
    .flatMap(([rule, row]) =>
      row.names.map((n): ProtectedName => ({
        rule,
        name: n.replace(/\/$/, ""),
        shape: n.endsWith("/") ? "dir" : "file",
        hold: row.missing === "dot" ? "." : row.missing === "empty" ? "" : undefined,
      })),
    );

export const projectNames = namesOf("project");
export const homeNames = namesOf("home");
export const gitDirNames = namesOf("git-dir");
export const gitWorktreeNames = namesOf("git-worktree");

/**
 * Download caches inside a protected directory, by its name: a writable path
 * at or below one of these entries does not protect the directory whole. Only
 * that subtree becomes writable; the directory's configuration and programs
 * (cargo's config.toml, config, credentials*, bin/, env) are outside every
 * writable path and stay read-only. A writable path elsewhere in the
 * directory, or the directory itself, still protects it whole. Inside the
 * cache the search goes on as below any writable root (git directories, project
 * names). The rust preset's `~/.cargo/registry` and `~/.cargo/git`.
 */
export const protectedDirCaches: ReadonlyMap<string, readonly string[]> = new Map([[".cargo", ["registry", "git"]]]);

/** The rules allowGitConfig turns off: a repository's own config files. */
export const gitConfigRules: ReadonlySet<MandatoryRule> = new Set(["git-repo-config", "git-worktree-config"]);

const whereText: Record<ProtectedWhere, string> = {
  project:
    "In projects: at any depth below a writable directory; a missing one is held at the top of each writable directory",
  "git-dir":
    "In every git directory: `.git`, each submodule's in `.git/modules/…`, and bare repositories (found by their contents)",
  "git-worktree": "In each linked worktree's admin directory, `.git/worktrees/<id>/`",
  found: "Found by reading",
  home: "In the home directory only (zsh's files also in `$ZDOTDIR`, `.config/…` also in `$XDG_CONFIG_HOME`, `.local/share/…` also in `$XDG_DATA_HOME`), and wherever such an entry links to",
};

const missingText: Record<WhileMissing, string> = {
  empty: "held empty",
  dot: "held containing `.`",
  "not-held": "not held",
};

/** The README's list, made from the table (test/compiler/protected-names.test.ts keeps the README equal to it). */
export function protectedTableMarkdown(): string {
  const out: string[] = [];
  for (const where of ["project", "git-dir", "git-worktree", "found", "home"] as const) {
    out.push(`${whereText[where]}:`, "", "| rule | protected | while missing | why |", "|---|---|---|---|");
    for (const [rule, row] of rows.filter(([, r]) => r.where === where)) {
      const what = row.where === "found" ? row.what! : row.names.map((n) => `\`${n}\``).join(" ");
      out.push(`| \`${rule}\` | ${what} | ${missingText[row.missing]} | ${row.why} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

/** The write deny for one protected path; `n` says how a missing one is held (an empty file when not said). */
export function protectRule(
  path: string,
  node: NodeState,
  rule: MandatoryRule,
  n?: Pick<ProtectedName, "shape" | "hold">,
): PathRule {
  return {
    kind: "path",
    access: "write",
    effect: "deny",
    path,
    node,
    ...(n?.shape === "dir" && node === "absent" ? { shape: "dir" as const } : {}),
    ...(n?.hold === "." ? { content: "." } : {}),
    via: { kind: "literal" },
    origin: `mandatory:${rule}`,
  };
}
