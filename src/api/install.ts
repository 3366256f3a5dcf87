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

/**
 * The package directory (write-protected by the compiler when it lies in a
 * writable path): the nearest directory above this module with a
 * package.json. Not a fixed number of levels: the CLI's code runs from
 * dist/chunks/, the library from dist/, the tests from src/*, and a fixed
 * ".." once protected only dist/ and left package.json and the rest writable.
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  const start = dirname(from);
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(resolve(d, "package.json"))) return d;
    if (dirname(d) === d) return start;
  }
}
