/**
 * The macOS watchdog's shell script, run for real here with Linux's /bin/sh
 * (dash). macOS's /bin/sh has not run it. "srt dies" is simulated by closing
 * the watchdog's stdin without `done`, which is what the kernel does when srt
 * is SIGKILLed.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createWatchdog, nodeSpawn, type SpawnedProcess, type Spawn } from "../../src/runtime/macos/index.js";

const base = mkdtempSync(join(tmpdir(), "srt-watchdog-test-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A watchdog whose process the test can see, so it can "die" as srt without saying done. */
function watched() {
  let proc!: SpawnedProcess;
  const spy: Spawn = (file, args, request) => (proc = nodeSpawn(file, args, request));
  const dog = createWatchdog(spy, [], "/bin/sh");
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return { dog, srtDies: () => proc.stdin!.end(), exited };
}

/** A process group like the command's: a shell leader with a background job. */
function startGroup(): { pid: number; alive: () => boolean; stop: () => void } {
  const p = spawn("/bin/sh", ["-c", "sleep 30 & sleep 30; wait"], { detached: true, stdio: "ignore" });
  const pid = p.pid!;
  // A member still running (not a zombie: in a container, pid 1 may be slow to reap the orphans).
  const alive = (): boolean => groupMembers(pid).some((state) => state !== "Z");
  return { pid, alive, stop: () => void (alive() && process.kill(-pid, "SIGKILL")) };
}

/** States (R, S, Z…) of the processes in a process group, from /proc (this test runs on Linux). */
function groupMembers(pgid: number): string[] {
  const states: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid) states.push(fields[0]!);
    } catch {
      // gone meanwhile
    }
  }
  return states;
}

const until = async (cond: () => boolean, ms = 5000): Promise<boolean> => {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
  return cond();
};

describe("createWatchdog (real /bin/sh)", () => {
  it("when srt dies, kills the registered process group and removes the trees, names with odd bytes included", async () => {
    const tree = join(base, "srt-a\nb 'c\" $(x)");
    mkdirSync(join(tree, "tmp"), { recursive: true });
    writeFileSync(join(tree, "tmp", "f"), "x");
    const group = startGroup();
    const w = watched();
    w.dog.expectTree(tree);
    w.dog.expectGroup(group.pid);
    expect(await until(group.alive)).toBe(true);
    w.srtDies();
    await w.exited;
    expect(await until(() => !group.alive())).toBe(true);
    expect(existsSync(tree)).toBe(false);
  });

  it("does nothing once dismissed (srt cleaned up itself)", async () => {
    const tree = join(base, "kept");
    mkdirSync(tree);
    const group = startGroup();
    const w = watched();
    w.dog.expectTree(tree);
    w.dog.expectGroup(group.pid);
    w.dog.dismiss();
    await w.exited;
    expect(existsSync(tree)).toBe(true);
    expect(group.alive()).toBe(true);
    group.stop();
  });

  it("never kills a group srt said is gone (its id may be reused)", async () => {
    const group = startGroup();
    const w = watched();
    w.dog.expectGroup(group.pid);
    w.dog.groupGone(group.pid);
    w.srtDies();
    await w.exited;
    expect(group.alive()).toBe(true);
    group.stop();
  });

  it("refuses process group ids that would mean 'everything' or 'my own group'", () => {
    const w = watched();
    expect(() => w.dog.expectGroup(0)).toThrow(/process group/);
    expect(() => w.dog.expectGroup(1)).toThrow(/process group/);
    expect(() => w.dog.expectGroup(-5)).toThrow(/process group/);
    w.dog.dismiss();
  });
});
