/**
 * The compile memo on a real file system (runtime/compile-memo-store.ts): the real compiler and
 * Host on a project in a temp directory, the memo in a private state directory. A reused compile
 * must be the compile; a change anywhere in the tree must make srt compile again; a memo file
 * that is not srt's own (planted, shared, a link, damaged, for other settings) is never used.
 * The file times are the kernel's; only "settled" is told by a clock set 10 s ahead, so the test
 * need not wait out compile-memo.ts's settleMs (test/linux/compile-memo.test.ts waits, for real).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSettings, type CompileInput, type CompileResult } from "../../src/compiler/compile.js";
import { readCheckedFile, writeCheckedFile } from "../../src/runtime/checked-file.js";
import { memoizedCompile, nodeMemoDeps, type MemoWriter } from "../../src/runtime/compile-memo-store.js";
import { createNodeHost } from "../../src/runtime/node-host.js";
import { tempDir } from "../support/temp.js";

const uid = process.getuid?.() ?? 0;

function project(): { cwd: string; state: string; memoDir: string } {
  const root = tempDir("srtmemo-");
  const cwd = join(root, "work");
  for (const d of ["work", "work/src", "work/src/deep", "work/vendor/lib", "home"])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(cwd, "src/deep/index.js"), "");
  const state = join(root, "srt-state");
  mkdirSync(state, { mode: 0o700 });
  chmodSync(state, 0o700);
  return { cwd, state, memoDir: join(state, "compile-memo") };
}

/** A compile as the CLI makes it, with the clock 10 s ahead (every directory settled); `later` as the run mode's. */
function run(p: { cwd: string; state: string }, text = "{}", later?: MemoWriter) {
  const host = createNodeHost({
    cwd: p.cwd,
    home: join(p.cwd, "../home"),
    env: { PATH: "/usr/bin" },
    stateDir: p.state,
  });
  const deps = { ...nodeMemoDeps(), nowMs: () => Date.now() + 10_000 };
  const input = { text, file: join(p.cwd, "settings.json"), target: "linux" as const, settingsLookup: [] };
  const place = { stateDir: p.state, uid, build: "test-build" };
  const memo = memoizedCompile(input, host, place, compileSettings, deps, later);
  const fresh = compileSettings({ ...input, host });
  return { ...memo, fresh };
}

