/**
 * Creates the placeholders a plan asks for: a write-protected path that does
 * not exist cannot be a mount target, and letting bwrap create it would hide
 * what was created from the cleanup. Each one (and each missing parent
 * directory) is announced to the janitor before it is made. A path that exists
 * by now is left alone: it is protected as it is.
 */
import { closeSync, lstatSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { Placeholder } from "../../backends/bwrap/index.js";
import type { Janitor } from "./janitor.js";

export function createPlaceholders(placeholders: readonly Placeholder[], janitor: Janitor): void {
  for (const { path } of placeholders) {
    if (exists(path)) continue;
    const missing: string[] = [];
    for (let d = dirname(path); !exists(d); d = dirname(d)) missing.unshift(d);
    for (const d of missing) {
      janitor.expect("dir", d);
      mkdirSync(d, { mode: 0o755 });
    }
    janitor.expect("file", path);
    // O_EXCL: if something appeared meanwhile, fail rather than adopt it as ours.
    closeSync(openSync(path, "wx", 0o444));
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
