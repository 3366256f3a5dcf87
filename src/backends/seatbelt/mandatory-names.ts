/**
 * The names the mandatory-deny rules protect, for backends that match
 * dynamically. The compiler's search (src/compiler/mandatory.ts) finds the
 * ones that exist down to a depth; Seatbelt can instead match a regex on
 * every write, so these names are denied at every depth under each writable
 * root, including files created after the policy was compiled (a fresh
 * `git init` cannot plant hooks).
 *
 * Keyed by MandatoryRule with `satisfies`: a rule added upstream does not
 * compile here until someone decides what Seatbelt does with it. A test
 * checks that every mandatory deny the compiler emits ends in a name listed
 * here (or is a literal-only rule).
 */
import type { MandatoryRule } from "../../compiler/mandatory.js";

export const mandatoryNames = {
  "shell-config": [".bashrc", ".bash_profile", ".zshrc", ".zprofile", ".zshenv", ".zlogin", ".profile"],
  "git-config": [".gitconfig", ".gitmodules"],
  "tool-config": [".ripgreprc", ".mcp.json", ".npmrc", ".yarnrc", ".yarnrc.yml"],
  "editor-config": [".vscode", ".idea"],
  "agent-config": [".claude/commands", ".claude/agents"],
  "git-hooks": [".git/hooks", ".husky"],
  // Dropped when allowGitConfig is set (see namesFor).
  "git-repo-config": [".git/config"],
  // Literal only: ".git" as a *file* points a worktree at its repository, but
  // ".git" directories must stay writable for git to work at all.
  "git-link": [],
  // Literal only: one file each, found by the compiler.
  "settings-file": [],
  "srt-installation": [],
  "plan-file": [],
  "violations-file": [],
} as const satisfies Record<MandatoryRule, readonly string[]>;

export function namesFor(rule: MandatoryRule, allowGitConfig: boolean): readonly string[] {
  return rule === "git-repo-config" && allowGitConfig ? [] : mandatoryNames[rule];
}

export const mandatoryRules = Object.keys(mandatoryNames) as MandatoryRule[];
