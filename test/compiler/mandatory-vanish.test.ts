/**
 * The mandatory walk in a directory other runs change meanwhile: a directory
 * that is gone between the listing that showed it and its own listing (another
 * run's `.git` placeholder removed, a concurrent `rm -rf`) is treated as if the
 * walk had never seen it; anything else that went wrong there still refuses.
 */
import { describe, expect, it } from "vitest";
import { compileSettings } from "../../src/compiler/index.js";
import type { Host, HostErrorCode } from "../../src/compiler/host.js";
import { createFixtureHost, type FixtureFs } from "../support/fixture-host.js";

const env = { cwd: "/w", home: "/h" };

/**
 * The machine as `before` until the first listing of `victim`, as `after` from
 * then on: the victim changes exactly between being listed by its parent and
 * being listed itself. `fail` makes that listing fail with a code of its own.
 */
function racingHost(before: FixtureFs, after: FixtureFs, victim: string, fail?: HostErrorCode): Host {
  const [b, a] = [createFixtureHost(before, env), createFixtureHost(after, env)];
  let now = b;
  return {
    lstat: (p) => now.lstat(p),
    realpath: (p) => now.realpath(p),
    readdir: (p) => {
      if (p !== victim) return now.readdir(p);
      now = a;
      return fail === undefined ? now.readdir(p) : { ok: false, code: fail };
    },
    readlink: (p) => now.readlink(p),
    readFile: (p, max) => now.readFile(p, max),
    now: () => 0,
    env: b.env,
  };
}

const compile = (host: Host) => compileSettings({ text: "{}", file: "/h/.srt-settings.json", host, target: "linux" });

const errors = (r: ReturnType<typeof compile>) =>
  r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);

/** The race's compile says exactly what a compile of `after` alone says. */
function expectAsIfNeverSeen(before: FixtureFs, after: FixtureFs, victim: string): void {
  const raced = compile(racingHost(before, after, victim));
  const later = compile(createFixtureHost(after, env));
  expect(errors(raced)).toEqual([]);
  expect(raced.policy).toEqual(later.policy);
  expect(raced.diagnostics).toEqual(later.diagnostics);
}

describe("a directory gone between being listed and being read", () => {
  it("another run's .git placeholder: held again, as in a walk that never saw it", () => {
    expectAsIfNeverSeen({ dirs: ["/w/.git", "/w/src"] }, { dirs: ["/w/src"] }, "/w/.git");
    const rules = compile(racingHost({ dirs: ["/w/.git"] }, { dirs: [] }, "/w/.git")).policy?.filesystem.rules ?? [];
    expect(rules.filter((r) => r.kind === "path" && r.path === "/w/.git")).toMatchObject([
      { effect: "deny", access: "write", node: "absent", shape: "dir", origin: "mandatory:git-link" },
    ]);
  });

  it("a repository below the top: nothing protected for it, as when it is absent", () => {
    const before = {
      dirs: ["/w/sub/.git/hooks", "/w/sub/.git/objects", "/w/sub/.git/refs"],
      files: ["/w/sub/.git/HEAD"],
    };
    expectAsIfNeverSeen(before, { dirs: ["/w/sub"] }, "/w/sub/.git");
  });

  it("a plain directory with a repository inside (rm -rf meanwhile)", () => {
    const before = { dirs: ["/w/build/x/.git/hooks", "/w/build/x/.vscode"], files: ["/w/build/x/.git/HEAD"] };
    expectAsIfNeverSeen(before, { dirs: ["/w"] }, "/w/build");
  });

  it("a bare repository's directory", () => {
    const bare = { dirs: ["/w/r.git/objects", "/w/r.git/refs", "/w/r.git/hooks"], files: ["/w/r.git/HEAD"] };
    expectAsIfNeverSeen(bare, { dirs: ["/w"] }, "/w/r.git");
  });

  it("a linked worktree's admin directory (git worktree prune meanwhile)", () => {
    const git = { dirs: ["/w/.git/objects", "/w/.git/refs", "/w/.git/hooks"], files: ["/w/.git/HEAD"] };
    const before = {
      ...git,
      dirs: [...git.dirs, "/w/.git/worktrees/x"],
      files: [...git.files, "/w/.git/worktrees/x/gitdir"],
    };
    expectAsIfNeverSeen(before, { ...git, dirs: [...git.dirs, "/w/.git/worktrees"] }, "/w/.git/worktrees/x");
  });
});

describe("a directory that failed to list but is not gone still refuses (SRT300)", () => {
  const refused = (r: ReturnType<typeof compile>, at: string, code: HostErrorCode) => {
    expect(r.policy).toBeUndefined();
    expect(errors(r)).toEqual([
      `SRT300 cannot list ${at} (${code}) while searching for files that must stay write-protected`,
    ]);
  };

  it("replaced by a file: a .git file redirects git, a later walk would protect it", () => {
    refused(compile(racingHost({ dirs: ["/w/.git"] }, { files: ["/w/.git"] }, "/w/.git")), "/w/.git", "ENOTDIR");
    refused(compile(racingHost({ dirs: ["/w/a/b"] }, { files: ["/w/a/b"] }, "/w/a/b")), "/w/a/b", "ENOTDIR");
  });

  it("replaced by a dangling symlink: readdir says ENOENT, but something is there", () => {
    const after = { dirs: ["/w"], symlinks: { "/w/.git": "/w/later" } };
    refused(compile(racingHost({ dirs: ["/w/.git"] }, after, "/w/.git")), "/w/.git", "ENOENT");
    const deeper = { dirs: ["/w/a"], symlinks: { "/w/a/b": "/nowhere" } };
    refused(compile(racingHost({ dirs: ["/w/a/b"] }, deeper, "/w/a/b")), "/w/a/b", "ENOENT");
  });

  it("ENOENT from a directory that is still there (a child gone while the Host looked at it)", () => {
    const fs = { dirs: ["/w/a/b", "/w/.git"] };
    refused(compile(racingHost(fs, fs, "/w/a/b", "ENOENT")), "/w/a/b", "ENOENT");
    refused(compile(racingHost(fs, fs, "/w/.git", "ENOENT")), "/w/.git", "ENOENT");
  });

  it("EIO and ELOOP, also when the directory is gone too", () => {
    refused(compile(racingHost({ dirs: ["/w/a/b"] }, { dirs: ["/w/a"] }, "/w/a/b", "EIO")), "/w/a/b", "EIO");
    refused(compile(racingHost({ dirs: ["/w/.git"] }, { dirs: ["/w"] }, "/w/.git", "ELOOP")), "/w/.git", "ELOOP");
  });

  it("EACCES is not taken for gone: the directory is protected whole, as before", () => {
    const r = compile(racingHost({ dirs: ["/w/a/b"] }, { dirs: ["/w/a"] }, "/w/a/b", "EACCES"));
    expect(errors(r)).toEqual([]);
    expect(r.policy?.filesystem.rules.filter((x) => x.kind === "path" && x.origin === "mandatory:unlistable")).toEqual([
      expect.objectContaining({ path: "/w/a", node: "dir", effect: "deny" }),
    ]);
  });
});
