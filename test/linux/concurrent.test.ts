/**
 * Concurrent runs in one directory — what an agent does when it runs several
 * commands at once. They share placeholders; each must start (no "Can't find
 * source path" once another run removed its placeholders), each must stay
 * protected for its whole life, and the last one out must leave the directory
 * as it was.
 */
import { describe, expect, it } from "vitest";
import { missingTestUser, report, runners, sh, supported, tree, useBox } from "./support.js";

describe.skipIf(!supported)("concurrent runs in one directory", () => {
  if (missingTestUser) it.skip("as srt-test: user srt-test does not exist (useradd -m srt-test)", () => {});

  describe.each(runners)("as %s", (runner) => {
    it("8 staggered runs all start, none can write a protected name at any moment, nothing is left", async (ctx) => {
      const b = useBox(ctx, runner, { "work/keep.txt": "v1" });
      // Each run lives a different time, so runs start while others' placeholders exist and end while others still run.
      const runs = Array.from({ length: 8 }, (_, i) =>
        new Promise<void>((r) => setTimeout(r, i * 40)).then(() =>
          sh(b, `sleep 0.${(i % 4) + 1}; for f in .npmrc .mcp.json .vscode/tasks.json .git/config; do if (mkdir -p "$(dirname "$f")" && printf x >> "$f") 2>/dev/null; then echo "$f=written"; else echo "$f=refused"; fi; done; echo done=${i}`),
        ),
      );
      const outs = await Promise.all(runs);
      outs.forEach((o, i) => {
        expect(o.status, `run ${i}: ${o.stderr}`).toBe(0);
        const r = report(o);
        expect(r[`done`]).toBe(String(i));
        for (const f of [".npmrc", ".mcp.json", ".vscode/tasks.json", ".git/config"]) expect(r[f], `run ${i} ${f}`).toBe("refused");
      });
      expect(tree(b.work)).toEqual(["keep.txt"]);
    });
  });
});
