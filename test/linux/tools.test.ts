/**
 * Everyday tools still work inside the sandbox with every protection in
 * place (commondir and config.worktree placeholders, read-only hooks and
 * config, agent and editor directories held empty): git (commit, branch,
 * stash, rebase, fetch, worktree add, submodule update over file://), npm,
 * cargo, make, and a husky-style project whose hooks run on commit.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  missingTestUser,
  PATH,
  read,
  report,
  runners,
  sh,
  supported,
  tree,
  useBox,
  type Box,
  skipReason,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p)) ?? "setpriv";
const gitEnv = {
  GIT_AUTHOR_NAME: "a",
  GIT_AUTHOR_EMAIL: "a@b.invalid",
  GIT_COMMITTER_NAME: "a",
  GIT_COMMITTER_EMAIL: "a@b.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

/** Host set-up as the box's user. */
function setup(b: Box, script: string, cwd = b.work): void {
  const argv =
    b.runner === "srt-test"
      ? [setpriv, `--reuid=${b.uid}`, `--regid=${b.gid}`, "--init-groups", "--", "sh", "-ec", script]
      : ["sh", "-ec", script];
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd,
    env: { PATH, HOME: b.home, LANG: "C.UTF-8", ...gitEnv },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`setup failed (${r.status}): ${r.stderr}`);
}

// rustup's toolchains live under /root (mode 0700): only root can run cargo on this machine.
const cargoHome = ["/root/.cargo", "/usr/local/cargo"].find((d) => existsSync(`${d}/bin/cargo`));
const rustupHome = ["/root/.rustup", "/usr/local/rustup"].find((d) => existsSync(d));

