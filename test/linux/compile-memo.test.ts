/**
 * The compile memo (runtime/compile-memo.ts) against the command it serves. A run's command makes
 * a directory that git takes for a repository (HEAD, objects/, refs/, config) deep in the project;
 * the next run must compile again and protect that repository's hooks and config — a memo
 * reused from before the change would leave them writable, and git runs hooks on the host. Real
 * srt, real bwrap, real file times: the tree is left to settle (settleMs) first, so the memo holds
 * the directories' states, as it does in a project nobody touched for two seconds.
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { settleMs } from "../../src/runtime/compile-memo.js";
import { missingTestUser, read, runners, sh, skipReason, srt, startSrt, supported, useBox } from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const debug = { env: { SRT_DEBUG: "1" } };
const memoLine = (stderr: string): string =>
  /srt: compiled .* ms: (.*)/.exec(stderr)?.[1] ?? `(no memo line) ${stderr}`;

describe.skipIf(lacking(!supported, skipReason))("compile memo: a run's changes reach the next run's policy", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "a repository planted deep in the project gets its hooks and config protected on the next run",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/sub/a": null });
        // The first run makes srt's state directory; the tree then settles, so the next compile
        // records every directory's state and a later one could take them as they were.
        expect((await sh(b, "true", debug)).status).toBe(0);
        await sleep(settleMs + 300);
        const plant = await sh(
          b,
          `cd sub/a && mkdir x x/objects x/refs && echo 'ref: refs/heads/main' > x/HEAD && printf '[core]\\n\\tbare = true\\n' > x/config && echo planted`,
          debug,
        );
        expect(plant.stdout, plant.stderr).toContain("planted");
        expect(memoLine(plant.stderr)).toMatch(/^(compiled|reused)/);

        const attack = await sh(
          b,
          "mkdir -p sub/a/x/hooks; echo 'touch /tmp/pwned' > sub/a/x/hooks/pre-commit; echo '[core] hooksPath = /tmp' >> sub/a/x/config; true",
          debug,
        );
        expect(attack.status, attack.stderr).toBe(0);
        expect(existsSync(b.at("work/sub/a/x/hooks/pre-commit"))).toBe(false);
        expect(read(b.at("work/sub/a/x/config"))).toBe("[core]\n\tbare = true\n");
        expect(memoLine(attack.stderr)).toMatch(/^compiled/);

        // Nothing changed since: the memo is in use (the attack above did not get past it by luck).
        const again = await sh(b, "true", debug);
        expect(memoLine(again.stderr)).toMatch(/^reused/);
      },
    );

    it.concurrent(
      "another project's run in progress does not make the next compile miss (the state directory is not searched)",
      async (ctx) => {
        // Settings that make srt's TMPDIR writable (`allowWrite: ["/tmp"]` is common): its state
        // directory, with every run's directory, lies in a writable root. Every sandbox hides it whole.
        const b = useBox(ctx, runner);
        const settings = b.at("tmp-writable.json");
        writeFileSync(settings, JSON.stringify({ filesystem: { allowWrite: [b.tmp] } }));
        const run = (script: string) => srt(b, ["--settings", settings, "-c", script], debug);
        for (let i = 0; i < 2; i++) {
          const warm = await run("true");
          expect(warm.status, warm.stderr).toBe(0);
        }
        await sleep(settleMs + 300);
        expect(memoLine((await run("true")).stderr)).toMatch(/^reused/);

        // A run in another directory (its placeholders are there): only its run directory is in reach.
        const runs = join(b.tmp, `srt-${b.uid}`, "runs");
        const other = startSrt(b, ["--settings", b.settings, "-c", "sleep 8"], { cwd: b.outside });
        for (let i = 0; i < 100 && readdirSync(runs).length === 0; i++) await sleep(50);
        expect(readdirSync(runs)).toHaveLength(1);
        const next = await run("true");
        expect(next.status, next.stderr).toBe(0);
        expect(memoLine(next.stderr)).toMatch(/^reused/);
        other.child.kill("SIGTERM");
        await other.done;
      },
    );
  });
});
