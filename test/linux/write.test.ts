/**
 * Write rules under real bwrap, as root and as srt-test: what the policy makes
 * writable is writable, everything else fails inside the sandbox *and* is
 * unchanged on the host afterwards. Every box is owned by the runner, so only
 * the sandbox can be what refuses a write.
 */
import { chmodSync, symlinkSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  boxesUnder,
  engines,
  missingTestUser,
  read,
  report,
  runnersFor,
  runtimeArgs,
  sh,
  skipReason,
  supported,
  tree,
  writeSettings,
} from "./support.js";

const EROFS = "Read-only file system";
/** srt's supervisor refuses a new name at a write-protected path before any mount is reached. */
const EACCES = "Permission denied";

/**
 * Shell: `w PATH` appends to PATH as an attacker would (making its directory,
 * and the file writable for its owner, first) and prints PATH=written or
 * PATH=<error text>.
 */
const W = `w() { if err=$( (mkdir -p "$(dirname "$1")" && { [ ! -f "$1" ] || chmod u+w "$1"; } && printf pwned >> "$1") 2>&1 ); then echo "$1=written"; else echo "$1=\${err##*: }"; fi; }\n`;

/** Every project file name, and a file inside every project directory and git directory name (home names: host-later.test.ts). */
const mandatoryFiles = [
  ".gitmodules",
  ".mcp.json",
  ".aider.conf.yml",
  "opencode.json",
  ".npmrc",
  ".yarnrc",
  ".yarnrc.yml",
  ".devcontainer.json",
];
const mandatoryInDirs = [
  ".vscode/tasks.json",
  ".idea/workspace.xml",
  ".zed/settings.json",
  ".husky/pre-commit",
  ".devcontainer/devcontainer.json",
  ".cargo/config.toml",
  ".claude/commands/x.md",
  ".claude/agents/y.md",
  ".claude/settings.json",
  ".cursor/mcp.json",
  ".gemini/settings.json",
  ".codex/config.toml",
  ".continue/config.yaml",
  ".roo/mcp.json",
  ".kiro/hooks/x.kiro.hook",
  ".amazonq/mcp.json",
  ".opencode/plugin/x.ts",
  ".git/hooks/pre-commit",
  ".git/config",
  ".git/config.worktree",
  ".git/commondir",
];

