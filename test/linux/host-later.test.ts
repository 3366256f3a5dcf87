/**
 * What the host runs later: each test lets the sandboxed command try to plant
 * code where a routine host action picks it up (git's commondir,
 * config.worktree, core.hooksPath, config includes, worktree and submodule
 * admin dirs, a bare repository's hooks; agent settings; login-shell files and
 * other home start-up files), then runs that host action for real, as the
 * box's user, and checks that no marker appeared. The payloads write the
 * marker into the box root, which is outside every writable path, so only a
 * program running on the host can create it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  missingTestUser,
  PATH,
  read,
  report,
  runners,
  sh,
  srt,
  supported,
  tree,
  useBox,
  writeSettings,
  type Box,
  skipReason,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p)) ?? "setpriv";

/** Shell: `t NAME cmd…` prints NAME=ok or NAME=<last error line's tail>. */
const T = `t() { n=$1; shift; if err=$( ("$@") 2>&1 ); then echo "$n=ok"; else err=$(printf '%s' "$err" | tail -n1); echo "$n=\${err##*: }"; fi; }\n`;

const gitEnv = {
  GIT_AUTHOR_NAME: "a",
  GIT_AUTHOR_EMAIL: "a@b.invalid",
  GIT_COMMITTER_NAME: "a",
  GIT_COMMITTER_EMAIL: "a@b.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A program on the host, as the box's user (so git's ownership check and file
 * permissions are what they would be for that user), with HOME in the box.
 */
