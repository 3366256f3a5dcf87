/**
 * The files srt itself relies on from one run to the next, write-protected
 * where the command could write them: the settings (in use, and the default
 * lookup location), files srt writes for the policy's runs (a plan from
 * `srt compile -o`, the `--violations` file), and srt's own installation with
 * the node_modules/.bin directory that launches it. Compared by real path, so
 * a symlinked spelling cannot dodge the check; a writable directory *inside*
 * one of them is protected whole.
 *
 * A mount cannot protect a symlink (it lands on the target; the link stays
 * replaceable), so a settings or output file reached through a link that lies
 * in a writable directory is refused instead (SRT315, SRT316).
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { Host } from "./host.js";
import type { PathRule } from "./ir.js";
import { linksOnPath } from "./links.js";
import type { MandatoryRule } from "./mandatory.js";
import { dirname, isWithin, joinPath } from "./paths.js";
import { resolveReal } from "./resolve.js";

/** A file srt writes for the runs of this policy, and why it must stay out of the command's reach. */
export interface SelfOutput {
  readonly path: string;
  readonly rule: Extract<MandatoryRule, "plan-file" | "violations-file">;
}

export interface SelfFiles {
  /** The settings file in use and the default lookup location, as spelled. */
  readonly settingsFiles: readonly string[];
  /** srt's package root. */
  readonly installDir?: string;
  readonly outputs: readonly SelfOutput[];
}

/** The names srt's package.json `bin` installs into node_modules/.bin (a test keeps them in step). */
export const launcherNames: readonly string[] = ["srt"];

export function selfProtection(
  host: Host,
  writable: readonly PathRule[],
  files: SelfFiles,
): { rules: PathRule[]; diagnostics: Diagnostic[] } {
  const out: PathRule[] = [];
  const diagnostics: Diagnostic[] = [];
  const install = files.installDir === undefined ? [] : installation(host, files.installDir, writable, diagnostics);
  const guarded: (readonly [string, MandatoryRule])[] = [
    ...files.settingsFiles.map((f) => [f, "settings-file"] as const),
    ...files.outputs.map((o) => [o.path, o.rule] as const),
    ...install.map((p) => [p, "srt-installation"] as const),
  ];
  for (const [spelled, name] of guarded) {
    const r = resolveReal(host, spelled);
    if (!r.ok) {
      diagnostics.push(diagnostic("SRT300", "", { kind: "protected", at: r.at, code: r.code, spelled }));
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
  for (const f of files.settingsFiles) {
    for (const { link, w } of linksInWritable(host, f, writable, diagnostics)) {
      diagnostics.push(diagnostic("SRT315", w.origin, { file: f, link, dir: w.path }));
    }
  }
  for (const o of files.outputs) {
    for (const { link, w } of linksInWritable(host, o.path, writable, diagnostics)) {
      diagnostics.push(diagnostic("SRT316", w.origin, { path: o.path, rule: o.rule, link, dir: w.path }));
    }
  }
  return { rules: out, diagnostics };
}

function linksInWritable(
  host: Host,
  spelled: string,
  writable: readonly PathRule[],
  diagnostics: Diagnostic[],
): { link: string; w: PathRule }[] {
  const r = linksOnPath(host, spelled);
  if (!r.ok) {
    diagnostics.push(diagnostic("SRT300", "", { kind: "protected", at: r.at, code: r.code, spelled }));
    return [];
  }
  return r.links.flatMap((link) => {
    // The link *is* a writable root: its own directory is not writable, so it cannot be swapped.
    const w = writable.find((x) => isWithin(link, x.path) && link !== x.path);
    return w === undefined ? [] : [{ link, w }];
  });
}

/**
 * The package root, and each node_modules/.bin directory next to it that
 * launches srt: a symlink into the package (npm) or a shim file (pnpm).
 * The whole .bin directory, not the entry: a symlink cannot be a mount point,
 * and both launchers start `node` by PATH (`#!/usr/bin/env node`; pnpm's shim
 * prefers `.bin/node`), where npx puts .bin first — a planted `.bin/node`
 * would run unsandboxed as well.
 */
function installation(
  host: Host,
  installDir: string,
  writable: readonly PathRule[],
  diagnostics: Diagnostic[],
): string[] {
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
        diagnostics.push(diagnostic("SRT317", w.origin, { entry, dir: w.path }));
      }
    }
  }
  return dirs;
}
