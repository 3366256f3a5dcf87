/**
 * Resource limits under real bwrap: a fork bomb stops at `pids`, a memory hog
 * is killed at `memory`, a CPU hog is throttled, `wallTime` kills, `fileSize`
 * stops a large write — as root, and as srt-test with a cgroup root delegated
 * to it. The command cannot raise its limits or leave its cgroup (it tries,
 * from inside), and the cgroup is gone afterwards, also after srt is
 * SIGKILLed. As srt-test without a delegated cgroup, a tree-wide limit fails
 * closed (SRT550) and bestEffort runs with rlimits instead.
 *
 * Every bomb is bounded twice (a loop count, and a timeout on the run), and
 * the limits are small, so a regression cannot hurt the shared machine. The
 * tests run one after the other: the delegated cgroup is created and removed
 * around its own group of tests.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { delegateCgroups, ownCgroups as own, testUid } from "../support/cgroups.js";
import { lacking, unavailable } from "../support/requirements.js";
import { cpuLimit, cpuShare, cpuSpin, expectThrottled, type CpuShare } from "../support/cpu-share.js";
import {
  eventually,
  leftovers,
  missingTestUser,
  printed,
  read,
  report,
  runners,
  sh,
  skipReason,
  srt,
  startSrt,
  supported,
  useBox,
  type Runner,
} from "./support.js";

const isRoot = process.getuid?.() === 0;
const cgroupsHere = own.size === 3;

/** Run cgroups (srt-<12 hex>) below a directory, e.g. those left behind. */
const runCgroups = (dir: string | undefined): string[] => {
  if (dir === undefined || !existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => /^srt-[0-9a-f]{12}$/.test(n));
};

/** The cases shared by root and the delegated srt-test. */
function cgroupCases(runner: Runner): void {
  it("a fork bomb stops at pids, and the summary says so", { timeout: 60_000 }, async (ctx) => {
    const b = useBox(ctx, runner, {}, { limits: { pids: 12 } });
    // At most 60 forks, each a 30 s sleep: without the limit all 60 start (and die with the sandbox).
    const out = await sh(
      b,
      "i=0; while [ $i -lt 60 ]; do sleep 30 & echo forked; i=$((i+1)); done 2>/dev/null; echo done",
      { timeoutMs: 40_000 },
    );
    const forked = out.stdout.split("\n").filter((l) => l === "forked").length;
    expect(forked, out.stderr).toBeGreaterThan(0);
    // 12 tasks: srt's limits helper became bwrap (1), bwrap's init (1), the shell (1), the rest sleeps.
    expect(forked).toBeLessThanOrEqual(10);
    expect(out.stdout).not.toContain("done");
    expect(out.stderr).toMatch(/srt: process limit 12 reached: \d+ forks? refused \(\/limits\/pids\)/);
    expect(out.ms).toBeLessThan(25_000);
  });

  it("a memory hog is killed at memory (137) and the summary says so", { timeout: 60_000 }, async (ctx) => {
    const b = useBox(ctx, runner, {}, { limits: { memory: "48MiB" } });
    // Grows by 8 MiB up to 512 MiB at most, printing each step; the limit stops it long before.
    const hog = `${process.execPath} -e "const a=[];for(let i=1;i<=64;i++){a.push(Buffer.alloc(8<<20,1));console.log('mib='+i*8)}"`;
    const out = await sh(b, `exec ${hog}`, { timeoutMs: 40_000 });
    expect(out.status, out.stderr).toBe(137);
    const reached = Number(report(out)["mib"] ?? 0);
    expect(reached).toBeLessThan(48);
    expect(out.stderr).toContain("srt: memory limit 48 MiB reached: killed (/limits/memory)");
  });

  it("a CPU hog is throttled to its share; unlimited it gets far more", { timeout: 90_000 }, async (ctx) => {
    const share = async (settings: object): Promise<CpuShare> =>
      cpuShare(await sh(useBox(ctx, runner, {}, settings), cpuSpin, { timeoutMs: 40_000 }));
    expectThrottled(await share({ limits: { cpu: cpuLimit } }), await share({}));
  });

  it("the command cannot raise its limits or leave its cgroup", { timeout: 60_000 }, async (ctx) => {
    const b = useBox(ctx, runner, {}, { limits: { pids: 12 } });
    const pidsRoot = own.get("pids")!;
    // Every srt-* directory below srt's pids cgroup (the run's own among them): raise, escape, make a child.
    const script = [
      `for d in ${pidsRoot}/srt-* ${pidsRoot}/srt-*/srt-*; do [ -d "$d" ] || continue;`,
      `echo 100000 > "$d/pids.max" 2>/dev/null && echo raised=$d;`,
      `echo $$ > "$d/../cgroup.procs" 2>/dev/null && echo escaped=$d;`,
      `mkdir "$d/x" 2>/dev/null && echo child=$d; seen=1; done;`,
      `echo $$ > ${pidsRoot}/cgroup.procs 2>/dev/null && echo escaped=root;`,
      `echo seen=\${seen:-0};`,
      // Still capped afterwards: the bounded bomb again.
      "i=0; while [ $i -lt 60 ]; do sleep 30 & echo forked; i=$((i+1)); done 2>/dev/null; echo done",
    ].join(" ");
    const out = await sh(b, script, { timeoutMs: 40_000 });
    const r = report(out);
    expect(r["seen"], out.stderr).toBe("1");
    expect(Object.keys(r).filter((k) => ["raised", "escaped", "child"].includes(k))).toEqual([]);
    expect(out.stdout.split("\n").filter((l) => l === "forked").length).toBeLessThanOrEqual(10);
    expect(out.stdout).not.toContain("done");
  });

  it("SIGKILL of srt leaves no cgroup behind", { timeout: 60_000 }, async (ctx) => {
    const b = useBox(ctx, runner, {}, { limits: { pids: 64, memory: "256MiB" } });
    const parent = (c: string): string => (runner === "srt-test" ? `${own.get(c)!}/srt-${testUid}` : own.get(c)!);
    const before = new Set([...runCgroups(parent("pids")), ...runCgroups(parent("memory"))]);
    const run = startSrt(b, ["--settings", b.settings, "-c", "sleep 30 & echo ready; wait"], { timeoutMs: 40_000 });
    await printed(run, "ready");
    // This run's cgroup is the new one holding its pids limit: runc runs of other suites make
    // srt-<run id> cgroups beside it (with no such limit) while this test runs.
    const during = runCgroups(parent("pids")).filter(
      (n) => !before.has(n) && readFileSync(`${parent("pids")}/${n}/pids.max`, "utf8").trim() === "64",
    );
    expect(during.length).toBe(1);
    expect(runCgroups(parent("memory"))).toContain(during[0]);
    run.child.kill("SIGKILL");
    await run.done;
    expect(
      await eventually(
        () => !runCgroups(parent("pids")).includes(during[0]!) && !runCgroups(parent("memory")).includes(during[0]!),
        15_000,
      ),
      `left: ${during[0]}`,
    ).toBe(true);
    // The watchdog's `srt __cleanup` releases the placeholders after the cgroup: wait for it too.
    expect(await eventually(() => leftovers(b).length === 0, 15_000), leftovers(b).join(" ")).toBe(true);
  });
}

