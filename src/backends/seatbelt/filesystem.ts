/**
 * IR file-system rules → ordered Seatbelt entries. Seatbelt applies the last
 * matching rule, so the phases below are the policy's precedence:
 *
 * reads (`file-read*`), after "allow everything":
 *   1. glob re-allows (allowRead globs)
 *   2. literal rules, shallow to deep, deny after allow at the same path
 *   3. glob denies: a secret pattern (`**\/*.pem`) wins over any re-allow
 * writes (`file-write*`), after `(deny default)` and the private temp dir:
 *   1. glob allows
 *   2. literal rules, shallow to deep; a read-denied path is write-denied too
 *      (a file you may not read must not be renamed to a name you may read)
 *   3. glob denies and the mandatory names, at every depth under each
 *      writable root (mandatory-regex.ts)
 *   4. no unlink/rename of an ancestor of a denied path (ancestors.ts)
 *
 * Compared with the Linux mounts this only ever denies more: a glob deny also
 * covers files created later, and beats a deeper literal re-allow.
 */
import { match } from "ts-pattern";
import type { FsRule, GlobRule, PathRule, Policy } from "../../compiler/ir.js";
import type { Entry } from "./entries.js";
import { pathDepth } from "../../compiler/paths.js";
import { globBody } from "./glob-regex.js";
import { anchor, optionalSubtree } from "./regex.js";
import { literal, regex, subpath, type Filter } from "./sbpl.js";
import type { WritableRoots } from "./writable.js";

export const phase = {
  readGlobAllow: 10,
  readLiteral: 11,
  readGlobDeny: 12,
  writeGlobAllow: 20,
  writeLiteral: 21,
  writeGlobDeny: 22,
  writeAncestors: 23,
} as const;

/** A glob rule covers what it matches and everything below (a matched directory is covered whole, as on Linux). */
export const globSubtree = (pattern: string) => anchor(globBody(pattern), optionalSubtree);

export function lowerFilesystem(policy: Policy, roots: WritableRoots): Entry[] {
  return policy.filesystem.rules.flatMap((r: FsRule) =>
    match(r)
      .with({ kind: "path" }, (p) => pathEntries(p, roots))
      .with({ kind: "glob" }, (g) => globEntries(g))
      .exhaustive(),
  );
}

function pathEntries(r: PathRule, roots: WritableRoots): Entry[] {
  const via = match(r.via)
    .with({ kind: "literal" }, () => "")
    .with({ kind: "glob" }, (v) => ` (a match of ${v.pattern})`)
    .with({ kind: "symlink" }, (v) => ` (${v.spelled} is a symlink to it)`)
    .exhaustive();
  // A deny covers the real path and the spelling, in case the link is replaced later; an allow only the real path.
  const paths = r.effect === "deny" && r.via.kind === "symlink" ? [r.path, r.via.spelled] : [r.path];
  const filterFor = (path: string): [Filter, string] =>
    // Deny whole subtrees (an absent path may become a directory); allow a file exactly.
    r.effect === "allow" && (r.node === "file" || r.node === "other")
      ? [literal(path), `literal:${path}`]
      : [subpath(path), `subpath:${path}`];
  return paths.flatMap((path) => {
    const [filter, key] = filterFor(path);
    const base = { depth: pathDepth(path), action: r.effect, origin: r.origin, filter, key } as const;
    if (r.access === "write")
      return [{ ...base, phase: phase.writeLiteral, ops: ["file-write*"], note: `${r.effect} write${via}` }];
    const read: Entry = { ...base, phase: phase.readLiteral, ops: ["file-read*"], note: `${r.effect} read${via}` };
    // Outside every writable root there is nothing to rename; saying so again would only add noise.
    if (r.effect === "allow" || !roots.covers(path)) return [read];
    return [
      read,
      { ...base, phase: phase.writeLiteral, ops: ["file-write*"], note: `no writes to a read-denied path${via}` },
    ];
  });
}

function globEntries(g: GlobRule): Entry[] {
  const rx = globSubtree(g.pattern);
  const base = { depth: 0, action: g.effect, origin: g.origin, filter: regex(rx), key: `regex:${rx.source}` } as const;
  const what = `glob ${g.pattern} and everything below a match`;
  if (g.effect === "allow") {
    // A widened regex (see charClass) would allow more than the user wrote: rely on the expanded matches instead.
    if (!rx.exact) return [];
    return [
      {
        ...base,
        phase: g.access === "read" ? phase.readGlobAllow : phase.writeGlobAllow,
        ops: [g.access === "read" ? "file-read*" : "file-write*"],
        note: `allow ${g.access}: ${what}`,
      },
    ];
  }
  const write: Entry = {
    ...base,
    phase: phase.writeGlobDeny,
    ops: ["file-write*"],
    note: g.access === "write" ? `deny write: ${what}` : `no writes to read-denied ${what}`,
  };
  if (g.access === "write") return [write];
  return [{ ...base, phase: phase.readGlobDeny, ops: ["file-read*"], note: `deny read: ${what}` }, write];
}
