/**
 * Where srt's own native helpers are: dist/native/<name> of srt's package,
 * built from native/<name>/*.c by scripts/build-native.mjs. Nothing is looked
 * up on PATH (a sandboxed command of this user could plant a program there),
 * and the package root is write-protected in every sandbox (self-protect), so
 * what is found here is what the build produced.
 *
 * A helper that a run needs and that is missing is a refusal (SRT510), never a
 * silent downgrade: the caller decides whether its feature can run without it.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { RuntimeFailure } from "./failure.js";
import { packageRoot } from "./package-root.js";

export const nativeDir = (root: string = packageRoot()): string => join(root, "dist", "native");

/** The helper's path when it is a regular, executable file; else undefined. */
export function findNative(name: string, root?: string): string | undefined {
  const path = join(nativeDir(root), name);
  try {
    const st = statSync(path);
    return st.isFile() && (st.mode & 0o111) !== 0 ? path : undefined;
  } catch {
    return undefined;
  }
}

/** SRT510's wording: what needs the helper, where it should be, how to build it. */
export const missingNativeMessage = (name: string, why: string, root?: string): string =>
  `${why} needs srt's native helper ${name}, which is not built (${join(nativeDir(root), name)}); ` +
  "build it from source with `npm run build` (needs a C compiler: apt-get install gcc libc6-dev)";

/** The helper's path, or SRT510 saying how to build it. */
export function requireNative(name: string, why: string, root?: string): string {
  const path = findNative(name, root);
  if (path !== undefined) return path;
  throw new RuntimeFailure("SRT510", missingNativeMessage(name, why, root));
}
