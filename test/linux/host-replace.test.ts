/**
 * A protection on Linux is a mount on the protected path, and the kernel
 * detaches a mount whose mount point is unlinked or renamed over from another
 * mount namespace (a mount point renamed away takes its mount along). So a
 * host action during the run — an editor's atomic save or backup rename, git
 * checkout, deleting srt's empty placeholder — frees the path inside the
 * still-running sandbox. srt watches those paths and stops the run (status 1,
 * a message naming the path, a violation record).
 *
 * The command retries in a bounded loop (200 × 20 ms), but only once the test
 * opens a gate, and the test opens it only after giving srt time to notice
 * (up to 3 s; it takes a few ms, 1 s at worst through the slow re-read). Without
 * the gate the test would measure a race srt cannot win every time: between
 * the host's rename and srt's kill the path is unprotected for the time one
 * inotify event takes to reach srt (measured 0.4-5 ms on a loaded 2-core
 * machine), and a write landing in exactly that moment goes through (README).
 *
 * The host changes are made as the runner's user, so the new file is as
 * writable for the command as the old one was.
 */
import { chownSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  eventually,
  missingTestUser,
  read,
  runners,
  startSrt,
  supported,
  useBox,
  type Box,
  type Outcome,
  skipReason,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const loop = (attempt: string): string =>
  `touch ready; for i in $(seq 200); do if [ -e gate ]; then ${attempt}; fi; sleep 0.02; done; echo loop-ended`;

function hostWrite(b: Box, rel: string, text: string): string {
  const p = b.at(rel);
  writeFileSync(p, text);
  if (b.runner === "srt-test") chownSync(p, b.uid, b.gid);
  return p;
}

/** Starts the command, waits until it runs, lets the host act, then opens the gate (after srt stopped the run, or 3 s). */
async function runWhileHost(b: Box, attempt: string, host: () => void): Promise<Outcome> {
  const run = startSrt(b, ["--settings", b.settings, "--violations", b.at("violations.jsonl"), "-c", loop(attempt)], {
    timeoutMs: 30_000,
  });
  expect(await eventually(() => existsSync(b.at("work/ready")), 10_000)).toBe(true);
  host();
  await Promise.race([run.done, new Promise((r) => setTimeout(r, 3000))]);
  hostWrite(b, "work/gate", "");
  return run.done;
}

const violations = (b: Box): unknown[] =>
  existsSync(b.at("violations.jsonl"))
    ? readFileSync(b.at("violations.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown)
    : [];

describe.skipIf(lacking(!supported, skipReason))("a protection the host detaches during the run stops the run", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "an editor-style save of .gitmodules (write aside, rename over): status 1, the path named, the host's content kept",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/.gitmodules": "[submodule v1]\n" });
        const out = await runWhileHost(b, "echo sandbox-text >> .gitmodules 2>/dev/null && echo wrote", () =>
          renameSync(hostWrite(b, "work/.gitmodules.swp", "[submodule v2]\n"), b.at("work/.gitmodules")),
        );
        expect(out.stdout).not.toContain("wrote");
        expect(out.stdout).not.toContain("loop-ended");
        expect(out.stderr).toMatch(/^srt: error SRT505: /m);
        expect(out.stderr).toContain(`${b.at("work/.gitmodules")} was replaced, removed or renamed on the host`);
        expect(out.status).toBe(1);
        expect(read(b.at("work/.gitmodules"))).toBe("[submodule v2]\n");
        expect(violations(b)).toEqual([
          expect.objectContaining({
            kind: "filesystem",
            path: b.at("work/.gitmodules"),
            guards: "write",
            rule: ["mandatory:git-modules"],
          }),
        ]);
      },
    );

    it.concurrent(
      "an editor-style save of a read-denied .env: status 1, and the command never reads the new secret",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/.env": "OLD-SECRET\n" }, { filesystem: { denyRead: [".env"] } });
        const out = await runWhileHost(b, "cat .env 2>/dev/null", () =>
          renameSync(hostWrite(b, "work/.env.tmp", "NEW-SECRET\n"), b.at("work/.env")),
        );
        expect(out.stdout).not.toMatch(/SECRET/);
        expect(out.stderr).toContain(b.at("work/.env"));
        expect(out.stderr).toContain("kept it unreadable");
        expect(out.status).toBe(1);
      },
    );

    it.concurrent(
      "the host renaming .gitmodules away (an editor's backup): the mount goes with it, the name is free; status 1, nothing created",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/.gitmodules": "[submodule v1]\n" });
        const out = await runWhileHost(b, "echo sandbox-text >> .gitmodules 2>/dev/null && echo wrote", () =>
          renameSync(b.at("work/.gitmodules"), b.at("work/.gitmodules~")),
        );
        expect(out.stdout).not.toContain("wrote");
        expect(out.stderr).toContain(`${b.at("work/.gitmodules")} was replaced, removed or renamed on the host`);
        expect(out.status).toBe(1);
        expect(read(b.at("work/.gitmodules"))).toBeUndefined();
        expect(read(b.at("work/.gitmodules~"))).toBe("[submodule v1]\n");
      },
    );

    it.concurrent(
      "the user deleting srt's .npmrc placeholder: status 1, and the command never creates .npmrc",
      async (ctx) => {
        const b = useBox(ctx, runner);
        const out = await runWhileHost(b, "echo sandbox-text >> .npmrc 2>/dev/null && echo wrote", () => {
          expect(read(b.at("work/.npmrc"))).toBe("");
          rmSync(b.at("work/.npmrc"));
        });
        expect(out.stdout).not.toContain("wrote");
        expect(out.stderr).toContain(b.at("work/.npmrc"));
        expect(out.status).toBe(1);
        expect(read(b.at("work/.npmrc")) ?? "").not.toContain("sandbox-text");
        expect(violations(b)).toEqual([
          expect.objectContaining({
            kind: "filesystem",
            path: b.at("work/.npmrc"),
            reason: expect.stringMatching(/^removed/),
          }),
        ]);
      },
    );
  });
});
