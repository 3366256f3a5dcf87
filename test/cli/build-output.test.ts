/**
 * What `npm pack` publishes from dist/ is the current build and nothing else:
 * every chunk in dist/chunks is reachable from the CLI entry through its
 * imports (static or lazy), every chunk it imports is there, and the tarball
 * holds exactly those. A rebuild once left old graphs beside the new one,
 * and two `doctor` chunks went out in the package.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo.js";

const dist = join(repoRoot, "dist");

/** Relative .mjs specifiers a module imports: `from"./x.mjs"`, `import"./x.mjs"`, `import("./x.mjs")`. */
const importsOf = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(/\b(?:from|import)\s*\(?\s*"(\.\.?\/[^"]+\.mjs)"/g)].map((m) =>
    normalize(join(dirname(file), m[1]!)),
  );

/** Every module the CLI can load, as paths relative to dist/. */
function reachableFromEntry(): string[] {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    expect(existsSync(file), `imported but missing: ${relative(dist, file)}`).toBe(true);
    for (const next of importsOf(file)) walk(next);
  };
  walk(join(dist, "srt.mjs"));
  return [...seen].map((f) => relative(dist, f)).sort();
}

describe("build output", () => {
  it("dist/chunks holds exactly the chunks the CLI entry can reach", () => {
    const reachable = reachableFromEntry().filter((f) => f.startsWith("chunks/"));
    expect(reachable.length).toBeGreaterThan(5); // the walk found the graph, so the comparison means something
    const onDisk = readdirSync(join(dist, "chunks"))
      .map((f) => `chunks/${f}`)
      .sort();
    expect(onDisk).toEqual(reachable);
  });

  it("npm pack would publish those chunks and no others", () => {
    const [packed] = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repoRoot, encoding: "utf8" }),
    ) as { files: { path: string }[] }[];
    const chunks = packed!.files
      .map((f) => f.path)
      .filter((p) => p.startsWith("dist/chunks/"))
      .map((p) => p.slice("dist/".length))
      .sort();
    expect(chunks).toEqual(reachableFromEntry().filter((f) => f.startsWith("chunks/")));
  });
});
