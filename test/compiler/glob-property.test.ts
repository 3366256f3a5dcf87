/**
 * The bounded walk finds exactly what picomatch says matches: on generated
 * trees and patterns, expandGlob (without collapsing) returns every path under
 * the base that the pattern matches, except paths below an already matched
 * directory (covered whole), and nothing else. A walk that prunes a branch it
 * should have entered (as `**` once did two levels down) fails here.
 */
import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { createBudget } from "../../src/compiler/budget.js";
import { expandGlob } from "../../src/compiler/glob.js";
import { globBase, globOptions, picomatchPattern } from "../../src/compiler/paths.js";
import { createFixtureHost } from "../support/fixture-host.js";

const names = ["a", "b", "key.pem", "x.txt", ".hidden", "s50", "d (1)"];
const pathArb = fc
  .array(fc.constantFrom(...names), { minLength: 1, maxLength: 5 })
  .map((segs) => "/r/" + segs.join("/"));
const segmentArb = fc.constantFrom("**", "*", "a", "b", "*.pem", "s*", "?", "key.*", ".*", "d (1)");
const patternArb = fc.array(segmentArb, { minLength: 1, maxLength: 4 }).map((segs) => "/r/" + segs.join("/"));

describe("glob expansion agrees with picomatch", () => {
  it("on generated trees", () => {
    fc.assert(
      fc.property(fc.uniqueArray(pathArb, { maxLength: 25 }), patternArb, (files, pattern) => {
        // A path that is a prefix of another is a directory.
        const leaves = files.filter((f) => !files.some((g) => g.startsWith(f + "/")));
        const host = createFixtureHost({ files: leaves, dirs: ["/r"] }, { cwd: "/r", home: "/h" });
        const r = expandGlob(host, pattern, createBudget(host, { maxEntries: 100_000, maxMillis: 1000 }), false);
        if (!r.ok) throw new Error(r.reason);
        const nodes = new Set<string>();
        for (const f of leaves) {
          const segs = f.split("/");
          for (let i = 3; i <= segs.length; i++) nodes.add(segs.slice(0, i).join("/"));
        }
        const isMatch = picomatch(picomatchPattern(pattern), globOptions);
        // The walk reports what lies below the static base; the base itself is the rule's own literal business.
        const { base } = globBase(pattern);
        const matched = [...nodes].filter((p) => p.startsWith(base + "/") && isMatch(p));
        const expected = matched.filter((p) => !matched.some((m) => p.startsWith(m + "/"))).sort();
        expect(r.matches.map((m) => m.path).sort()).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });
});
