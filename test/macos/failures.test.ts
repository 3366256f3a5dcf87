/**
 * The macOS runner when things go wrong, and its real file-system side, on
 * Linux with a fake spawn (fake-os.ts). Not macOS runs: what srt would do if
 * sandbox-exec or log were missing, and what it leaves behind.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createMacosRun, nodeMacosDeps, runMacos } from "../../src/runtime/macos/index.js";
import { typicalPolicy } from "../seatbelt/policy-fixtures.js";
import { commandPid, createFakeOs, createMemFs, type MemFs } from "./fake-os.js";

const request = () => ({
  policy: typicalPolicy(),
  command: ["touch", "/Users/u/proj/ran"],
  cwd: "/Users/u/proj",
  env: { PATH: "/usr/bin:/bin" },
  logDrainMs: 0,
});
const runDirs = (fs: MemFs) => fs.entries().filter((p) => p.startsWith("/private/var/folders/x/T/"));

describe("failures (fake sandbox-exec, not run on macOS)", () => {
  it("a missing sandbox-exec (ENOENT) is a runtime failure; the command is never spawned any other way; nothing is left", async () => {
    const os = createFakeOs({ sandboxExec: "enoent" });
    const result = await runMacos(request(), os.deps).result;
    expect(result).toMatchObject({ kind: "failed", code: "SRT504" });
    expect(result.kind === "failed" && result.message).toMatch(
      /^cannot start \/usr\/bin\/sandbox-exec: spawn ENOENT; the command did not run/,
    );
    // Only log and sandbox-exec were ever spawned: no unsandboxed fallback.
    expect(os.calls.map((c) => c.file)).toEqual(["/usr/bin/log", "/usr/bin/sandbox-exec"]);
    expect(os.calls.some((c) => c.file === "touch" || c.args[0] === "touch")).toBe(false);
    expect(os.kills).toEqual([]);
    expect(runDirs(os.fs as MemFs)).toEqual([]);
    expect(os.watchdog.at(-1)).toBe("done");
  });

  it("refuses to run anywhere but macOS, before creating anything", async () => {
    const os = createFakeOs({ platform: "linux" });
    const result = await runMacos(request(), os.deps).result;
    expect(result).toMatchObject({
      kind: "failed",
      code: "SRT509",
      message: "sandbox-exec runs on macOS only (this is linux); the command did not run",
    });
    expect(os.calls).toEqual([]);
    expect(os.watchdog).toEqual([]);
  });

  it("no watchdog, no run: a command srt could not clean up after is not started", async () => {
    const os = createFakeOs();
    const result = await runMacos(request(), {
      ...os.deps,
      startWatchdog: () => {
        throw new Error("spawn /bin/sh EAGAIN");
      },
    }).result;
    expect(result).toMatchObject({
      kind: "failed",
      code: "SRT508",
      message: "cannot start the cleanup watchdog: spawn /bin/sh EAGAIN; the command did not run",
    });
    expect(os.calls).toEqual([]);
  });

  it("a temp dir that cannot be used is a runtime failure and nothing is spawned", async () => {
    const os = createFakeOs({
      fs: createMemFs({ dirs: ["/private/var/folders/x"] }),
      tmpdir: "/private/var/folders/x/T",
    });
    const result = await runMacos(request(), os.deps).result;
    expect(result).toMatchObject({ kind: "failed", code: "SRT508", message: expect.stringMatching(/ENOENT/) });
    expect(os.calls).toEqual([]);
  });

  it("without `log stream` (not admin, or missing) the command still runs sandboxed, with a note that denials are not reported", async () => {
    const os = createFakeOs({ log: "enoent" });
    const running = runMacos(request(), os.deps);
    const cmd = await os.command;
    expect(cmd.file).toBe("/usr/bin/sandbox-exec");
    cmd.proc.exit(0);
    const result = await running.result;
    expect(result).toMatchObject({ kind: "exited", status: 0 });
    expect(result.notes).toEqual([
      "srt: cannot start /usr/bin/log: spawn ENOENT; file and other sandbox denials are not fully reported",
    ]);
  });

  it("a log stream that stays silent delays the command by the ready timeout only", async () => {
    const os = createFakeOs({ log: "silent" });
    const t0 = performance.now();
    const running = runMacos({ ...request(), logReadyTimeoutMs: 80 }, os.deps);
    const cmd = await os.command;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    cmd.proc.exit(0);
    expect((await running.result).notes).toEqual([expect.stringMatching(/not ready after 80 ms/)]);
  });

  it("close() kills every running command and waits for their cleanup", async () => {
    const os = createFakeOs();
    const runner = createMacosRun(os.deps);
    const running = runner.run(request());
    await os.command;
    await runner.close();
    expect(await running.result).toMatchObject({ kind: "exited", status: 137 });
    expect(os.kills[0]).toEqual({ pid: -commandPid, signal: "SIGKILL" });
    expect(runDirs(os.fs as MemFs)).toEqual([]);
  });
});

describe("the real file-system side (Node fs, a symlinked TMPDIR like macOS's /var)", () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "srt-macos-test-")));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it("makes the run dir under the real temp path, writes the violations file (network and Seatbelt lines), removes everything", async () => {
    mkdirSync(join(base, "private/var/folders/T"), { recursive: true });
    symlinkSync(join(base, "private/var"), join(base, "var"));
    const violations = join(base, "violations.jsonl");
    const os = createFakeOs({ fs: nodeMacosDeps().fs, tmpdir: join(base, "var/folders/T") });
    const running = runMacos({ ...request(), violations }, os.deps);
    const cmd = await os.command;
    const profile = cmd.args[1]!;
    expect(profile.startsWith(join(base, "private/var/folders/T/srt-"))).toBe(true);
    expect(readFileSync(profile, "utf8")).toBe(cmd.profileAtSpawn);
    os.calls[0]!.proc.logRecord(
      "Sandbox: touch(4242) deny(1) file-write-create /Users/u/.bashrc srt-test01 mandatory:shell-config",
    );
    await new Promise((r) => setImmediate(r));
    cmd.proc.exit(1);
    const result = await running.result;
    expect(result.report).toEqual([
      "srt: the sandbox denied 1 operation: file-write-create /Users/u/.bashrc (mandatory:shell-config)",
    ]);
    expect(readdirSync(join(base, "private/var/folders/T"))).toEqual([]);
    const lines = readFileSync(violations, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        source: "seatbelt",
        kind: "filesystem",
        time: "2024-05-01 10:00:00.000000+0000",
        process: "touch",
        pid: 4242,
        operation: "file-write-create",
        path: "/Users/u/.bashrc",
        origin: "mandatory:shell-config",
      },
    ]);
  });
});
