/**
 * Where srt's own files are, seen from the library: the bundle puts the
 * library next to the CLI (dist/index.mjs, dist/srt.mjs); from the sources
 * (tests) the CLI is the built dist/srt.mjs of the checkout.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The CLI bundle that `wrap()` commands and the SIGKILL watchdog run, if it exists. */
export function findSrtBin(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [resolve(here, "srt.mjs"), resolve(here, "../../dist/srt.mjs")].find((p) => existsSync(p));
}

/** The package directory (write-protected by the compiler when it lies in a writable path). */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return existsSync(resolve(here, "srt.mjs")) ? resolve(here, "..") : resolve(here, "../..");
}
