/**
 * The names the mandatory-deny rules protect, for backends that match
 * dynamically. The compiler's search (src/compiler/mandatory.ts) finds the
 * ones that exist down to a depth; Seatbelt can instead match a regex on
 * every write, so these names are denied at every depth under each writable
 * root, including files created after the policy was compiled (a fresh
 * `git init` cannot plant hooks).
 *
 * Made from the compiler's one table (protected-names.ts), so both backends
 * protect the same list: its project names, and its git-directory names as
 * `.git/<name>`. The other rows are literal only: home names matter only in
 * the home directory, linked worktrees' admin files and the paths read from
 * git config are found by the compiler, and `.git` itself must stay writable
 * for git to work at all (only a `.git` *file* or a missing `.git` is held,
 * literally). test/seatbelt/parity.test.ts checks both backends deny what the
 * IR denies.
 */
import {
  gitConfigRules,
  protectedTable,
  type MandatoryRule,
  type ProtectedRow,
} from "../../compiler/protected-names.js";

const bare = (n: string): string => n.replace(/\/$/, "");

function namesOfRow(rule: MandatoryRule, row: ProtectedRow): readonly string[] {
  if (rule === "git-link") return [];
  if (row.where === "project") return row.names.map(bare);
  if (row.where === "git-dir") return row.names.map((n) => `.git/${bare(n)}`);
  return [];
}

export const mandatoryNames: Readonly<Record<MandatoryRule, readonly string[]>> = (() => {
  const out = {} as Record<MandatoryRule, readonly string[]>;
  for (const [rule, row] of Object.entries(protectedTable) as [MandatoryRule, ProtectedRow][])
    out[rule] = namesOfRow(rule, row);
  return out;
})();

/** Names of a rule in this policy: a repository's own config is dropped when allowGitConfig is set. */
export function namesFor(rule: MandatoryRule, allowGitConfig: boolean): readonly string[] {
  return allowGitConfig && gitConfigRules.has(rule) ? [] : mandatoryNames[rule];
}

export const mandatoryRules = Object.keys(mandatoryNames) as MandatoryRule[];
