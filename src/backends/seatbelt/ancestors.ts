/**
 * A deny is on a path, so renaming a directory above it would carry the
 * denied file to a path no rule names (`mv .git x; echo … > x/hooks/post-checkout;
 * mv x .git`). Every ancestor of a denied path that the sandbox could rename
 * (one inside a writable root) gets `(deny file-write-unlink …)`: Seatbelt
 * checks a rename's source as an unlink. For a glob, each prefix that ends in
 * a constrained segment is such an ancestor (`/p/src` of `/p/src/*.key`); a
 * prefix ending in `**` is not, since renaming it keeps matches matching.
 */
import { match } from "ts-pattern";
import type { FsRule, Origin, Policy } from "../../compiler/ir.js";
import { type Entry } from "./entries.js";
import { phase } from "./filesystem.js";
import { globToRegex } from "./glob-regex.js";
import { literal, regex } from "./sbpl.js";
import type { WritableRoots } from "./writable.js";

const globChars = /[*?[\]]/;
const note = "no rename or delete of a directory above a denied path";

export function lowerAncestors(policy: Policy, roots: WritableRoots): Entry[] {
  const entries: Entry[] = [];
  const literalAncestors = (path: string, origin: Origin): void => {
    const segs = path.split("/").slice(1);
    for (let k = 1; k < segs.length; k++) {
      const a = "/" + segs.slice(0, k).join("/");
      if (roots.covers(a))
        entries.push({
          phase: phase.writeAncestors,
          depth: 0,
          action: "deny",
          ops: ["file-write-unlink"],
          origin,
          note,
          filter: literal(a),
          key: `literal:${a}`,
        });
    }
  };
  for (const r of policy.filesystem.rules as readonly FsRule[]) {
    if (r.effect !== "deny") continue;
    match(r)
      .with({ kind: "path" }, (p) => {
        literalAncestors(p.path, p.origin);
        if (p.via.kind === "symlink") literalAncestors(p.via.spelled, p.origin);
      })
      .with({ kind: "glob" }, (g) => {
        const segs = g.pattern.split("/").slice(1);
        const firstWild = segs.findIndex((s) => globChars.test(s));
        literalAncestors("/" + segs.slice(0, firstWild + 1).join("/"), g.origin);
        for (let k = firstWild + 1; k < segs.length; k++) {
          if (segs[k - 1] === "**") continue;
          const rx = globToRegex("/" + segs.slice(0, k).join("/"));
          entries.push({
            phase: phase.writeAncestors,
            depth: 0,
            action: "deny",
            ops: ["file-write-unlink"],
            origin: g.origin,
            note,
            filter: regex(rx),
            key: `regex:${rx.source}`,
          });
        }
      })
      .exhaustive();
  }
  return onePerFilter(entries);
}

/**
 * Many denies share ancestors (every mandatory name sits below the project
 * root); one rule per directory is enough, named after the smallest origin
 * so the choice does not depend on rule order.
 */
export function onePerFilter(entries: readonly Entry[]): Entry[] {
  const best = new Map<string, Entry>();
  for (const e of entries) {
    const seen = best.get(e.key);
    if (seen === undefined || e.origin < seen.origin) best.set(e.key, e);
  }
  return [...best.values()];
}
