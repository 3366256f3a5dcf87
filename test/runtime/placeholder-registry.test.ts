/**
 * The placeholder registry's rules, on real directories without bwrap: per-path
 * reference counts (a placeholder goes when the last live run holding its path
 * ends), holds that cover placeholders another run created, dead runs that no
 * longer hold anything, and records trusted only while the node is the very one
 * srt created. The same rules under real sandboxes: test/linux/host-state.test.ts.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Placeholder } from "../../src/backends/bwrap/index.js";
import {
  readRecords,
  registerAndCreate,
  releaseRun,
  releaseRunAsync,
  removeIfOurs,
  type Registry,
} from "../../src/runtime/linux/placeholder-registry.js";
import { nodeLinuxDeps } from "../../src/runtime/linux/node-deps.js";
import { withLock } from "../../src/runtime/linux/state-lock.js";
import { ensureStateDir } from "../../src/runtime/state-dir.js";
import { tempDir } from "../support/temp.js";

const uid = process.getuid?.() ?? 0;
const os = nodeLinuxDeps();
let root: string;
let state: string;
let work: string;
beforeEach(() => {
  root = tempDir("srtreg-");
  state = ensureStateDir(os.fs, join(root, "state"), uid);
  work = join(root, "work");
  mkdirSync(work);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const file = (rel: string): Placeholder => ({ path: join(work, rel), kind: "file", origin: ["default:test"] });
const dir = (rel: string): Placeholder => ({ path: join(work, rel), kind: "dir", origin: ["default:test"] });

/** A run as runLinux makes it: its directory first, then its holds. */
function run(placeholders: readonly Placeholder[]): Registry {
  const reg: Registry = { state, runId: os.runId(), uid };
  mkdirSync(join(state, "runs", reg.runId), { mode: 0o700 });
  registerAndCreate(os, reg, placeholders);
  return reg;
}

const there = (rel: string): boolean => existsSync(join(work, rel));