/** explain and doctor say what holds here: the decision a run makes. */
function reportCases(runner: Runner, holds: boolean): void {
  it(`explain and doctor say the tree-wide limits ${holds ? "hold" : "do not hold"} here`, async (ctx) => {
    const b = useBox(ctx, runner, {}, { limits: { pids: 12, wallTime: "30s" }, docker: { memoryLimit: "512m" } });
    const explained = await srt(b, ["explain", "--settings", b.settings]);
    expect(explained.status, explained.stderr).toBe(0);
    expect(explained.stdout).toContain("    memory limit 512 MiB  ← /docker/memoryLimit\n");
    expect(explained.stdout).toContain("    process limit 12  ← /limits/pids\n");
    expect(explained.stdout).toContain(
      "    wall time limit 30 s  ← /limits/wallTime\n      on this host: holds for the whole sandbox: srt kills the sandbox",
    );
    if (holds) {
      expect(explained.stdout).toMatch(
        /process limit 12 .*\n      on this host: holds for the whole sandbox: cgroup v\d pids.max/,
      );
      expect(explained.stdout).not.toContain("refused here");
    } else {
      expect(explained.stdout).toMatch(/process limit 12 .*\n      on this host: does NOT hold: no cgroup/);
      expect(explained.stdout).toContain("a run of this policy is refused here (SRT550)");
    }
    const doctor = await srt(b, ["doctor", "--json"], { timeoutMs: 40_000 });
    const check = (JSON.parse(doctor.stdout) as { name: string; ok: boolean; detail: string }[]).find(
      (c) => c.name === "resource limits",
    );
    expect(check?.ok, check?.detail).toBe(holds);
    expect(check?.detail).toContain("fileSize: RLIMIT_FSIZE");
  });
}

