/**
 * srt's own package directory, whichever file asks: src/… in a checkout,
 * dist/srt.cjs, the CLI's bundle dist/cli.cjs (its import.meta.url is the bundle's), or dist/index.mjs of the
 * installed library. The compiler write-protects it (a sandboxed command must
 * not rewrite the next run's enforcement), srt init points $schema into it,
 * and wrap() finds the CLI there. Counting directory levels from the asking
 * file broke when code splitting moved the CLI's copy into dist/chunks/ (since gone), so
 * this walks up to the package.json that names srt.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageName = "srt-sandbox";

/** Found once: the asking file does not move while srt runs, and a run asks several times (issue 19). */
let found: string | undefined;

export function packageRoot(): string {
  // Each walk reads package.json files and fails on the missing dist/package.json: 0.5 ms to 1 ms of
  // every start, taken by the compiler's installDir and by each lookup of a native helper.
  return (found ??= walkUp());
}

function walkUp(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (namesSrt(join(dir, "package.json"))) return dir;
    // No package.json of ours above (copied out of its package): the folder holding the code is the best guess.
    if (dirname(dir) === dir) return dirname(start);
  }
}

function namesSrt(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name === packageName;
  } catch {
    return false;
  }
}