describe.runIf(process.platform === "linux")("compile memo on disk", () => {
  it("reuses the compile while nothing changed, and it is the same compile", () => {
    const p = project();
    const first = run(p);
    expect(first.how).toBe("compiled");
    expect(first.result.policy).toBeDefined();
    const second = run(p);
    expect(second.how).toMatch(/^reused/);
    expect(second.result).toEqual(second.fresh);
    expect(readdirSync(p.memoDir)).toHaveLength(1);
  });

  it("compiles again when a repository appears deep in the tree, and protects it", () => {
    const p = project();
    run(p);
    const bare = join(p.cwd, "vendor/lib/x");
    for (const d of ["", "objects", "refs"]) mkdirSync(join(bare, d));
    writeFileSync(join(bare, "HEAD"), "ref: refs/heads/main\n");
    const after = run(p);
    expect(after.how).toMatch(/^compiled \(the memo.s answer to readdir .*vendor\/lib changed\)/);
    expect(after.result).toEqual(after.fresh);
    expect(JSON.stringify(after.result.policy)).toContain(`${bare}/hooks`);
  });

  it("a write left for later happens only when it runs, and writes the memo the compile recorded", () => {
    const p = project();
    const writes: (() => string | undefined)[] = [];
    const later: MemoWriter = (w) => void writes.push(w);
    expect(run(p, "{}", later).how).toBe("compiled");
    expect(writes).toHaveLength(1);
    // Not run (a run whose command never started): no memo, and the next compile compiles.
    expect(existsSync(p.memoDir)).toBe(false);
    expect(run(p, "{}", later).how).toBe("compiled");
    expect(writes[1]!()).toBeUndefined();
    const reused = run(p, "{}", later);
    expect(reused.how).toMatch(/^reused/);
    expect(reused.result).toEqual(reused.fresh);
    expect(readdirSync(p.memoDir)).toHaveLength(1);
    // A change after the compile and before the write is still found: the states are the compile's.
    writes.length = 0;
    writeFileSync(join(p.cwd, "src/deep/later.js"), "");
    expect(run(p, "{}", later).how).toMatch(/^compiled \(the memo.s answer to readdir .*src\/deep changed\)/);
    mkdirSync(join(p.cwd, "src/deep/.git"));
    expect(writes[0]!()).toBeUndefined();
    expect(run(p).how).toMatch(/^compiled \(the memo.s answer to readdir .*src\/deep changed\)/);
  });

  it("compiles again for other settings, and keeps a memo for each", () => {
    const p = project();
    run(p);
    const other = run(p, JSON.stringify({ filesystem: { denyRead: ["~/.ssh"] } }));
    expect(other.how).toBe("compiled");
    expect(readdirSync(p.memoDir)).toHaveLength(2);
  });

  it("never uses a memo file that is a link, that others may write, or that was damaged", () => {
    const spoil: ((file: string) => void)[] = [
      (file) => {
        const elsewhere = `${file}.elsewhere`;
        renameSync(file, elsewhere);
        symlinkSync(elsewhere, file);
      },
      (file) => chmodSync(file, 0o666),
      (file) => {
        const bytes = readFileSync(file);
        bytes[bytes.length - 5]! ^= 0x01;
        writeFileSync(file, bytes);
      },
    ];
    for (const s of spoil) {
      const p = project();
      run(p);
      const [name] = readdirSync(p.memoDir);
      s(join(p.memoDir, name!));
      expect(run(p).how).toBe("compiled");
    }
  });

  it("a result that holds the variables themselves depends on all of them", () => {
    const p = project();
    const vars: Record<string, string> = { A: "1" };
    const compile = (input: CompileInput): CompileResult =>
      ({ diagnostics: [], policy: { kept: input.host.env.vars } }) as unknown as CompileResult;
    const once = () => {
      const host = createNodeHost({ cwd: p.cwd, env: vars, stateDir: p.state });
      const input = { text: "{}", file: "x", target: "linux" as const };
      return memoizedCompile(input, host, { stateDir: p.state, uid, build: "test-build" }, compile).result;
    };
    expect(once()).toEqual({ diagnostics: [], policy: { kept: { A: "1" } } });
    vars["A"] = "2";
    expect(once()).toEqual({ diagnostics: [], policy: { kept: { A: "2" } } });
  });

  it("never uses a memo, however well checksummed, whose trace holds a question it does not know", () => {
    const p = project();
    run(p);
    const [name] = readdirSync(p.memoDir);
    const file = join(p.memoDir, name!);
    const [magic, key] = readFileSync(file, "utf8").split("\n");
    const kind = { magic: magic!, key: key!, maxBytes: 1 << 25 };
    const payload = readCheckedFile(p.state, p.memoDir, name!, kind, uid).data!;
    const stored = JSON.parse(payload.toString("utf8")) as { trace: { calls: unknown[] } };
    expect(run(p).how).toMatch(/^reused/);
    stored.trace.calls.push({ op: "chmod", path: p.cwd, answer: "x" });
    const keep = { count: 32, suffix: ".json" };
    expect(
      writeCheckedFile(p.state, p.memoDir, name!, kind, uid, Buffer.from(JSON.stringify(stored)), keep),
    ).toBeUndefined();
    expect(run(p).how).toMatch(/^compiled/);
  });

  it("keeps nothing when the state directory is not private", () => {
    const p = project();
    chmodSync(p.state, 0o755);
    expect(run(p).how).toMatch(/^compiled \(not kept: .*not a private directory/);
    expect(run(p).how).toMatch(/^compiled/);
  });
});
