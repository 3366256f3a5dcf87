/**
 * Home start-up files are looked for in the home directory (and where
 * $ZDOTDIR / $XDG_* move them, and where a home entry links to), never as
 * placeholders in every project; a writable root that is home or holds it is
 * refused unless the settings name it.
 */
import { describe, expect, it } from "vitest";
import { compileSettings, type PathRule, type Policy } from "../../src/compiler/index.js";
import { homeNames } from "../../src/compiler/protected-names.js";
import { createFixtureHost, type FixtureEnv, type FixtureFs } from "../support/fixture-host.js";

function compile(settings: object | undefined, fs: FixtureFs, env: FixtureEnv) {
  return compileSettings({
    text: settings === undefined ? undefined : JSON.stringify(settings),
    file: settings === undefined ? "default" : "/etc/srt.json",
    host: createFixtureHost(fs, env),
    target: "linux",
  });
}

const denies = (p: Policy): PathRule[] =>
  p.filesystem.rules.filter((r): r is PathRule => r.kind === "path" && r.access === "write" && r.effect === "deny");
const codes = (r: ReturnType<typeof compile>): string[] => r.diagnostics.map((d) => d.code);

describe("a writable home by default is refused (SRT320)", () => {
  it.each([
    ["the working directory is home", "/home/u"],
    ["the working directory holds home", "/home"],
    ["the working directory is /", "/"],
  ])("%s", (_, cwd) => {
    const r = compile(undefined, { dirs: ["/home/u/p"] }, { cwd, home: "/home/u" });
    expect(r.policy).toBeUndefined();
    expect(codes(r)).toEqual(["SRT320"]);
  });

  it("home reached through a symlink is still home", () => {
    const r = compile(
      undefined,
      { dirs: ["/data/u"], symlinks: { "/home/u": "/data/u" } },
      { cwd: "/data/u", home: "/home/u" },
    );
    expect(codes(r)).toEqual(["SRT320"]);
  });

  it("naming it in allowWrite means it; a project below home needs nothing", () => {
    expect(codes(compile({ filesystem: { allowWrite: ["."] } }, {}, { cwd: "/home/u", home: "/home/u" }))).toEqual([]);
    expect(
      codes(
        compile({ filesystem: { allowWrite: ["~"] } }, { dirs: ["/home/u/p"] }, { cwd: "/home/u/p", home: "/home/u" }),
      ),
    ).toEqual([]);
    expect(codes(compile(undefined, { dirs: ["/home/u/p"] }, { cwd: "/home/u/p", home: "/home/u" }))).toEqual([]);
  });
});

describe("home names", () => {
  it("with home writable, every home name is denied there (a missing one held), and none in a project", () => {
    const r = compile(
      { filesystem: { allowWrite: ["~"] } },
      { dirs: ["/home/u/p"] },
      { cwd: "/home/u/p", home: "/home/u" },
    );
    const paths = new Set(denies(r.policy!).map((d) => d.path));
    for (const n of homeNames) {
      expect(paths.has(`/home/u/${n.name}`), n.name).toBe(true);
      expect(paths.has(`/home/u/p/${n.name}`), n.name).toBe(false);
    }
    const ssh = denies(r.policy!).find((d) => d.path === "/home/u/.ssh")!;
    expect(ssh).toMatchObject({ node: "absent", shape: "dir", origin: "mandatory:ssh-config" });
  });

  it("with home read-only, home names cost nothing (no rule, no placeholder)", () => {
    const r = compile(
      undefined,
      { files: ["/home/u/.bashrc"], dirs: ["/home/u/p"] },
      { cwd: "/home/u/p", home: "/home/u" },
    );
    expect(denies(r.policy!).filter((d) => d.path.startsWith("/home/u/.") || !d.path.startsWith("/home/u/p"))).toEqual(
      [],
    );
  });

  it("a home entry that links into a writable directory is protected at its target", () => {
    const r = compile(
      undefined,
      {
        files: ["/home/u/p/dot/bashrc"],
        symlinks: { "/home/u/.bashrc": "p/dot/bashrc", "/home/u/.config": "p/dot/config" },
        dirs: ["/home/u/p/dot/config/git"],
      },
      { cwd: "/home/u/p", home: "/home/u" },
    );
    const got = denies(r.policy!).map((d) => [d.path, d.origin]);
    expect(got).toContainEqual(["/home/u/p/dot/bashrc", "mandatory:shell-config"]);
    expect(got).toContainEqual(["/home/u/p/dot/config/git", "mandatory:git-config"]);
    // A missing one behind the link is held where it would be created.
    expect(got).toContainEqual(["/home/u/p/dot/config/fish", "mandatory:shell-config"]);
  });

  it("a symlink on the way inside a writable home (~/.config -> dotfiles/config) could be swapped: refused on Linux (SRT307)", () => {
    const r = compile(
      { filesystem: { allowWrite: ["~"] } },
      { dirs: ["/home/u/dotfiles/config"], symlinks: { "/home/u/.config": "dotfiles/config" } },
      { cwd: "/home/u", home: "/home/u" },
    );
    expect(r.policy).toBeUndefined();
    expect(r.diagnostics.filter((d) => d.code === "SRT307").map((d) => d.message)).toEqual([
      expect.stringContaining("/home/u/.config must stay write-protected"),
    ]);
  });

  it("$ZDOTDIR, $XDG_CONFIG_HOME and $XDG_DATA_HOME move names; home's spelling stays protected too", () => {
    const vars = { ZDOTDIR: "/w/zsh", XDG_CONFIG_HOME: "/w/cfg", XDG_DATA_HOME: "/w/data" };
    const r = compile(
      { filesystem: { allowWrite: ["/w", "~"] } },
      { dirs: ["/w", "/home/u/p"] },
      { cwd: "/home/u/p", home: "/home/u", vars },
    );
    const paths = new Set(denies(r.policy!).map((d) => d.path));
    for (const p of [
      "/w/zsh/.zshrc",
      "/w/zsh/.zlogout",
      "/w/cfg/git",
      "/w/cfg/fish",
      "/w/data/applications",
      "/home/u/.zshrc",
      "/home/u/.config/git",
    ])
      expect(paths.has(p), p).toBe(true);
    expect(paths.has("/w/zsh/.bashrc")).toBe(false);
  });

  it("a writable path inside a protected one is denied itself (the deeper allow would otherwise win)", () => {
    const r = compile(
      { filesystem: { allowWrite: ["~/.ssh/config", ".vscode/x", ".git/hooks/pre-commit"] } },
      { files: ["/home/u/.ssh/config", "/home/u/p/.vscode/x", "/home/u/p/.git/hooks/pre-commit"] },
      { cwd: "/home/u/p", home: "/home/u" },
    );
    const got = denies(r.policy!).map((d) => d.path);
    for (const p of ["/home/u/.ssh/config", "/home/u/p/.vscode/x", "/home/u/p/.git/hooks/pre-commit"])
      expect(got, p).toContain(p);
  });
});
