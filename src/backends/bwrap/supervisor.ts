/**
 * What srt's in-sandbox supervisor (native/srt-supervise) refuses, for one policy: the part of the
 * file-system policy that mounts cannot express, because it is about names *created during the
 * run*. Mounts protect what exists when the run starts (and the placeholders at the top of each
 * writable root); a `.claude/` made at depth 3 of a directory that existed, or in a new directory,
 * has no mount; nor has one that existed deeper than the search. The supervisor sees every creating
 * call (open/openat2 with O_CREAT, mkdir, mknod, rename, link, symlink, bind of a unix socket) and
 * every open of an existing file for writing (and truncate), every removal (unlink*, rmdir) and
 * every chmod* that sets an execute bit, and refuses (making, removing, renaming, hard-linking or
 * making executable):
 *   - the project names of the protected table (src/compiler/protected-names.ts) at any depth below
 *     a writable root, except `.git` (see below);
 *   - the git-directory names (`hooks`, `config`, …) directly in any `.git` directory (not in
 *     `.git/modules/<name>`: `git submodule update` makes those, as on macOS);
 *   - every path the policy write-protects (settings and mandatory alike), and anything below one,
 *     where the deny is the deepest rule (a writable root deeper than the deny wins, as in mounts).
 * The same table drives macOS's regexes (backends/seatbelt/mandatory-names.ts), so both platforms
 * refuse the same names. The writable roots also bound the Landlock wall the supervisor applies.
 * Pure: the runtime adds this run's private temp directory as one more root.
 */
import type { Origin, PathRule, Policy } from "../../compiler/ir.js";
import { gitConfigRules, gitDirNames, projectNames } from "../../compiler/protected-names.js";
import { compareStrings } from "../../compiler/compare.js";

export interface SupervisorPlan {
  /** Refused at any depth below a writable root (`.git`: only as a non-directory). */
  readonly names: readonly { readonly name: string; readonly origin: Origin }[];
  /** Refused directly inside a git directory. */
  readonly gitDirNames: readonly { readonly name: string; readonly origin: Origin }[];
  /** Refused at and below these paths (when no writable root is deeper). */
  readonly paths: readonly { readonly path: string; readonly origin: Origin }[];
  /** The policy's writable roots (the run adds its private temp directory). */
  readonly roots: readonly string[];
  /** Pathname unix sockets the command may connect to; undefined = not path-scoped (all or none, by seccomp). */
  readonly unixSockets?: readonly { readonly path: string; readonly origin: Origin }[];
  /** Landlock's write wall, applied where the kernel has Landlock ABI >= 2. */
  readonly landlock: true;
}

export function lowerSupervisor(policy: Policy): SupervisorPlan {
  const allowGitConfig = policy.options.allowGitConfig.value;
  const rules = policy.filesystem.rules.filter((r): r is PathRule => r.kind === "path" && r.access === "write");
  const sorted = <T>(xs: T[], key: (x: T) => string): T[] => xs.sort((a, b) => compareStrings(key(a), key(b)));
  const net = policy.network;
  // filesystem.disabled: the settings asked for no file-system protections (explain says so loudly);
  // the supervisor then refuses no names either, only what the rules still write-protect (/usr …).
  const disabled = policy.filesystem.disabled !== undefined;
  return {
    // Not `.git` itself: git writes a `.git` *file* for every submodule and worktree checkout
    // (macOS's regexes leave it out for the same reason); an existing one is held by a mount.
    names: disabled
      ? []
      : projectNames.filter((n) => n.name !== ".git").map((n) => ({ name: n.name, origin: `mandatory:${n.rule}` })),
    gitDirNames: disabled
      ? []
      : gitDirNames
          .filter((n) => !(allowGitConfig && gitConfigRules.has(n.rule)))
          .map((n) => ({ name: n.name, origin: `mandatory:${n.rule}` })),
    paths: sorted(
      rules.filter((r) => r.effect === "deny").map((r) => ({ path: r.path, origin: r.origin })),
      (x) => x.path,
    ),
    roots: sorted(
      rules.filter((r) => r.effect === "allow").map((r) => r.path),
      (x) => x,
    ),
    ...(net.allowAllUnixSockets.value || net.unixSockets.length === 0
      ? {}
      : { unixSockets: net.unixSockets.map((s) => ({ path: s.path, origin: s.origin })) }),
    landlock: true,
  };
}
