/**
 * The CLI seen from the library: the bundle puts the library next to it
 * (dist/index.mjs, dist/srt.cjs); from the sources (tests) it is the built
 * dist/srt.cjs of the checkout. Both are dist/srt.cjs of srt's package: the CommonJS
 * entry, not the dist/srt.mjs wrapper, whose ES module loader every wrap()ped command and
 * proxy thread would pay for at its start (cli/entry.ts).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../runtime/package-root.js";

/** The CLI bundle that `wrap()` commands and the SIGKILL watchdog run, if it exists. */
export function findSrtBin(): string | undefined {
  const bin = join(packageRoot(), "dist", "srt.cjs");
  return existsSync(bin) ? bin : undefined;
}
