/**
 * The bwrap argument list as a reviewable text: one group per line with the
 * reason and the rule's origin, slots shown as <tmp>, <void>. Used by
 * the goldens and `srt compile --emit argv`.
 */
import type { ArgvItem } from "./argv.js";
import type { BwrapArtifact } from "./lower.js";
import { shownOrigins } from "./mounts.js";

const shown = (a: ArgvItem): string => (typeof a === "string" ? JSON.stringify(a) : `<${a.slot}>`);

export function renderBwrap(artifact: BwrapArtifact): string {
  const lines: string[] = ["bwrap"];
  for (const g of artifact.groups) lines.push(`  ${g.args.map(shown).join(" ")}`.padEnd(72) + `  # ${g.comment}`);
  lines.push("  --seccomp <fd> --info-fd <fd> [--block-fd <fd>] -- <command…>   # added by the runtime");
  if (artifact.mounts.placeholders.length > 0) {
    lines.push("", "must exist when the run starts (created empty if missing, removed by the last run using them):");
    for (const p of artifact.mounts.placeholders)
      lines.push(
        `  ${p.kind === "dir" ? "dir " : "file"} ${JSON.stringify(p.path)}${p.content === undefined ? "" : ` holding ${JSON.stringify(p.content)}`}  # ${shownOrigins(p.origin)}`,
      );
  }
  if (artifact.mounts.detachable.length > 0) {
    lines.push(
      "",
      "watched while the command runs (deleting, replacing or renaming one on the host takes its mount off the path; srt then stops the run):",
    );
    for (const d of artifact.mounts.detachable)
      lines.push(`  ${d.guards.padEnd(5)} ${JSON.stringify(d.path)}  # ${shownOrigins(d.origin)}`);
  }
  if (artifact.notes.length > 0) {
    lines.push("", "not applied:");
    for (const n of artifact.notes) lines.push(`  ${JSON.stringify(n.path)}: ${n.note}  # ${shownOrigins(n.origin)}`);
  }
  if (artifact.weakened.length > 0) {
    lines.push("", "weakened (enableWeakerNestedSandbox):");
    for (const w of artifact.weakened) lines.push(`  - ${w}`);
  }
  return lines.join("\n") + "\n";
}
