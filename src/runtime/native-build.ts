/**
 * `srt doctor --fix`'s second step: build srt's native helpers (native/<name>/*.c) when they are
 * missing, as `npm install` would have with a C compiler. The build is srt's own script from its
 * own package (scripts/build-native.mjs), run with this Node; a published package without the
 * sources says so instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { locateTool, nodeToolFs, systemToolDirs } from "./host-tools.js";
import { findNative } from "./native.js";
import { packageRoot } from "./package-root.js";

const sources = (root: string): string[] => {
  try {
    return readdirSync(join(root, "native"), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
};

/** Whether a helper srt has the sources of is not built (every Linux run needs srt-supervise). */
export function nativeHelpersMissing(root: string = packageRoot()): boolean {
  const names = sources(root);
  return (names.length === 0 ? ["srt-supervise"] : names).some((n) => findNative(n, root) === undefined);
}

/** Builds them; undefined when it worked, else what went wrong. */
export function buildNativeHelpers(say: (line: string) => void, root: string = packageRoot()): string | undefined {
  const script = join(root, "scripts", "build-native.mjs");
  if (!existsSync(script) || sources(root).length === 0)
    return `srt's native helpers are missing and this copy of srt has no sources to build them from (${join(root, "native")})`;
  // doctor --fix often runs as root from `npx`, whose PATH starts with the project's node_modules/.bin,
  // which a sandboxed command may write: the compiler (and what it runs: as, ld) is found only in
  // root-owned system directories, as every host program srt starts.
  const cc = locateTool("cc", nodeToolFs);
  if (!cc.ok) return "no C compiler (cc) in the system directories to build srt's native helpers with";
  say("srt doctor --fix: building srt's native helpers (native/*.c → dist/native/)");
  const r = spawnSync(process.execPath, [script], {
    cwd: root,
    stdio: ["ignore", 2, 2],
    env: { ...process.env, CC: cc.tool.path, PATH: systemToolDirs.join(":") },
  });
  if (r.status !== 0) return `building srt's native helpers failed (${script} exited ${String(r.status ?? r.signal)})`;
  const still = sources(root).filter((n) => findNative(n, root) === undefined);
  return still.length === 0 ? undefined : `built, but ${still.join(", ")} still missing from dist/native`;
}
