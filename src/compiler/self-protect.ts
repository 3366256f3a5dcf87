/**
 * The files srt itself relies on from one run to the next, write-protected
 * where the command could write them: the settings (in use, and the default
 * lookup location) and srt's own installation with the node_modules/.bin
 * directory that launches it. Compared by real path, so a symlinked spelling
 * cannot dodge the check; a writable directory *inside* one of them is
 * protected whole.
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { Host } from "./host.js";
import type { PathRule } from "./ir.js";
import type { MandatoryRule } from "./mandatory.js";
import { dirname, isWithin, joinPath } from "./paths.js";
import { resolveReal } from "./resolve.js";

export interface SelfFiles {
  /** The settings file in use and the default lookup location, as spelled. */
  readonly settingsFiles: readonly string[];
  /** srt's package root. */
  readonly installDir?: string;
}

/** The names srt's package.json `bin` installs into node_modules/.bin (a test keeps them in step). */
export const launcherNames: readonly string[] = ["srt"];

export function selfProtection(host: Host, writable: readonly PathRule[], files: SelfFiles): { rules: PathRule[]; diagnostics: Diagnostic[] } {
  const out: PathRule[] = [];
  const diagnostics: Diagnostic[] = [];
  const install = files.installDir === undefined ? [] : installation(host, files.installDir, writable, diagnostics);
  const guarded: (readonly [string, MandatoryRule])[] = [
    ...files.settingsFiles.map((f) => [f, "settings-file"] as const),
    ...install.map((p) => [p, "srt-installation"] as const),
  ];
  for (const [spelled, name] of guarded) {
    const r = resolveReal(host, spelled);
    if (!r.ok) {
      diagnostics.push(diagnostic("SRT300", "", `cannot inspect ${r.at} (${r.code}) while resolving ${spelled}, which must stay write-protected`));
      continue;
    }
    const deny = (path: string, node: PathRule["node"]): PathRule => ({
      kind: "path",
      access: "write",
      effect: "deny",
      path,
      node,
      via: path === spelled ? { kind: "literal" } : { kind: "symlink", spelled },
      origin: `mandatory:${name}`,
    });
    for (const w of writable) {
      if (isWithin(r.real, w.path)) out.push(deny(r.real, r.node));
      else if (isWithin(w.path, r.real)) out.push({ ...deny(w.path, w.node), via: w.via });
    }
  }
  return { rules: out, diagnostics };
}

/**
 * The package root, and each node_modules/.bin directory next to it that
 * launches srt: a symlink into the package (npm) or a shim file (pnpm).
 * The whole .bin directory, not the entry: a symlink cannot be a mount point,
 * and both launchers start `node` by PATH (`#!/usr/bin/env node`; pnpm's shim
 * prefers `.bin/node`), where npx puts .bin first — a planted `.bin/node`
 * would run unsandboxed as well.
 */
function installation(host: Host, installDir: string, writable: readonly PathRule[], diagnostics: Diagnostic[]): string[] {
  const pkg = resolveReal(host, installDir);
  if (!pkg.ok || pkg.node !== "dir") return [installDir];
  const dirs = [installDir];
  const name = pkg.real.slice(pkg.real.lastIndexOf("/") + 1);
  for (let a = dirname(pkg.real); a !== "/"; a = dirname(a)) {
    if (!a.endsWith("/node_modules")) continue;
    const bin = joinPath(a, ".bin");
    const launches = launcherNames.some((n) => {
      const entry = joinPath(bin, n);
      const st = host.lstat(entry);
      if (!st.ok) return false;
      if (st.value.kind === "file") return true;
      if (st.value.kind !== "symlink") return false;
      const target = resolveReal(host, entry);
      return target.ok && isWithin(target.real, pkg.real);
    });
    if (launches) dirs.push(bin);
    // pnpm: node_modules/<name> is a symlink into node_modules/.pnpm; launchers go through it, and a mount cannot hold it.
    const entry = joinPath(a, name);
    const st = host.lstat(entry);
    const w = writable.find((x) => isWithin(entry, x.path) && entry !== x.path);
    if (st.ok && st.value.kind === "symlink" && w !== undefined) {
      const target = resolveReal(host, entry);
      if (target.ok && target.real === pkg.real) {
        diagnostics.push(
          diagnostic("SRT317", w.origin, `srt's package is reached through the symlink ${entry} in the writable directory ${w.path}: the command could re-point it, and the next launch of srt through it would run something else`, {
            hint: "install srt outside the project (npm i -g, or a hoisted node_modules that is not writable), or leave node_modules out of allowWrite",
          }),
        );
      }
    }
  }
  return dirs;
}
