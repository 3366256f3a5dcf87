/**
 * git's own directories and what its config points at: commondir held as
 * ".", config.worktree, linked worktrees' admin files, bare repositories,
 * core.hooksPath and includes (in the repository, above a writable root, in
 * the global config), and failing closed where srt cannot read config as git
 * would.
 */
import { describe, expect, it } from "vitest";
import { compileSettings, type PathRule, type Policy } from "../../src/compiler/index.js";
import { createFixtureHost, type FixtureFs } from "../support/fixture-host.js";

const env = { cwd: "/h/p", home: "/h" };
const repo = (at: string, config = "[core]\n\tbare = false\n"): FixtureFs => ({
  dirs: [`${at}/objects`, `${at}/refs`, `${at}/hooks`],
  contents: { [`${at}/HEAD`]: "ref: refs/heads/main\n", [`${at}/config`]: config },
});
const merge = (...fss: FixtureFs[]): FixtureFs => ({
  dirs: fss.flatMap((f) => f.dirs ?? []),
  files: fss.flatMap((f) => f.files ?? []),
  contents: Object.assign({}, ...fss.map((f) => f.contents ?? {})),
  symlinks: Object.assign({}, ...fss.map((f) => f.symlinks ?? {})),
});

function compile(fs: FixtureFs, settings: object = {}, cwd = env.cwd) {
  return compileSettings({
    text: JSON.stringify(settings),
    file: "/etc/srt.json",
    host: createFixtureHost(fs, { ...env, cwd }),
    target: "linux",
  });
}
const denies = (p: Policy | undefined): PathRule[] =>
  (p?.filesystem.rules ?? []).filter(
    (r): r is PathRule => r.kind === "path" && r.access === "write" && r.effect === "deny",
  );
const denied = (p: Policy | undefined, path: string): PathRule | undefined => denies(p).find((d) => d.path === path);

describe("git directories", () => {
  it("a missing commondir is held containing '.', config.worktree held empty, in the repository and each submodule's", () => {
    const r = compile(merge(repo("/h/p/.git"), repo("/h/p/.git/modules/lib")));
    for (const g of ["/h/p/.git", "/h/p/.git/modules/lib"]) {
      expect(denied(r.policy, `${g}/commondir`)).toMatchObject({
        node: "absent",
        content: ".",
        origin: "mandatory:git-commondir",
      });
      expect(denied(r.policy, `${g}/config.worktree`)).toMatchObject({
        node: "absent",
        origin: "mandatory:git-repo-config",
      });
      expect(denied(r.policy, `${g}/config.worktree`)?.content).toBeUndefined();
    }
  });

  it("a linked worktree's admin dir: commondir and gitdir protected when there (not held when missing), config.worktree held", () => {
    const fs = merge(repo("/h/p/.git"), {
      contents: {
        "/h/p/.git/worktrees/a/commondir": "../..\n",
        "/h/p/.git/worktrees/a/gitdir": "/h/p/a/.git\n",
        "/h/p/.git/worktrees/a/HEAD": "x\n",
        "/h/p/.git/worktrees/b/HEAD": "x\n",
      },
    });
    const r = compile(fs);
    expect(denied(r.policy, "/h/p/.git/worktrees/a/commondir")).toMatchObject({
      node: "file",
      origin: "mandatory:git-worktree-link",
    });
    expect(denied(r.policy, "/h/p/.git/worktrees/a/gitdir")).toMatchObject({ node: "file" });
    expect(denied(r.policy, "/h/p/.git/worktrees/a/config.worktree")).toMatchObject({
      node: "absent",
      origin: "mandatory:git-worktree-config",
    });
    expect(denied(r.policy, "/h/p/.git/worktrees/b/commondir")).toBeUndefined();
  });

  it("a bare repository is found by its contents; allowGitConfig frees config and config.worktree, not hooks or commondir", () => {
    const r = compile(repo("/h/p/x/srv.git"), { filesystem: { allowGitConfig: true } });
    expect(denied(r.policy, "/h/p/x/srv.git/hooks")).toBeDefined();
    expect(denied(r.policy, "/h/p/x/srv.git/commondir")).toBeDefined();
    expect(denied(r.policy, "/h/p/x/srv.git/config")).toBeUndefined();
    expect(denied(r.policy, "/h/p/x/srv.git/config.worktree")).toBeUndefined();
  });

  it("a writable root inside a git directory keeps what overlaps it protected", () => {
    const r = compile(merge(repo("/h/p/.git"), repo("/h/p/.git/modules/lib")), {
      filesystem: { allowWrite: [".git/modules/lib/config", ".git/modules"] },
    });
    expect(denied(r.policy, "/h/p/.git/modules/lib/config")).toBeDefined();
    expect(denied(r.policy, "/h/p/.git/modules/lib/commondir")).toBeDefined();
  });
});

