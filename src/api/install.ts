/**
 * The CLI seen from the library: the bundle puts the library next to it
 * (dist/index.mjs, dist/srt.mjs); from the sources (tests) it is the built
 * dist/srt.mjs of the checkout. Both are dist/srt.mjs of srt's package.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../runtime/package-root.js";

/** The CLI bundle that `wrap()` commands and the SIGKILL watchdog run, if it exists. */
export function findSrtBin(): string | undefined {
  const bin = join(packageRoot(), "dist", "srt.mjs");
  return existsSync(bin) ? bin : undefined;
}