describe.skipIf(lacking(!supported, skipReason))("writes under real bwrap", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it.concurrent(
        "the working directory is writable; a sibling outside allowWrite is not (EROFS, absent on host)",
        async (ctx) => {
          const b = useBox(ctx, runner, { "work/keep.txt": "v1", "outside/keep.txt": "v1" });
          const out = await sh(
            b,
            `${W}w new.txt; w keep.txt; w sub/dir/deep.txt; w ../outside/new.txt; w ../outside/keep.txt; w /etc/srt-escape; w ${b.home}/x`,
          );
          const r = report(out);
          expect(r).toEqual({
            "new.txt": "written",
            "keep.txt": "written",
            "sub/dir/deep.txt": "written",
            "../outside/new.txt": EROFS,
            "../outside/keep.txt": EROFS,
            "/etc/srt-escape": EROFS,
            [`${b.home}/x`]: EROFS,
          });
          expect(read(b.at("work/new.txt"))).toBe("pwned");
          expect(read(b.at("work/sub/dir/deep.txt"))).toBe("pwned");
          expect(read(b.at("outside/new.txt"))).toBeUndefined();
          expect(read(b.at("outside/keep.txt"))).toBe("v1");
          expect(read("/etc/srt-escape")).toBeUndefined();
        },
      );

      // Root writes through any mode bits, so only an unprivileged runner has a cwd it cannot write;
      // root runs do not register this case at all (a skip would be indistinguishable from a missing tool).
      if (runner !== "root")
        it.concurrent(
          "a working directory the user cannot write still runs: protected names it could not create are skipped, nothing is writable",
          async (ctx) => {
            const b = useBox(ctx, runner, { "work/keep.txt": "v1" });
            chmodSync(b.work, 0o555);
            try {
              const out = await sh(b, `${W}echo ran=yes; w new.txt; w .npmrc; w .claude/commands/x.md`);
              expect(out.status, out.stderr).toBe(0);
              const r = report(out);
              expect(r["ran"]).toBe("yes");
              for (const p of ["new.txt", ".npmrc", ".claude/commands/x.md"]) expect(r[p], p).not.toBe("written");
              expect(tree(b.work)).toEqual(["keep.txt"]);
            } finally {
              chmodSync(b.work, 0o755);
            }
          },
        );

      it.concurrent(
        "TMPDIR is a private writable dir that is gone afterwards; /tmp itself is read-only",
        async (ctx) => {
          const b = useBox(ctx, runner);
          const out = await sh(
            b,
            `${W}f=$(mktemp) && echo data > "$f" && echo tmp=ok; echo "where=$f"; w /tmp/srt-escape-${process.pid}`,
          );
          const r = report(out);
          expect(r["tmp"]).toBe("ok");
          expect(r[`/tmp/srt-escape-${process.pid}`]).toBe(EROFS);
          expect(read(r["where"] ?? "/nonexistent")).toBeUndefined();
        },
      );

      it.concurrent(
        "allowWrite outside the cwd is writable; denyWrite inside it (file, directory, glob) is not",
        async (ctx) => {
          const b = useBox(ctx, runner, {
            "outside/ok/a.txt": "v1",
            "outside/ok/locked/b.txt": "v1",
            "outside/ok/c.lock": "v1",
            "outside/ok/d.txt": "v1",
          });
          const ok = b.at("outside/ok");
          writeSettings(b, {
            filesystem: { allowWrite: [ok], denyWrite: [`${ok}/locked`, `${ok}/*.lock`, `${ok}/d.txt`] },
          });
          const out = await sh(
            b,
            `${W}w ${ok}/a.txt; w ${ok}/new.txt; w ${ok}/locked/b.txt; w ${ok}/locked/new.txt; w ${ok}/c.lock; w ${ok}/d.txt; w new-in-cwd.txt`,
          );
          const r = report(out);
          expect(r).toEqual({
            [`${ok}/a.txt`]: "written",
            [`${ok}/new.txt`]: "written",
            [`${ok}/locked/b.txt`]: EROFS,
            [`${ok}/locked/new.txt`]: EACCES,
            [`${ok}/c.lock`]: EROFS,
            [`${ok}/d.txt`]: EROFS,
            // allowWrite replaces the default (the cwd).
            "new-in-cwd.txt": EROFS,
          });
          expect(read(b.at("outside/ok/a.txt"))).toBe("v1pwned");
          expect(read(b.at("outside/ok/locked/b.txt"))).toBe("v1");
          expect(read(b.at("outside/ok/locked/new.txt"))).toBeUndefined();
          expect(read(b.at("outside/ok/c.lock"))).toBe("v1");
          expect(read(b.at("outside/ok/d.txt"))).toBe("v1");
          expect(read(b.at("work/new-in-cwd.txt"))).toBeUndefined();
        },
      );

      it.concurrent("a symlink in the writable dir pointing out does not carry the write out", async (ctx) => {
        const b = useBox(ctx, runner, { "outside/target.txt": "v1" });
        symlinkSync(b.outside, b.at("work/link-dir"));
        symlinkSync(b.at("outside/target.txt"), b.at("work/link-file"));
        const out = await sh(
          b,
          `${W}w link-dir/new.txt; w link-file; ln -s ${b.outside} made && w made/made.txt; w sub/ok.txt`,
        );
        const r = report(out);
        expect(r).toEqual({
          "link-dir/new.txt": EROFS,
          "link-file": EROFS,
          "made/made.txt": EROFS,
          "sub/ok.txt": "written",
        });
        expect(read(b.at("outside/target.txt"))).toBe("v1");
        expect(tree(b.outside)).toEqual(["target.txt"]);
      });

      it.concurrent(
        "every mandatory deny, existing at depth, is read-only; its neighbours are writable",
        async (ctx) => {
          const deep = ["a/b/c", "sub"];
          const layout: Record<string, string> = { "work/worktree/.git": "gitdir: /elsewhere\n" };
          const targets: string[] = ["worktree/.git"];
          for (const d of deep) {
            for (const f of [...mandatoryFiles, ...mandatoryInDirs]) {
              layout[`work/${d}/${f}`] = "v1";
              targets.push(`${d}/${f}`);
            }
          }
          const b = useBox(ctx, runner, layout);
          const before = tree(b.work);
          const script =
            W +
            targets.map((t) => `w ${t}`).join("\n") +
            "\n" +
            deep
              .map((d) => `w ${d}/.vscode/new.json; w ${d}/.git/hooks/post-checkout; w ${d}/neighbour.txt`)
              .join("\n");
          const r = report(await sh(b, script));
          for (const t of targets) expect(r[t], t).toBe(EROFS);
          for (const d of deep) {
            expect(r[`${d}/.vscode/new.json`]).toBe(EACCES);
            expect(r[`${d}/.git/hooks/post-checkout`]).toBe(EACCES);
            expect(r[`${d}/neighbour.txt`]).toBe("written");
          }
          for (const t of targets) expect(read(b.at(`work/${t}`)), t).toBe(layout[`work/${t}`]);
          expect(tree(b.work)).toEqual([...before, ...deep.map((d) => `${d}/neighbour.txt`)].sort());
        },
      );

      it.concurrent(
        "every mandatory name absent at the top of the cwd cannot be created; the placeholders are gone afterwards",
        async (ctx) => {
          // .git is a directory here: an absent .git is not protected (see the known hole below).
          const b = useBox(ctx, runner, {
            "work/.git/HEAD": "ref: refs/heads/main\n",
            "work/sub/.git/HEAD": "x",
            "work/readme": "v1",
          });
          const before = tree(b.work);
          const absent = [
            ...mandatoryFiles,
            ...mandatoryInDirs,
            ".claude/commands",
            ".husky",
            "sub/.git/hooks/x",
            "sub/.git/config",
          ];
          const r = report(await sh(b, W + absent.map((t) => `w ${t}`).join("\n") + "\nw readme\nw fresh/file"));
          for (const t of absent) expect(r[t], t).not.toBe("written");
          for (const t of mandatoryFiles) expect(r[t], t).toBe(EROFS);
          expect(r["readme"]).toBe("written");
          expect(r["fresh/file"]).toBe("written");
          // Nothing of the attempts, and no placeholder, is left on the host.
          expect(tree(b.work)).toEqual([...before, "fresh/", "fresh/file"].sort());
        },
      );

      it.concurrent(
        "an absent .git at the top of the cwd cannot be created (no hooks, no config for git to run later)",
        async (ctx) => {
          // A command that runs `git init` (or writes .git/config with core.fsmonitor) leaves a repository
          // whose config runs code the next time the user runs git in this directory, outside the sandbox.
          const b = useBox(ctx, runner);
          const r = report(await sh(b, `${W}w .git/config; w .git/hooks/pre-commit`));
          expect(r[".git/config"]).not.toBe("written");
          expect(r[".git/hooks/pre-commit"]).not.toBe("written");
        },
      );
    });
  });
});