describe("where git config points", () => {
  it("core.hooksPath of the repository, relative to its worktree, existing or not", () => {
    const r = compile(
      merge(repo("/h/p/.git", "[core]\n\thooksPath = .githooks\n[core]\n\thooksPath = ~/global-hooks\n")),
    );
    expect(denied(r.policy, "/h/p/.githooks")).toMatchObject({
      node: "absent",
      shape: "dir",
      origin: "mandatory:git-hooks-path",
    });
    expect(denied(r.policy, "/h/global-hooks")).toBeUndefined(); // not writable: nothing to do
  });

  it("core.bare (also as a bare key) makes relative hooks paths relative to the git directory", () => {
    const r = compile(repo("/h/p/.git", "[core]\n\tbare\n\thooksPath = hk\n"));
    expect(denied(r.policy, "/h/p/.git/hk")).toBeDefined();
  });

  it("a repository above the writable root: its hooks path can land inside it", () => {
    const r = compile(repo("/h/r/.git", "[core]\n\thooksPath = sub/hooks\n"), {}, "/h/r/sub");
    expect(denied(r.policy, "/h/r/sub/hooks")).toBeDefined();
  });

  it("the global config's relative hooks path, for every repository; its includes, followed", () => {
    const fs = merge(repo("/h/p/.git"), repo("/h/p/vendor/.git"), {
      contents: {
        "/h/.gitconfig": "[include]\n\tpath = .config/git/extra\n",
        "/h/.config/git/extra": '[core]\n\thooksPath = .hooks\n[includeIf "gitdir:/h/p/"]\n\tpath = /h/p/inc.cfg\n',
      },
    });
    const r = compile(fs);
    for (const p of ["/h/p/.hooks", "/h/p/vendor/.hooks", "/h/p/inc.cfg"]) expect(denied(r.policy, p), p).toBeDefined();
  });

  it("an include cycle ends; a hooks path in an included file counts", () => {
    const r = compile(
      merge(repo("/h/p/.git", "[include]\n\tpath = ../a.cfg\n"), {
        contents: {
          "/h/p/a.cfg": "[include]\n\tpath = b.cfg\n",
          "/h/p/b.cfg": "[include]\n\tpath = a.cfg\n[core]\n\thooksPath = deep\n",
        },
      }),
    );
    for (const p of ["/h/p/a.cfg", "/h/p/b.cfg", "/h/p/deep"]) expect(denied(r.policy, p), p).toBeDefined();
  });

  it("a hooks path behind a symlink in the project: the target and the link are both protected (the link fails the compile on Linux)", () => {
    const r = compile(
      merge(repo("/h/p/.git", "[core]\n\thooksPath = .githooks\n"), {
        dirs: ["/h/p/tools/hooks"],
        symlinks: { "/h/p/.githooks": "tools/hooks" },
      }),
    );
    expect(r.diagnostics.map((d) => d.code)).toEqual(["SRT307"]);
  });

  it.each([
    ["a config git would refuse", '[core]\n\thooksPath = "open\n', /line 2 is not valid git config/],
    ["~user in a hooks path", "[core]\n\thooksPath = ~bob/hooks\n", /cannot resolve ~bob\/hooks/],
    ["%(prefix) in an include", "[include]\n\tpath = %(prefix)/etc/x\n", /cannot resolve %\(prefix\)/],
    ["a config over 1 MiB", `# ${"x".repeat(1 << 20)}\n`, /larger than/],
  ])("fails closed (SRT321) on %s", (_, config, message) => {
    const r = compile(repo("/h/p/.git", config));
    expect(r.policy).toBeUndefined();
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: "SRT321", message: expect.stringMatching(message) }),
    ]);
  });
});
