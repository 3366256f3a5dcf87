/**
 * Where srt keeps its state, and what it accepts there: XDG_RUNTIME_DIR only
 * when it is a private directory of the user, else the temp base (through its
 * symlinks); a state directory is used only when lstat says it is a directory,
 * not a link, the user's, mode exactly 0700.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeLinuxFs } from "../../src/runtime/linux/node-deps.js";
import { ensureStateDir, locateStateDir, planStateDirMismatch, stateDirProblem } from "../../src/runtime/state-dir.js";
import { tempDir } from "../support/temp.js";

const uid = process.getuid?.() ?? 0;

function privateDir(name: string): string {
  const d = join(tempDir("srtstate-"), name);
  mkdirSync(d, { mode: 0o700 });
  chmodSync(d, 0o700);
  return d;
}

describe("locateStateDir", () => {
  it("uses $XDG_RUNTIME_DIR/srt when XDG_RUNTIME_DIR is a private directory of the user", () => {
    const xdg = privateDir("xdg");
    expect(locateStateDir({ XDG_RUNTIME_DIR: xdg, TMPDIR: "/tmp" }, uid)).toBe(join(xdg, "srt"));
  });

  it("falls back to <tmp>/srt-<uid> when XDG_RUNTIME_DIR is unset, relative, shared, a link or someone else's", () => {
    const tmp = privateDir("tmp");
    const open = privateDir("open");
    chmodSync(open, 0o755);
    const link = join(tmp, "..", "link");
    symlinkSync(privateDir("target"), link);
    const cases: (string | undefined)[] = [undefined, "relative/dir", open, link, join(tmp, "missing")];
    if (uid === 0) {
      const theirs = privateDir("theirs");
      chownSync(theirs, 12345, 12345);
      cases.push(theirs);
    }
    for (const xdg of cases)
      expect(locateStateDir({ XDG_RUNTIME_DIR: xdg, TMPDIR: tmp }, uid), String(xdg)).toBe(join(tmp, `srt-${uid}`));
  });

  it("reads the temp base as os.tmpdir() does, resolved through symlinks", () => {
    const real = privateDir("real");
    const link = join(real, "..", "tmp-link");
    symlinkSync(real, link);
    expect(locateStateDir({ TMPDIR: `${link}/` }, uid)).toBe(join(real, `srt-${uid}`));
    expect(locateStateDir({ TMP: real }, uid)).toBe(join(real, `srt-${uid}`));
    expect(locateStateDir({}, uid)).toBe(`/tmp/srt-${uid}`);
  });
});

describe("ensureStateDir", () => {
  it("creates it with mode 0700 whatever the umask, and its runs directory", () => {
    const base = privateDir("base");
    const old = process.umask(0o277);
    try {
      const state = ensureStateDir(nodeLinuxFs, join(base, "srt-x"), uid);
      expect(lstatSync(state).mode & 0o7777).toBe(0o700);
      expect(lstatSync(join(state, "runs")).isDirectory()).toBe(true);
    } finally {
      process.umask(old);
    }
  });

  it("refuses a symlink, a file, another mode or another owner, saying how to fix it", () => {
    const base = privateDir("base");
    const target = privateDir("target");
    symlinkSync(target, join(base, "link"));
    writeFileSync(join(base, "file"), "");
    mkdirSync(join(base, "open"), { mode: 0o755 });
    chmodSync(join(base, "open"), 0o755);
    expect(() => ensureStateDir(nodeLinuxFs, join(base, "link"), uid)).toThrow(/is a symlink.*rm -rf/);
    expect(() => ensureStateDir(nodeLinuxFs, join(base, "file"), uid)).toThrow(/not a directory/);
    expect(() => ensureStateDir(nodeLinuxFs, join(base, "open"), uid)).toThrow(/mode is 0755, not 0700/);
    if (uid === 0) {
      mkdirSync(join(base, "theirs"), { mode: 0o700 });
      chownSync(join(base, "theirs"), 12345, 12345);
      expect(stateDirProblem(nodeLinuxFs, join(base, "theirs"), uid)).toMatch(/owned by uid 12345/);
    }
  });
});

describe("planStateDirMismatch", () => {
  it("accepts only the state directory the plan was compiled for", () => {
    expect(planStateDirMismatch("/run/user/1/srt", "/run/user/1/srt")).toBeUndefined();
    expect(planStateDirMismatch("/tmp/srt-1", "/run/user/1/srt")).toMatch(
      /compiled for srt's state directory \/tmp\/srt-1.*recompile/,
    );
    expect(planStateDirMismatch(undefined, "/tmp/srt-1")).toMatch(/older srt/);
  });
});
