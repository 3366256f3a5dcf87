/**
 * Concurrent runs in one directory — what an agent does when it runs several
 * commands at once. They share placeholders; each must start (no "Can't find
 * source path" once another run removed its placeholders), each must stay
 * protected for its whole life, and the last one out must leave the directory
 * as it was.
 */
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  missingTestUser,
  printed,
  report,
  runners,
  skipReason,
  startSrt,
  supported,
  tree,
  useBox,
  type Outcome,
} from "./support.js";

describe.skipIf(lacking(!supported, skipReason))("concurrent runs in one directory", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it("8 overlapping runs all start, none can write a protected name at start or end, nothing is left", async (ctx) => {
      const b = useBox(ctx, runner, { "work/keep.txt": "v1" });
      const protectedNames = [".npmrc", ".mcp.json", ".vscode/tasks.json", ".git/config"];
      // Each run probes, says ready, waits for its release file (outside the protected tree, created
      // by this test), probes again and ends. Run i starts only once run i-1 is ready, so every run
      // after the first compiles while other runs' placeholders exist; runs are released in an
      // interleaved order, each only after the one before has exited, so every run ends, and probes,
      // after others that shared its placeholders are gone — whatever the machine's speed.
      const probe = (when: string): string =>
        `for f in ${protectedNames.join(" ")}; do if (mkdir -p "$(dirname "$f")" && printf x >> "$f") 2>/dev/null; then echo "${when}:$f=written"; else echo "${when}:$f=refused"; fi; done`;
      const release = (i: number): string => b.at(`outside/release-${i}`);
      const runs: ReturnType<typeof startSrt>[] = [];
      for (let i = 0; i < 8; i++) {
        const run = startSrt(b, [
          "--settings",
          b.settings,
          "-c",
          `${probe("start")}; echo ready; while [ ! -e ${release(i)} ]; do sleep 0.02; done; ${probe("end")}; echo done=${i}`,
        ]);
        runs.push(run);
        await printed(run, "ready\n");
      }
      // Positive control: the runs overlap, and their shared placeholders are on the host now.
      expect(tree(b.work)).toEqual(expect.arrayContaining([".npmrc", ".mcp.json"]));
      const outs: Outcome[] = [];
      for (const i of [0, 7, 1, 6, 2, 5, 3, 4]) {
        writeFileSync(release(i), "");
        outs[i] = await runs[i]!.done;
      }
      outs.forEach((o, i) => {
        expect(o.status, `run ${i}: ${o.stderr}`).toBe(0);
        const r = report(o);
        expect(r[`done`]).toBe(String(i));
        for (const when of ["start", "end"])
          for (const f of protectedNames) expect(r[`${when}:${f}`], `run ${i} ${when} ${f}`).toBe("refused");
      });
      expect(tree(b.work)).toEqual(["keep.txt"]);
    });
  });
});