/** The cases that hold without a cgroup (srt's timer, rlimits). */
function rlimitCases(runner: Runner, settings: Record<string, unknown> = {}): void {
  it(
    "wallTime kills the whole sandbox (137); the summary and --violations say so",
    { timeout: 60_000 },
    async (ctx) => {
      const b = useBox(ctx, runner, {}, { limits: { wallTime: "1s", ...settings } });
      const log = b.at("violations.jsonl");
      const out = await srt(
        b,
        ["--settings", b.settings, "--violations", log, "-c", "sleep 30 & echo started; sleep 30"],
        {
          timeoutMs: 40_000,
        },
      );
      expect(out.status, out.stderr).toBe(137);
      expect(out.stdout).toContain("started");
      expect(out.stderr).toContain("srt: wall time limit 1 s reached: killed (/limits/wallTime)");
      expect(out.ms).toBeLessThan(20_000);
      const lines = (read(log) ?? "")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({
          kind: "limit",
          limit: "wallTime",
          value: 1000,
          rule: "/limits/wallTime",
          reason: "wall time limit 1 s reached: killed",
        }),
      ]);
    },
  );

  it("fileSize stops a large write (153, SIGXFSZ)", { timeout: 60_000 }, async (ctx) => {
    const b = useBox(ctx, runner, {}, { limits: { fileSize: "1MiB", ...settings } });
    const out = await sh(b, "exec head -c 5000000 /dev/zero > big", { timeoutMs: 40_000 });
    expect(out.status, out.stderr).toBe(153);
    expect(statSync(b.at("work/big")).size).toBe(1 << 20);
    expect(out.stderr).toContain("srt: file size limit 1 MiB reached: a write past it was stopped (SIGXFSZ)");
  });

  it("openFiles lowers the descriptor limit", { timeout: 60_000 }, async (ctx) => {
    const b = useBox(ctx, runner, {}, { limits: { openFiles: 64, ...settings } });
    const out = await sh(
      b,
      "echo soft=$(ulimit -n) hard=$(ulimit -Hn); ulimit -n 4096 2>/dev/null || echo raise=refused",
      {
        timeoutMs: 40_000,
      },
    );
    expect(report(out)).toMatchObject({ soft: "64 hard=64", raise: "refused" });
  });
}

describe.skipIf(lacking(!supported, skipReason))("resource limits", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (!cgroupsHere) unavailable("this host has no writable memory, pids and cpu cgroup controllers for root");

  describe.skipIf(!isRoot || !cgroupsHere)("as root", () => {
    cgroupCases("root");
    rlimitCases("root");
    reportCases("root", true);
  });

  describe.skipIf(!runners.includes("srt-test") || !cgroupsHere)("as srt-test without a delegated cgroup", () => {
    it("a tree-wide limit fails closed (SRT550): the command does not run", async (ctx) => {
      const b = useBox(ctx, "srt-test", {}, { limits: { pids: 12 } });
      const out = await sh(b, "touch ran");
      expect(out.status).toBe(1);
      expect(out.stderr).toMatch(/error SRT550: this host cannot enforce process limit 12 \(\/limits\/pids\)/);
      expect(out.stderr).toContain("RLIMIT_NPROC is no stand-in");
      expect(read(b.at("work/ran"))).toBeUndefined();
    });

    it("bestEffort runs it, says what it skipped, and a memory limit holds per process", async (ctx) => {
      const b = useBox(ctx, "srt-test", {}, { limits: { pids: 12, memory: "64MiB", bestEffort: true } });
      const hog = `${process.execPath} -e "try{Buffer.alloc(256<<20,1);console.log('alloc=ok')}catch(e){console.log('alloc=refused')}"`;
      const out = await sh(b, `ulimit -d; ${hog}`, { timeoutMs: 40_000 });
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout.split("\n")[0]).toBe(String(64 * 1024));
      expect(report(out)["alloc"]).toBe("refused");
      expect(out.stderr).toContain("srt: warning: process limit 12 is not enforced here (bestEffort)");
      expect(out.stderr).toContain("srt: warning: memory limit 64 MiB holds per process only (bestEffort)");
    });

    rlimitCases("srt-test", { pids: 12, bestEffort: true });
    reportCases("srt-test", false);
  });

  describe.skipIf(!runners.includes("srt-test") || !cgroupsHere)("as srt-test with a delegated cgroup", () => {
    let undo: (() => void) | undefined;
    beforeAll(() => {
      undo = delegateCgroups();
    });
    afterAll(() => undo?.());
    cgroupCases("srt-test");
    reportCases("srt-test", true);
  });
});
