/**
 * A directory srt cannot list. An earlier sandboxed run of the same user can
 * make one (`chmod 000 locked`), and failing the compile there would let it
 * deny service to every later run. What is inside is unknown, so it is
 * treated as holding everything protected: read-only whole (the command
 * cannot chmod it back and look), masked whole by a read-deny glob whose scope
 * reaches it; an allow glob matches nothing there. Each case is a warning.
 */
import type { Host } from "./host.js";
import type { PathRule } from "./ir.js";
import { dirname, isWithin } from "./paths.js";

export const unlistableOrigin = "mandatory:unlistable";

/** Shown by `srt explain` beside the mandatory rules. */
export const unlistableReason =
  "a directory srt cannot list could hold anything that must stay write-protected; read-only whole, so the command cannot open it up either";

export const unlistableRule = (path: string): PathRule => ({
  kind: "path",
  access: "write",
  effect: "deny",
  path,
  node: "dir",
  via: { kind: "literal" },
  origin: unlistableOrigin,
});

/**
 * Records `dir`, which the walk could not list, as protected whole. When even
 * its lstat fails, the directory above it can be listed but not entered
 * (`chmod 644`): nothing in there can be bound, so that one is protected
 * whole instead, and whatever the walk found or queued inside it is dropped.
 */
export function protectWhole(host: Host, dir: string, rules: PathRule[], queued: { readonly dir: string }[]): void {
  const whole = dir !== "/" && !host.lstat(dir).ok ? dirname(dir) : dir;
  for (let i = rules.length - 1; i >= 0; i--) if (isWithin(rules[i]!.path, whole)) rules.splice(i, 1);
  for (let i = queued.length - 1; i >= 0; i--) if (isWithin(queued[i]!.dir, whole)) queued.splice(i, 1);
  rules.push(unlistableRule(whole));
}
