/**
 * Where srt's own native helpers are: dist/native/<platform>-<arch>/<name> of
 * srt's package when it exists (the published package's prebuilt helpers, one
 * directory per architecture: linux-x64, linux-arm64), else dist/native/<name>
 * (a checkout's build for its own machine; that build also refreshes its own
 * architecture's directory when there is one, so a stale prebuilt helper never
 * shadows it). Both built from native/<name>/*.c by scripts/build-native.mjs. Nothing is looked
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

/** Node's name of the machine the helpers are built for, as the prebuilt directories are named. */
export const nativeTarget = (platform: string = process.platform, arch: string = process.arch): string =>
  `${platform}-${arch}`;

const executable = (path: string): boolean => {
  try {
    const st = statSync(path);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
};

/** The helper's path when it is a regular, executable file (this architecture's prebuilt one first); else undefined. */
export function findNative(name: string, root?: string, target: string = nativeTarget()): string | undefined {
  return [join(nativeDir(root), target, name), join(nativeDir(root), name)].find(executable);
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