function host(b: Box, script: string, o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Ran {
  const argv =
    b.runner === "srt-test"
      ? [setpriv, `--reuid=${b.uid}`, `--regid=${b.gid}`, "--init-groups", "--", "sh", "-c", script]
      : ["sh", "-c", script];
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd: o.cwd ?? b.work,
    env: { PATH, HOME: b.home, LANG: "C.UTF-8", ...gitEnv, ...o.env },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Host set-up that must work (it runs before the sandbox). */
function setup(b: Box, script: string, cwd?: string): void {
  const r = host(b, `set -e\n${script}`, cwd === undefined ? {} : { cwd });
  if (r.status !== 0) throw new Error(`setup failed (${r.status}): ${r.stderr}`);
}

/** Markers the payloads leave in the box root (outside everything writable). */
const markers = (b: Box): string[] => readdirSync(b.root).filter((n) => n.startsWith("pwned-"));

/** Shell text that makes `dir` a repository git will accept as a common dir, whose config runs `touch marker` from core.fsmonitor. */
const evilCommonDir = (from: string, dir: string, marker: string): string =>
  `mkdir -p ${dir}/objects ${dir}/refs/heads && cp -r ${from}/objects/. ${dir}/objects/ && cp -r ${from}/refs/. ${dir}/refs/ && printf '[core]\\n\\trepositoryformatversion = 0\\n\\tfsmonitor = "touch ${marker}; false"\\n' > ${dir}/config`;

describe.skipIf(lacking(!supported, skipReason))("nothing the command writes runs later on the host", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "git: .git/commondir cannot send the next host `git status` to a config the command wrote",
      async (ctx) => {
        const b = useBox(ctx, runner);
        setup(b, "git init -q . && git commit -q --allow-empty -m init");
        const m = b.at("pwned-commondir");
        const r = report(
          await sh(
            b,
            `${T}${evilCommonDir(".git", "evil", m)}\nt commondir sh -c 'printf "%s\\n" "$PWD/evil" > .git/commondir'`,
          ),
        );
        expect(r["commondir"]).not.toBe("ok");
        const after = host(b, "git status --short");
        expect(after.status, after.stderr).toBe(0);
        expect(markers(b)).toEqual([]);
        // The placeholder that held commondir ("." = this directory) is gone with the run.
        expect(existsSync(b.at("work/.git/commondir"))).toBe(false);
      },
    );

    it.concurrent(
      "git: .git/config.worktree (read once extensions.worktreeConfig is on) cannot name core.fsmonitor",
      async (ctx) => {
        const b = useBox(ctx, runner);
        setup(b, "git init -q . && git commit -q --allow-empty -m init && git config extensions.worktreeConfig true");
        const m = b.at("pwned-config-worktree");
        const r = report(
          await sh(
            b,
            `${T}t cw sh -c 'printf "[core]\\n\\tfsmonitor = \\"touch ${m}; false\\"\\n" > .git/config.worktree'`,
          ),
        );
        expect(r["cw"]).not.toBe("ok");
        const after = host(b, "git status --short");
        expect(after.status, after.stderr).toBe(0);
        expect(markers(b)).toEqual([]);
      },
    );

    it.concurrent(
      "git: the configured core.hooksPath (existing, missing, and a global relative one) cannot be rewritten before the next host `git commit`",
      async (ctx) => {
        const b = useBox(ctx, runner);
        writeFileSync(join(b.home, ".gitconfig"), "[core]\n\thooksPath = .global-hooks\n");
        setup(
          b,
          "mkdir -p repo/.githooks && cd repo && git init -q . && git config core.hooksPath .githooks && printf '#!/bin/sh\\nexit 0\\n' > .githooks/pre-commit && chmod +x .githooks/pre-commit && git commit -q --allow-empty -m init",
        );
        setup(
          b,
          "mkdir later && cd later && git init -q . && git config core.hooksPath hooks-later && git commit -q --allow-empty -m init",
        );
        setup(b, "mkdir global && cd global && git init -q . && git commit -q --allow-empty -m init");
        const hook = (marker: string): string => `printf '#!/bin/sh\\ntouch ${marker}\\n'`;
        const script = [
          T,
          `t existing sh -c "${hook(b.at("pwned-hookspath"))} > repo/.githooks/pre-commit"`,
          `t missing sh -c "mkdir -p later/hooks-later && ${hook(b.at("pwned-hookspath-later"))} > later/hooks-later/pre-commit && chmod +x later/hooks-later/pre-commit"`,
          `t global sh -c "mkdir -p global/.global-hooks && ${hook(b.at("pwned-hookspath-global"))} > global/.global-hooks/pre-commit && chmod +x global/.global-hooks/pre-commit"`,
        ].join("\n");
        const r = report(await sh(b, script));
        expect(r["existing"]).not.toBe("ok");
        expect(r["missing"]).not.toBe("ok");
        expect(r["global"]).not.toBe("ok");
        for (const dir of ["repo", "later", "global"]) {
          const c = host(b, "git commit -q --allow-empty -m later", { cwd: b.at(`work/${dir}`) });
          expect(c.status, `${dir}: ${c.stderr}`).toBe(0);
        }
        expect(markers(b)).toEqual([]);
      },
    );

    it.concurrent(
      "git: a file .git/config includes (include.path, includeIf) cannot be rewritten, existing or not",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/project.gitconfig": "" });
        setup(
          b,
          "git init -q . && git config include.path ../project.gitconfig && git config includeIf.gitdir:/.path ../later.gitconfig && git commit -q --allow-empty -m init",
        );
        const cfg = (marker: string): string => `printf '[core]\\n\\tfsmonitor = \\"touch ${marker}; false\\"\\n'`;
        const r = report(
          await sh(
            b,
            `${T}t inc sh -c "${cfg(b.at("pwned-include"))} > project.gitconfig"\nt incif sh -c "${cfg(b.at("pwned-includeif"))} > later.gitconfig"`,
          ),
        );
        expect(r["inc"]).not.toBe("ok");
        expect(r["incif"]).not.toBe("ok");
        const after = host(b, "git status --short");
        expect(after.status, after.stderr).toBe(0);
        expect(markers(b)).toEqual([]);
      },
    );

    it.concurrent(
      "git: a linked worktree's admin files (commondir, config.worktree) and a worktree of an outside repository keep their hooks",
      async (ctx) => {
        const b = useBox(ctx, runner);
        setup(
          b,
          "mkdir main && cd main && git init -q . && git commit -q --allow-empty -m init && git worktree add -q ../wt && git config extensions.worktreeConfig true",
        );
        // A repository outside the writable area with a worktree inside it: its relative hooksPath lands in the worktree.
        setup(
          b,
          `cd ${b.outside} && git init -q repo && cd repo && git commit -q --allow-empty -m init && git config core.hooksPath .githooks && git worktree add -q ${b.at("work/wt2")}`,
        );
        const script = [
          T,
          evilCommonDir("main/.git", "evil", b.at("pwned-wt-commondir")),
          `t commondir sh -c 'printf "%s\\n" "$PWD/evil" > main/.git/worktrees/wt/commondir'`,
          `t cw sh -c 'printf "[core]\\n\\tfsmonitor = \\"touch ${b.at("pwned-wt-config")}; false\\"\\n" > main/.git/worktrees/wt/config.worktree'`,
          `t gitdir sh -c 'echo /elsewhere/.git > main/.git/worktrees/wt/gitdir'`,
          `t hooks sh -c "mkdir -p wt2/.githooks && printf '#!/bin/sh\\ntouch ${b.at("pwned-wt2-hook")}\\n' > wt2/.githooks/pre-commit && chmod +x wt2/.githooks/pre-commit"`,
        ].join("\n");
        const r = report(await sh(b, script));
        expect(r).toMatchObject({
          commondir: expect.not.stringMatching(/^ok$/),
          cw: expect.not.stringMatching(/^ok$/),
          gitdir: expect.not.stringMatching(/^ok$/),
          hooks: expect.not.stringMatching(/^ok$/),
        });
        const st = host(b, "git status --short", { cwd: b.at("work/wt") });
        expect(st.status, st.stderr).toBe(0);
        const c = host(b, "git commit -q --allow-empty -m later", { cwd: b.at("work/wt2") });
        expect(c.status, c.stderr).toBe(0);
        expect(markers(b)).toEqual([]);
      },
    );

    it.concurrent("git: a submodule's git dir (.git/modules/<name>) keeps commondir, config and hooks", async (ctx) => {
      const b = useBox(ctx, runner);
      setup(b, `cd ${b.outside} && git init -q sub && cd sub && git commit -q --allow-empty -m sub`);
      setup(
        b,
        `git init -q . && git -c protocol.file.allow=always submodule add -q ${b.at("outside/sub")} lib && git commit -q -m add`,
      );
      const script = [
        T,
        evilCommonDir(".git/modules/lib", "evil", b.at("pwned-sub-commondir")),
        `t commondir sh -c 'printf "%s\\n" "$PWD/evil" > .git/modules/lib/commondir'`,
        `t config sh -c 'printf "[core]\\n\\tfsmonitor = \\"touch ${b.at("pwned-sub-config")}; false\\"\\n" >> .git/modules/lib/config'`,
        `t hook sh -c "printf '#!/bin/sh\\ntouch ${b.at("pwned-sub-hook")}\\n' > .git/modules/lib/hooks/pre-commit && chmod +x .git/modules/lib/hooks/pre-commit"`,
      ].join("\n");
      const r = report(await sh(b, script));
      for (const k of ["commondir", "config", "hook"]) expect(r[k], k).not.toBe("ok");
      const st = host(b, "git status --short && git commit -q --allow-empty -m later", { cwd: b.at("work/lib") });
      expect(st.status, st.stderr).toBe(0);
      expect(markers(b)).toEqual([]);
    });

    it.concurrent(
      "git: a bare repository inside the writable area keeps its hooks (the next host push runs post-receive)",
      async (ctx) => {
        const b = useBox(ctx, runner);
        setup(
          b,
          `git init -q --bare server.git && cd ${b.outside} && git init -q client && cd client && git commit -q --allow-empty -m one`,
        );
        const r = report(
          await sh(
            b,
            `${T}t hook sh -c "printf '#!/bin/sh\\ntouch ${b.at("pwned-bare")}\\n' > server.git/hooks/post-receive && chmod +x server.git/hooks/post-receive"`,
          ),
        );
        expect(r["hook"]).not.toBe("ok");
        const push = host(b, `git push -q ${b.at("work/server.git")} HEAD:refs/heads/main`, {
          cwd: b.at("outside/client"),
        });
        expect(push.status, push.stderr).toBe(0);
        expect(markers(b)).toEqual([]);
      },
    );

    it.concurrent(
      "a writable path named inside a protected one stays protected (allowWrite of a hook file, a file in .vscode, ~/.ssh/config)",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/.vscode/tasks.json": "{}\n", "home/.ssh/config": "# mine\n" });
        setup(
          b,
          "git init -q . && git commit -q --allow-empty -m init && printf '#!/bin/sh\\nexit 0\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit",
        );
        writeSettings(b, {
          filesystem: { allowWrite: [".", ".git/hooks/pre-commit", ".vscode/tasks.json", "~/.ssh/config"] },
        });
        const hook = `printf '#!/bin/sh\\ntouch ${b.at("pwned-named-hook")}\\n' > .git/hooks/pre-commit`;
        const r = report(
          await sh(
            b,
            `${T}t hook sh -c "${hook}"\nt tasks sh -c 'echo "{}" > .vscode/tasks.json'\nt ssh sh -c 'echo "Host *" > ${b.home}/.ssh/config'`,
          ),
        );
        expect(r).toMatchObject({
          hook: expect.not.stringMatching(/^ok$/),
          tasks: expect.not.stringMatching(/^ok$/),
          ssh: expect.not.stringMatching(/^ok$/),
        });
        const c = host(b, "git commit -q --allow-empty -m later");
        expect(c.status, c.stderr).toBe(0);
        expect(markers(b)).toEqual([]);
        expect(read(`${b.home}/.ssh/config`)).toBe("# mine\n");
      },
    );

    it.concurrent(
      "agents and editors: settings with hooks, MCP server lists and task files cannot be created or changed; a missing .claude is an empty read-only directory",
      async (ctx) => {
        const b = useBox(ctx, runner, {
          "work/.claude/settings.json": "{}\n",
          "work/.cursor/mcp.json": "{}\n",
          "work/sub/.gemini/settings.json": "{}\n",
        });
        const targets = [
          ".claude/settings.json",
          ".claude/settings.local.json",
          ".claude/hooks/pre.sh",
          ".cursor/mcp.json",
          ".cursor/hooks.json",
          "sub/.gemini/settings.json",
          ".gemini/settings.json",
          ".codex/config.toml",
          ".continue/config.yaml",
          ".roo/mcp.json",
          ".kiro/hooks/lint.kiro.hook",
          ".amazonq/mcp.json",
          ".opencode/plugin/x.ts",
          "opencode.json",
          ".zed/settings.json",
          ".vscode/tasks.json",
          ".devcontainer/devcontainer.json",
          ".devcontainer.json",
          ".mcp.json",
          ".aider.conf.yml",
          ".cargo/config.toml",
          "pkg/.claude/settings.json",
        ];
        setup(b, "mkdir -p pkg/.claude");
        const before = tree(b.work);
        const w = `w() { if (mkdir -p "$(dirname "$1")" && printf '{"hooks":"touch ${b.root}/pwned-agent"}' > "$1") 2>/dev/null; then echo "$1=written"; else echo "$1=refused"; fi; }\n`;
        const r = report(
          await sh(
            b,
            `${w}${targets.map((t) => `w ${t}`).join("\n")}\nls -ld .claude .codex | cut -c1-10 | tr '\\n' ' ' | sed 's/^/modes=/'; echo`,
          ),
        );
        for (const t of targets) expect(r[t], t).toBe("refused");
        // An absent .claude was held as an empty directory the command could not write (not a writable one with placeholders inside).
        expect(r["modes"]).toMatch(/^dr.x.*dr.x/);
        expect(read(b.at("work/.claude/settings.json"))).toBe("{}\n");
        expect(tree(b.work)).toEqual(before);
        expect(markers(b)).toEqual([]);
      },
    );

    it.concurrent(
      "home start-up files, when home is writable by the settings: login shells, git, ssh, PATH, systemd, editors and others run nothing the command wrote",
      async (ctx) => {
        const b = useBox(ctx, runner, {
          "home/.ssh/authorized_keys": "ssh-ed25519 AAAA user\n",
          "home/.config/fish/config.fish": "# mine\n",
        });
        writeSettings(b, { filesystem: { allowWrite: ["~"] } });
        setup(b, "git init -q . && git commit -q --allow-empty -m init");
        const m = (name: string): string => b.at(`pwned-${name}`);
        // The files bash and git would read first (.bash_profile, .bashrc, .gitconfig) are tried in a second
        // run after the host programs, so that these payloads are the ones they reach if any got through.
        const files: Record<string, string> = {
          ".bash_login": `touch ${m("bash_login")}`,
          ".bash_logout": `touch ${m("bash_logout")}`,
          ".bash_aliases": `touch ${m("bash_aliases")}`,
          ".zlogout": `touch ${m("zlogout")}`,
          ".inputrc": `"\\C-m": "touch ${m("inputrc")}\\n"`,
          ".config/git/config": `[core]\n\tfsmonitor = "touch ${m("xdg_git")}; false"`,
          ".config/fish/config.fish": `touch ${m("fish")}`,
          ".ssh/config": `Host *\n  LocalCommand touch ${m("ssh")}`,
          ".ssh/rc": `touch ${m("ssh_rc")}`,
          ".ssh/authorized_keys": "ssh-ed25519 AAAA attacker",
          ".local/bin/git": `#!/bin/sh\ntouch ${m("local_bin")}`,
          "bin/ls": `#!/bin/sh\ntouch ${m("bin")}`,
          ".config/systemd/user/evil.service": `[Service]\nExecStart=/bin/touch ${m("systemd")}`,
          ".config/autostart/evil.desktop": `[Desktop Entry]\nExec=touch ${m("autostart")}`,
          ".docker/config.json": `{"credsStore": "evil"}`,
          ".kube/config": "users: [{user: {exec: {command: touch}}}]",
          ".vimrc": `!touch ${m("vimrc")}`,
          ".config/nvim/init.lua": `os.execute("touch ${m("nvim")}")`,
          ".gnupg/gpg-agent.conf": `pinentry-program /bin/touch`,
          ".local/lib/python3/site-packages/evil.pth": `import os; os.system("touch ${m("pth")}")`,
          ".tmux.conf": `run-shell "touch ${m("tmux")}"`,
          ".claude.json": `{"mcpServers": {}}`,
        };
        const w = `w() { if (mkdir -p "$(dirname "$1")" && printf '%s\\n' "$2" > "$1" && chmod +x "$1") 2>/dev/null; then echo "$1=written"; else echo "$1=refused"; fi; }\n`;
        const q = (v: string): string => `'${v.replace(/'/g, "'\\''")}'`;
        const script =
          w +
          Object.entries(files)
            .map(([f, v]) => `w ${q(`${b.home}/${f}`)} ${q(v)}`)
            .join("\n");
        const out = await sh(b, script);
        expect(out.status, out.stderr).toBe(0);
        const r = report(out);
        for (const f of Object.keys(files)) expect(r[`${b.home}/${f}`], f).toBe("refused");
        // The programs that would have run them, on the host, with this HOME.
        const runs = [
          host(b, "bash -l -c exit", { env: { PATH } }),
          host(b, "bash -i -c true </dev/null", { env: { PATH } }),
          host(b, "git status --short"),
          host(b, "export PATH=$HOME/bin:$HOME/.local/bin:$PATH; git --version && ls >/dev/null"),
        ];
        for (const x of runs) expect(x.status, x.stderr).toBe(0);
        expect(markers(b)).toEqual([]);
        const later = [
          ".bash_profile",
          ".profile",
          ".bashrc",
          ".gitconfig",
          ".zshrc",
          ".zshenv",
          ".zprofile",
          ".zlogin",
        ];
        const second = report(await sh(b, w + later.map((f) => `w ${q(`${b.home}/${f}`)} 'echo later'`).join("\n")));
        for (const f of later) expect(second[`${b.home}/${f}`], f).toBe("refused");
        expect(read(`${b.home}/.ssh/authorized_keys`)).toBe("ssh-ed25519 AAAA user\n");
        // What srt held for the run is gone with it: home looks as it did.
        expect(tree(b.home)).toEqual([
          ".config/",
          ".config/fish/",
          ".config/fish/config.fish",
          ".ssh/",
          ".ssh/authorized_keys",
        ]);
      },
    );

    it.concurrent(
      "a dotfile in home that links into the writable project (~/.bashrc -> dotfiles/bashrc) is protected where it points",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/bashrc": "# mine\n" });
        symlinkSync(b.at("work/bashrc"), join(b.home, ".bashrc"));
        const r = report(await sh(b, `${T}t rc sh -c 'echo "touch ${b.at("pwned-dotfile")}" >> bashrc'`));
        expect(r["rc"]).not.toBe("ok");
        const x = host(b, "bash -i -c true </dev/null");
        expect(x.status, x.stderr).toBe(0);
        expect(markers(b)).toEqual([]);
        expect(read(b.at("work/bashrc"))).toBe("# mine\n");
      },
    );

    it.concurrent(
      "srt refuses to run from the home directory with the default policy (SRT320), and runs when the settings name it",
      async (ctx) => {
        const b = useBox(ctx, runner);
        const refused = await srt(b, ["-c", `touch ${b.home}/.bash_login`], { cwd: b.home });
        expect(refused.status).toBe(2);
        expect(refused.stderr).toMatch(/error SRT320: .*home directory/);
        expect(existsSync(join(b.home, ".bash_login"))).toBe(false);
        writeFileSync(join(b.home, ".srt-settings.json"), JSON.stringify({ filesystem: { allowWrite: ["."] } }));
        if (b.runner === "srt-test") spawnSync("chown", [`${b.uid}:${b.gid}`, join(b.home, ".srt-settings.json")]);
        const named = await srt(b, ["-c", "touch note.txt; touch .bash_login 2>/dev/null || echo refused=yes"], {
          cwd: b.home,
        });
        expect(named.status, named.stderr).toBe(0);
        expect(report(named)["refused"]).toBe("yes");
        expect(existsSync(join(b.home, "note.txt"))).toBe(true);
        expect(existsSync(join(b.home, ".bash_login"))).toBe(false);
      },
    );
  });
});
