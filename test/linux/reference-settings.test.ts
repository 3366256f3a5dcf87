/**
 * Reference-tool settings that reach the file system, through real bwrap as
 * root and as srt-test: git.safeDirectories reaches git as safe.directory,
 * and filesystem.disabled drops every file rule while what srt runs on the
 * host stays out of reach.
 */
import { chownSync, existsSync, mkdirSync, readdirSync, lstatSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import {
  read,
  report,
  runners,
  sh,
  skipReason,
  srt,
  supported,
  useBox,
  writeSettings,
  type Box,
  type Outcome,
} from "./support.js";

const srtQuiet = (box: Box, script: string): Promise<Outcome> =>
  srt(box, ["-q", "--settings", box.settings, "-c", script], { env: { HOME: box.home } });

const hasGit = spawnSync("git", ["--version"]).status === 0;

function chownTree(p: string, uid: number): void {
  chownSync(p, uid, uid);
  if (lstatSync(p).isDirectory()) for (const e of readdirSync(p)) chownTree(join(p, e), uid);
}

describe.skipIf(lacking(!supported, skipReason))("reference-tool file-system settings", () => {
  describe.each(runners)("as %s", (runner) => {
    it.skipIf(!hasGit)(
      "git.safeDirectories: a repository owned by another user works in the sandbox only when listed",
      async (ctx) => {
        const box = useBox(ctx, runner);
        const repo = join(box.work, "repo");
        mkdirSync(repo);
        expect(spawnSync("git", ["init", "-q", repo]).status).toBe(0);
        // Owned by nobody: git refuses such a repository ("dubious ownership") unless it is safe.
        chownTree(repo, 65534);
        const script = 'cd repo && git status --porcelain >/dev/null 2>&1 && echo "git=ok" || echo "git=refused"';
        const env = { HOME: box.home, GIT_CONFIG_NOSYSTEM: "1" };
        writeSettings(box, {});
        const without = await sh(box, script, { env });
        expect(report(without)["git"], without.stderr).toBe("refused");
        writeSettings(box, { git: { safeDirectories: ["repo"] } });
        const listed = await sh(box, `${script}; echo "count=$GIT_CONFIG_COUNT"`, { env });
        expect(report(listed)["git"], listed.stderr).toBe("ok");
        expect(report(listed)["count"]).toBe("2");
      },
    );

    it('"extends": ["node"]: the run creates the absent npm cache and the command can write it; -q keeps warnings quiet', async (ctx) => {
      const box = useBox(ctx, runner);
      writeSettings(box, { extends: ["node"], allowPty: true });
      const script = 'echo cached > "$HOME/.npm/entry" && echo "npm=ok"';
      expect(existsSync(join(box.home, ".npm"))).toBe(false);
      const out = await srtQuiet(box, script);
      expect(out.status, out.stderr).toBe(0);
      expect(report(out)["npm"]).toBe("ok");
      expect(read(join(box.home, ".npm/entry"))).toBe("cached\n");
      // allowPty has no effect on Linux: a warning, which -q leaves out.
      expect(out.stderr).not.toMatch(/SRT400|warning/);
      const loud = await sh(box, "true", { env: { HOME: box.home } });
      expect(loud.stderr).toMatch(/warning SRT400/);
    });

    it("filesystem.disabled: files outside every writable directory and git hooks can be written; /usr stays read-only", async (ctx) => {
      const box = useBox(ctx, runner, { "work/.git/hooks/": null });
      writeSettings(box, { filesystem: { disabled: true, denyRead: [box.outside] } });
      const out = await sh(
        box,
        [
          `echo secret > ${box.outside}/written && cat ${box.outside}/written >/dev/null && echo "outside=ok"`,
          `echo x > .git/hooks/pre-commit && echo "hook=ok"`,
          `touch /usr/srt-probe-${process.pid} 2>/dev/null && echo "usr=written" || echo "usr=refused"`,
        ].join("\n"),
      );
      const r = report(out);
      expect(out.status, out.stderr).toBe(0);
      expect(r["outside"]).toBe("ok");
      expect(r["hook"]).toBe("ok");
      expect(r["usr"]).toBe("refused");
      expect(existsSync(`/usr/srt-probe-${process.pid}`)).toBe(false);
      expect(read(`${box.outside}/written`)).toBe("secret\n");
      expect(out.stderr).toMatch(/SRT134/);
    });
  });
});