describe.skipIf(lacking(!supported, skipReason))("tools work inside the sandbox", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  // Why the placeholders hold what they hold: git itself, on the host, with each choice.
  it("git reads a commondir holding '.' as no redirection, dies on an empty one, and takes an empty config.worktree", (ctx) => {
    const b = useBox(ctx, runners[0]!);
    setup(
      b,
      "git init -q . && git commit -q --allow-empty -m one && git config extensions.worktreeConfig true && : > .git/config.worktree && git status --short",
    );
    setup(
      b,
      "printf '.\\n' > .git/commondir && git status --short && git commit -q --allow-empty -m two && git worktree add -q ../wt && git -C ../wt status --short && git worktree remove ../wt",
    );
    expect(() => setup(b, ": > .git/commondir && git status --short")).toThrow(/commondir/);
  });

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "git: commit, branch, stash, rebase, fetch, worktree add and submodule update (file://)",
      async (ctx) => {
        const b = useBox(ctx, runner);
        setup(b, "git init -q sub && cd sub && echo s > s && git add s && git commit -qm sub", b.outside);
        setup(b, "git init -q --bare upstream.git", b.outside);
        // The project as a fresh clone would leave it: submodule registered (init writes .git/config) but not checked out.
        setup(
          b,
          `git init -q . && git config user.name a && git config user.email a@b.invalid && echo a > f && git add f && git commit -qm one && git -c protocol.file.allow=always submodule --quiet add ${b.outside}/sub lib && git commit -qm sub && git remote add origin ${b.outside}/upstream.git && git push -q origin HEAD:refs/heads/up && git submodule --quiet deinit --all && rm -rf .git/modules/lib && git submodule --quiet init`,
        );
        const script = [
          "set -e",
          "git -c protocol.file.allow=always submodule --quiet update && test -f lib/s && echo submodule=ok",
          "echo b >> f && git commit -qam two && echo commit=ok",
          "git branch feat && git checkout -q feat && echo c > g && git add g && git commit -qm three && git checkout -q - && echo branch=ok",
          "echo d >> f && git stash -q && git stash pop -q && git checkout -q -- f && echo stash=ok",
          "git rebase -q feat && test -f g && echo rebase=ok",
          "git fetch -q origin && git rev-parse -q --verify origin/up >/dev/null && echo fetch=ok",
          // A new worktree of a project with submodules must write `.gitmodules` at depth 1 of `wt/`: a
          // protected name made during the run, refused by srt's supervisor (as on macOS).
          "git worktree add -q wt feat 2>/dev/null && echo worktree=ok || echo worktree=refused",
          "git status --short >/dev/null && git gc -q && echo gc=ok",
        ].join("\n");
        const out = await sh(b, script);
        expect(out.status, out.stderr).toBe(0);
        expect(report(out)).toEqual({
          submodule: "ok",
          commit: "ok",
          branch: "ok",
          stash: "ok",
          rebase: "ok",
          fetch: "ok",
          worktree: "refused",
          gc: "ok",
        });
        // Afterwards the repository is whole on the host, and srt's placeholders are gone.
        setup(
          b,
          "git fsck --no-progress 2>&1 && git status --short && git -C lib status --short && git worktree list >/dev/null",
        );
        expect(existsSync(b.at("work/.git/commondir"))).toBe(false);
        expect(existsSync(b.at("work/.git/config.worktree"))).toBe(false);
      },
    );

    it.concurrent("npm: init, install a local package, run a script", async (ctx) => {
      const b = useBox(ctx, runner, {
        "work/dep/package.json": JSON.stringify({ name: "dep", version: "1.0.0", main: "index.js" }),
        "work/dep/index.js": "module.exports = 42;\n",
      });
      const script = [
        "set -e",
        'export npm_config_cache="$TMPDIR/npm-cache" npm_config_update_notifier=false',
        "npm init -y >/dev/null",
        'npm pkg set scripts.answer=\'node -e "console.log(\\"answer=\\" + require(\\"dep\\"))"\'',
        "npm install --offline --no-audit --no-fund ./dep >/dev/null",
        "npm run -s answer",
      ].join("\n");
      const out = await sh(b, script);
      expect(out.status, out.stderr).toBe(0);
      expect(report(out)["answer"]).toBe("42");
      expect(tree(b.work)).toEqual(expect.arrayContaining(["node_modules/", "package-lock.json", "package.json"]));
    });

    // Only root can reach rustup's toolchains here (see cargoHome): the srt-test half has no cargo to run.
    if (runner === "root" && (cargoHome === undefined || rustupHome === undefined))
      unavailable("cargo: no rustup toolchain found in /root/.cargo or /usr/local/cargo");
    if (runner === "root" && cargoHome !== undefined && rustupHome !== undefined)
      it.concurrent("cargo: build and run a crate offline", async (ctx) => {
        const b = useBox(ctx, runner);
        const script = [
          "set -e",
          `export PATH=${cargoHome}/bin:$PATH RUSTUP_HOME=${rustupHome} CARGO_HOME="$TMPDIR/cargo-home"`,
          "cargo new -q --vcs none hello",
          "cd hello && cargo build -q --offline && ./target/debug/hello | sed 's/^/says=/'",
        ].join("\n");
        const out = await sh(b, script, { timeoutMs: 120_000 });
        expect(out.status, out.stderr).toBe(0);
        expect(report(out)["says"]).toBe("Hello, world!");
      });

    it.concurrent("make: builds its targets", async (ctx) => {
      const b = useBox(ctx, runner, {
        "work/Makefile":
          "all: out/b.txt\nout/a.txt:\n\tmkdir -p out && echo a > $@\nout/b.txt: out/a.txt\n\tcat $< > $@ && echo b >> $@\n",
      });
      const out = await sh(b, "make -s && make -s && echo made=$(tr '\\n' , < out/b.txt)");
      expect(out.status, out.stderr).toBe(0);
      expect(report(out)["made"]).toBe("a,b,");
    });

    it.concurrent(
      "a husky-style project: its hooks (core.hooksPath .husky/_) run on commit inside, and cannot be changed",
      async (ctx) => {
        const b = useBox(ctx, runner);
        setup(
          b,
          [
            "git init -q . && git config user.name a && git config user.email a@b.invalid",
            "mkdir -p .husky/_",
            // husky 9's layout: .husky/_/<hook> runs .husky/_/h, which runs the user's .husky/<hook>.
            `printf '#!/usr/bin/env sh\\n. "$(dirname "$0")/h"\\n' > .husky/_/pre-commit`,
            `printf '#!/usr/bin/env sh\\nn=$(basename "$0"); s=$(dirname "$(dirname "$0")")/$n; [ -f "$s" ] || exit 0; sh -e "$s"\\n' > .husky/_/h`,
            "chmod +x .husky/_/pre-commit .husky/_/h",
            "printf 'echo ran >> hook.log\\n' > .husky/pre-commit",
            "git config core.hooksPath .husky/_",
            "echo a > f && git add f .husky && git commit -qm one && rm hook.log",
          ].join(" && "),
        );
        const out = await sh(
          b,
          "echo b >> f && git commit -qam two && echo commit=ok; echo 'echo evil' > .husky/pre-commit 2>/dev/null && echo hook=changed || echo hook=kept",
        );
        expect(out.status, out.stderr).toBe(0);
        expect(report(out)).toEqual({ commit: "ok", hook: "kept" });
        expect(read(b.at("work/hook.log"))).toBe("ran\n");
      },
    );
  });
});
