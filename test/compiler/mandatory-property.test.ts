/**
 * Mandatory denies at any depth, checked on generated trees: whatever the tree
 * looks like, every protected name below a writable directory ends up
 * write-denied (itself, or a protected directory holding it), and a depth limit
 * never drops one that lies within the limit.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSettings, type Policy } from "../../src/compiler/index.js";
import { projectNames } from "../../src/compiler/protected-names.js";
import { createFixtureHost } from "../support/fixture-host.js";

// Every project name of the table (home names are looked for in the home directory only: home.test.ts).
const protectedFiles = projectNames.filter((n) => n.shape === "file").map((n) => n.name);
const protectedDirs = [
  ...projectNames.filter((n) => n.shape === "dir" && n.name !== ".git").map((n) => n.name),
  ".claude/commands",
  ".git/hooks",
];
const plain = ["src", "a b", "lib", "node_modules", "x.y", "ünï"];

const cwd = "/home/u/proj";
/** A tree: plain directories down to some depth, ending in a protected file, a protected dir (maybe empty) or a plain file. */
const entryArb = fc.record({
  dirs: fc.array(fc.constantFrom(...plain), { maxLength: 12 }),
  leaf: fc.oneof(
    fc.constantFrom(...protectedFiles).map((n) => ({ kind: "file" as const, name: n })),
    fc.constantFrom(...protectedDirs).map((n) => ({ kind: "dir" as const, name: n })),
    fc.constant({ kind: "file" as const, name: "README" }),
  ),
});

function compile(
  entries: readonly { dirs: string[]; leaf: { kind: "file" | "dir"; name: string } }[],
  depth?: number,
): Policy {
  const files = entries.filter((e) => e.leaf.kind === "file").map((e) => [cwd, ...e.dirs, e.leaf.name].join("/"));
  const dirs = entries.filter((e) => e.leaf.kind === "dir").map((e) => [cwd, ...e.dirs, e.leaf.name].join("/"));
  const host = createFixtureHost({ files, dirs }, { cwd, home: "/home/u" });
  const settings = depth === undefined ? {} : { mandatoryDenySearchDepth: depth };
  const r = compileSettings({
    text: JSON.stringify(settings),
    file: "/home/u/.srt-settings.json",
    host,
    target: "linux",
  });
  if (!r.policy) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
}

const writeDenied = (p: Policy, path: string): boolean =>
  p.filesystem.rules.some(
    (r) =>
      r.kind === "path" &&
      r.access === "write" &&
      r.effect === "deny" &&
      r.origin.startsWith("mandatory:") &&
      (path === r.path || path.startsWith(r.path + "/")),
  );

describe("mandatory denies on generated trees", () => {
  it("every protected name at any depth is write-denied", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { minLength: 1, maxLength: 8 }), (entries) => {
        const p = compile(entries);
        for (const e of entries) {
          if (e.leaf.name === "README") continue;
          const path = [cwd, ...e.dirs, e.leaf.name].join("/");
          expect(writeDenied(p, path), path).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a depth limit keeps every protected name within it", () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 6 }),
        (entries, depth) => {
          const p = compile(entries, depth);
          for (const e of entries) {
            // The name's own level below the root: a file in cwd is level 1; for "a/b" names, the first part's level.
            if (e.leaf.name === "README" || e.dirs.length + 1 > depth) continue;
            const path = [cwd, ...e.dirs, e.leaf.name].join("/");
            expect(writeDenied(p, path), `${path} (depth ${depth})`).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
