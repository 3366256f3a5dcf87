/**
 * The one place srt creates directories for the user: the cache directories
 * of the presets a policy extends (schema/presets.json), when a run starts and
 * they are absent. Without them the tools fail (npm: ENOENT on ~/.npm) or the
 * directory would be created inside the sandbox where it is not writable.
 *
 * Created before the compile, so the compile sees them as they are and checks
 * them like any writable path. Each missing component is made on its own,
 * below the home directory only, and never through a symlink: a link planted
 * by an earlier run (in a cache that was writable then) must not choose where
 * srt creates anything; the compile then judges the path as it finds it.
 */
import { lstatSync, mkdirSync } from "node:fs";
import { presetTable, presetNames, type PresetName } from "../compiler/presets.js";

/** The preset names in a settings text (none when it is not JSON or has no `extends`: the compile says why). */
export function extendedPresets(text: string | undefined): PresetName[] {
  if (text === undefined) return [];
  try {
    const value = JSON.parse(text.replace(/^\ufeff/, "")) as { extends?: unknown };
    const list = Array.isArray(value.extends) ? (value.extends as unknown[]) : [];
    return presetNames.filter((n) => list.includes(n));
  } catch {
    return [];
  }
}

export interface CreatedDirs {
  readonly created: readonly string[];
  /** Not created, with why (a symlink on the way, a permission error). The compile reports the path as it is. */
  readonly skipped: readonly string[];
}

export function createPresetCacheDirs(presets: readonly PresetName[], home: string): CreatedDirs {
  const created: string[] = [];
  const skipped: string[] = [];
  if (!home.startsWith("/")) return { created, skipped };
  for (const name of presets) {
    for (const dir of presetTable[name].cacheDirs) {
      if (!dir.startsWith("~/")) continue;
      const parts = dir
        .slice(2)
        .split("/")
        .filter((p) => p !== "" && p !== "." && p !== "..");
      let at = home.replace(/\/+$/, "");
      for (const part of parts) {
        at = `${at}/${part}`;
        let kind: "dir" | "link" | "other" | "absent";
        try {
          const st = lstatSync(at);
          kind = st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : "other";
        } catch {
          kind = "absent";
        }
        if (kind === "dir") continue;
        if (kind !== "absent") {
          skipped.push(`${at} (${kind === "link" ? "a symlink" : "not a directory"})`);
          break;
        }
        try {
          // 0700: caches hold tokens and build output of the user's projects.
          mkdirSync(at, { mode: 0o700 });
          created.push(at);
        } catch (e) {
          skipped.push(`${at} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
          break;
        }
      }
    }
  }
  return { created, skipped };
}