describe("placeholder registry", () => {
  // releaseRunAsync removes the directories of one depth at once: the same rules must hold for both.
  describe.each([
    ["releaseRun", releaseRun],
    ["releaseRunAsync", releaseRunAsync],
  ] as const)("released with %s", (_, release) => {
    it("creates what is missing, and the run's end removes it", async () => {
      const a = run([file(".bashrc"), file(".vscode/tasks.json"), dir(".git")]);
      expect([there(".bashrc"), there(".vscode/tasks.json"), there(".git")]).toEqual([true, true, true]);
      expect(lstatSync(join(work, ".git")).isDirectory()).toBe(true);
      await release(os, a);
      expect([there(".bashrc"), there(".vscode"), there(".git")]).toEqual([false, false, false]);
      expect(existsSync(join(state, "placeholders"))).toBe(false);
    });

    it("counts per path: a run that ends elsewhere removes its own at once, not when the user's last run ends", async () => {
      const a = run([file(".bashrc")]);
      const b = run([file("b/.bashrc")]);
      await release(os, b);
      expect(there("b/.bashrc")).toBe(false);
      expect(there("b")).toBe(false);
      expect(there(".bashrc")).toBe(true);
      await release(os, a);
      expect(there(".bashrc")).toBe(false);
    });

    it("a run holds the paths it binds that another run created; they stay until it ends", async () => {
      const a = run([file(".bashrc"), file(".vscode/tasks.json")]);
      const b = run([file(".bashrc"), file(".vscode/tasks.json")]); // compiled while a's existed
      await release(os, a);
      expect(there(".bashrc")).toBe(true);
      // A directory a created stays while any held path lies below it.
      expect(there(".vscode/tasks.json")).toBe(true);
      await release(os, b);
      expect([there(".bashrc"), there(".vscode")]).toEqual([false, false]);
    });

    it("a run whose process is gone holds nothing, and its directory is removed", async () => {
      const a = run([file(".bashrc")]);
      const dead = run([file(".bashrc")]);
      // Same pid, another start time: a later process that reused the pid, not the run.
      writeFileSync(
        join(state, "runs", dead.runId, "holds"),
        JSON.stringify({ pid: process.pid, start: "1", paths: [join(work, ".bashrc")] }),
      );
      await release(os, a);
      expect(there(".bashrc")).toBe(false);
      expect(existsSync(join(state, "runs", dead.runId))).toBe(false);
    });

    it("a holds file it cannot read keeps everything (the safe mistake)", async () => {
      const a = run([file(".bashrc")]);
      const other = run([]);
      writeFileSync(join(state, "runs", other.runId, "holds"), "{ damaged");
      await release(os, a);
      expect(there(".bashrc")).toBe(true);
    });

    it("releasing twice is harmless (srt and its watchdog may both do it)", async () => {
      const a = run([file(".bashrc")]);
      const b = run([file("x/.bashrc")]);
      await release(os, b);
      await release(os, b);
      expect(there(".bashrc")).toBe(true);
      await release(os, a);
    });

    it("a path that appeared before the run is the user's: held, never recorded, never removed", async () => {
      writeFileSync(join(work, ".bashrc"), "");
      const a = run([file(".bashrc")]);
      expect(readRecords(os.fs, state)).toEqual([]);
      await release(os, a);
      expect(there(".bashrc")).toBe(true);
    });
    it("removes created directories at every depth, children before parents, and keeps one that was filled", async () => {
      const a = run([dir(".a/.b/.c"), dir(".a/.d"), dir(".e"), file(".a/.b/f")]);
      expect([there(".a/.b/.c"), there(".a/.d"), there(".e"), there(".a/.b/f")]).toEqual([true, true, true, true]);
      writeFileSync(join(work, ".e", "mine"), "user data");
      // rmdirs promises no order within a call: the last given goes first here.
      const reversed = { ...os, fs: { ...os.fs, rmdirs: (ps: readonly string[]) => os.fs.rmdirs([...ps].reverse()) } };
      await release(reversed, a);
      expect([there(".a"), there(".e/mine")]).toEqual([false, true]);
      // The filled one is forgotten, not removed later.
      expect(existsSync(join(state, "placeholders"))).toBe(false);
      expect(existsSync(join(state, "lock"))).toBe(false);
    });

    it("keeps a directory replaced since (another inode), and the parent holding it", async () => {
      const a = run([dir(".a/.b")]);
      renameSync(join(work, ".a", ".b"), join(work, "moved"));
      mkdirSync(join(work, ".a", ".b"));
      await release(os, a);
      expect([there(".a/.b"), there("moved")]).toEqual([true, true]);
    });
  });

  describe("records are trusted only while the node is the one srt created", () => {
    const recordOf = (path: string, kind: "file" | "dir" = "file") => {
      const st = lstatSync(path, { bigint: true });
      return { path, kind, dev: st.dev.toString(), ino: st.ino.toString() };
    };

    it("removes an unchanged empty file or empty directory", () => {
      writeFileSync(join(work, "f"), "");
      mkdirSync(join(work, "d"));
      expect(removeIfOurs(os.fs, recordOf(join(work, "f")), uid)).toBe("removed");
      expect(removeIfOurs(os.fs, recordOf(join(work, "d"), "dir"), uid)).toBe("removed");
    });

    it("keeps a file replaced since (other inode), one written to, a symlink, another kind, another owner", () => {
      writeFileSync(join(work, "f"), "");
      const r = recordOf(join(work, "f"));
      renameSync(join(work, "f"), join(work, "f.old")); // still linked: the new f cannot reuse its inode
      writeFileSync(join(work, "f"), "");
      expect(removeIfOurs(os.fs, r, uid)).toBe("kept");
      expect(existsSync(join(work, "f"))).toBe(true);

      writeFileSync(join(work, "full"), "");
      const full = recordOf(join(work, "full"));
      writeFileSync(join(work, "full"), "data");
      expect(removeIfOurs(os.fs, full, uid)).toBe("kept");

      writeFileSync(join(work, "target"), "");
      symlinkSync(join(work, "target"), join(work, "link"));
      expect(removeIfOurs(os.fs, { ...recordOf(join(work, "target")), path: join(work, "link") }, uid)).toBe("kept");

      mkdirSync(join(work, "d"));
      expect(removeIfOurs(os.fs, { ...recordOf(join(work, "d")), kind: "file" }, uid)).toBe("kept");
      expect(removeIfOurs(os.fs, recordOf(join(work, "target")), uid + 1)).toBe("kept");
      expect([
        existsSync(join(work, "full")),
        lstatSync(join(work, "link")).isSymbolicLink(),
        existsSync(join(work, "d")),
        existsSync(join(work, "target")),
      ]).toEqual([true, true, true, true]);
    });

    it("forged lines in the registry are dropped without touching their paths", () => {
      writeFileSync(join(work, "victim"), "");
      const good = recordOf(join(work, "victim"));
      writeFileSync(
        join(state, "placeholders"),
        [
          `f ${JSON.stringify(join(work, "victim"))}`,
          JSON.stringify({ ...good, ino: "1" }),
          JSON.stringify({ ...good, path: "relative" }),
          "not json",
        ].join("\n") + "\n",
      );
      const a = run([]);
      releaseRun(os, a);
      expect(there("victim")).toBe(true);
      expect(existsSync(join(state, "placeholders"))).toBe(false);
    });
  });

  describe("the lock", () => {
    it("releaseRunAsync holds it while the directories go: a run registering meanwhile would bind what is removed", async () => {
      const a = run([dir(".git"), dir(".vscode")]);
      const seen: boolean[] = [];
      const watching = {
        ...os,
        fs: {
          ...os.fs,
          // The lock is a dangling symlink: lstat, not existsSync.
          rmdirs: (ps: readonly string[]) => (
            seen.push(lstatSync(join(state, "lock"), { throwIfNoEntry: false }) !== undefined),
            os.fs.rmdirs(ps)
          ),
        },
      };
      await releaseRunAsync(watching, a);
      expect(seen).toEqual([true]);
      expect([there(".git"), there(".vscode")]).toEqual([false, false]);
      expect(lstatSync(join(state, "lock"), { throwIfNoEntry: false })).toBeUndefined();
    });

    it("is broken when its owner is dead, and released after use", () => {
      const dead = spawnSync("true").pid!;
      symlinkSync(`${dead} 1`, join(state, "lock"));
      expect(withLock(os, state, () => readlinkSync(join(state, "lock")))).toMatch(new RegExp(`^${process.pid} `));
      expect(existsSync(join(state, "lock"))).toBe(false);
    });

    it("understands an older srt's directory lock: broken when its owner is dead", () => {
      const dead = spawnSync("true").pid!;
      mkdirSync(join(state, "lock"));
      writeFileSync(join(state, "lock", "owner"), `${dead} 1`);
      expect(withLock(os, state, () => lstatSync(join(state, "lock")).isSymbolicLink())).toBe(true);
      expect(existsSync(join(state, "lock"))).toBe(false);
    });

    it("allocates no data block: the owner lives in the symlink's inode", () => {
      const blocks = withLock(os, state, () => Number(lstatSync(join(state, "lock")).blocks));
      expect(blocks).toBe(0);
    });
  });
});
