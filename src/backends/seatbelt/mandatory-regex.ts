/**
 * Mandatory denies as regexes: each protected name (mandatory-names.ts) at
 * any depth under each writable root, and the directory holding a two-part
 * name (`.git` of `.git/hooks`) kept from being renamed. The compiler's
 * literal finds are lowered too (filesystem.ts); these add every depth and
 * every file created after compile time.
 */
import type { Origin, Policy } from "../../compiler/ir.js";
import type { MandatoryRule } from "../../compiler/mandatory.js";
import { onePerFilter } from "./ancestors.js";
import type { Entry } from "./entries.js";
import { globBody } from "./glob-regex.js";
import { mandatoryRules, namesFor } from "./mandatory-names.js";
import { anchor, lit, optionalDirs, optionalSubtree, type RegexPiece } from "./regex.js";
import { regex } from "./sbpl.js";
import { phase } from "./filesystem.js";
import type { WritableRoots } from "./writable.js";

export function lowerMandatoryNames(policy: Policy, roots: WritableRoots): Entry[] {
  const bodies: [string, RegexPiece][] = [
    ...roots.dirs.map((d): [string, RegexPiece] => [d, lit(d === "/" ? "" : d)]),
    ...roots.globs.map((g): [string, RegexPiece] => [g, globBody(g)]),
  ];
  const entries: Entry[] = [];
  for (const rule of mandatoryRules) {
    const origin: Origin = `mandatory:${rule satisfies MandatoryRule}`;
    for (const name of namesFor(rule, policy.options.allowGitConfig.value)) {
      const [parent] = name.split("/");
      for (const [root, body] of bodies) {
        const rx = anchor(body, lit("/"), optionalDirs, lit(name), optionalSubtree);
        entries.push({
          phase: phase.writeGlobDeny,
          depth: 0,
          action: "deny",
          ops: ["file-write*"],
          origin,
          note: `deny write, at any depth under ${root}`,
          filter: regex(rx),
          key: `regex:${rx.source}`,
        });
        if (parent !== undefined && parent !== name) {
          const up = anchor(body, lit("/"), optionalDirs, lit(parent));
          entries.push({
            phase: phase.writeAncestors,
            depth: 0,
            action: "deny",
            ops: ["file-write-unlink"],
            origin,
            note: `no rename or delete of a directory holding a protected name under ${root}`,
            filter: regex(up),
            key: `regex:${up.source}`,
          });
        }
      }
    }
  }
  return onePerFilter(entries);
}
