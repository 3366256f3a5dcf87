/**
 * Resource limits under real OCI runtimes (`srt --runtime runc`, and crun when
 * SRT_TEST_ENGINES names it): the same decision as under bwrap (decide.ts with
 * engine.ts), applied by the runtime. runc: memory, pids and cpu as the spec's
 * linux.resources in the cgroup runc makes where srt's own would be. crun: in
 * srt's own run cgroup (crun's cgroup manager off), as under bwrap. Both:
 * fileSize and openFiles as process.rlimits, wallTime by srt's timer. As root
 * a fork bomb stops at pids, a memory hog is killed (137), a CPU hog is
 * throttled (and the same loop unlimited is not), wallTime kills, and the
 * summary names each; the command cannot raise its limit; no cgroup is left.
 * As srt-test (rootless runc, which srt gives no cgroup) a tree-wide limit
 * fails closed (SRT550) and bestEffort runs with rlimits instead; srt refuses
 * rootless crun outright (SRT547).
 *
 * Every bomb is bounded twice (a loop count, a timeout on the run).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ownCgroups as own } from "../support/cgroups.js";
import { lacking, unavailable } from "../support/requirements.js";
import { cpuLimit, cpuShare, cpuSpin, expectThrottled, type CpuShare } from "../support/cpu-share.js";
import {
  boxesUnder,
  engines,
  missingRunc,
  missingTestUser,
  read,
  report,
  runners,
  runnersFor,
  runtimeArgs,
  sh,
  skipReason,
  srt,
  supported,
} from "./support.js";

const isRoot = process.getuid?.() === 0;
const cgroupsHere = own.size === 3;

/** Run cgroups (srt-<12 hex>) below srt's own, runc's among them. */
const runCgroups = (dir: string | undefined): string[] =>
  dir === undefined || !existsSync(dir) ? [] : readdirSync(dir).filter((n) => /^srt-[0-9a-f]{12}$/.test(n));

for (const engine of engines.filter((e) => e !== "bwrap"))
  describe.skipIf(lacking(!supported || missingRunc, missingRunc ? "runc is not installed" : skipReason))(
    `resource limits under ${engine}`,
    () => {
      const useBox = boxesUnder(engine);
      if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
      if (!cgroupsHere) unavailable("this host has no writable memory, pids and cpu cgroup controllers for root");

      describe.skipIf(!isRoot || !cgroupsHere)("as root", () => {
        it(`explain and doctor --runtime ${engine} say how each limit holds under ${engine}`, async (ctx) => {
          const b = useBox(ctx, "root", {}, { limits: { pids: 12, fileSize: "1MiB" } });
          const explained = await srt(b, ["explain", ...runtimeArgs(b), "--settings", b.settings]);
          expect(explained.status, explained.stderr).toBe(0);
          expect(explained.stdout).toContain(`Resource limits (under ${engine}, as root):`);
          expect(explained.stdout).toMatch(
            engine === "runc"
              ? /process limit 12 .*\n {6}on this host: holds for the whole sandbox: the spec's linux.resources: runc sets cgroup v\d pids.max/
              : /process limit 12 .*\n {6}on this host: holds for the whole sandbox: cgroup v\d pids.max .*\(crun runs in it/,
          );
          expect(explained.stdout).toContain(
            `RLIMIT_FSIZE for each process (the spec's process.rlimits, set by ${engine})`,
          );
          expect(explained.stdout).not.toContain("refused here");
          const doctor = await srt(b, ["doctor", "--json", ...runtimeArgs(b)], { timeoutMs: 40_000 });
          const check = (JSON.parse(doctor.stdout) as { name: string; ok: boolean; detail: string }[]).find(
            (c) => c.name === "resource limits",
          );
          expect(check?.ok, check?.detail).toBe(true);
          expect(check?.detail).toContain(`under ${engine}, as root: memory: `);
        });

        it("a fork bomb stops at pids, and the summary says so", { timeout: 60_000 }, async (ctx) => {
          const b = useBox(ctx, "root", {}, { limits: { pids: 12 } });
          const out = await sh(
            b,
            "i=0; while [ $i -lt 60 ]; do sleep 30 & echo forked; i=$((i+1)); done 2>/dev/null; echo done",
            { timeoutMs: 40_000 },
          );
          const forked = out.stdout.split("\n").filter((l) => l === "forked").length;
          expect(forked, out.stderr).toBeGreaterThan(0);
          // 12 tasks: the supervisor (runc's init became it; under crun, crun too), the shell, the rest sleeps.
          expect(forked).toBeLessThanOrEqual(10);
          expect(out.stdout).not.toContain("done");
          expect(out.stderr).toMatch(/srt: process limit 12 reached: \d+ forks? refused \(\/limits\/pids\)/);
        });

        it("a memory hog is killed at memory (137) and the summary says so", { timeout: 60_000 }, async (ctx) => {
          const b = useBox(ctx, "root", {}, { limits: { memory: "48MiB" } });
          const hog = `${process.execPath} -e "const a=[];for(let i=1;i<=64;i++){a.push(Buffer.alloc(8<<20,1));console.log('mib='+i*8)}"`;
          const out = await sh(b, `exec ${hog}`, { timeoutMs: 40_000 });
          expect(out.status, out.stderr).toBe(137);
          expect(Number(report(out)["mib"] ?? 0)).toBeLessThan(48);
          expect(out.stderr).toContain("srt: memory limit 48 MiB reached: killed (/limits/memory)");
        });

        it("a CPU hog is throttled to its share; unlimited it gets far more", { timeout: 90_000 }, async (ctx) => {
          const share = async (settings: object): Promise<CpuShare> =>
            cpuShare(await sh(useBox(ctx, "root", {}, settings), cpuSpin, { timeoutMs: 40_000 }));
          expectThrottled(await share({ limits: { cpu: cpuLimit } }), await share({}));
        });

        it(
          "wallTime kills the container (137); the summary and --violations say so",
          { timeout: 60_000 },
          async (ctx) => {
            const b = useBox(ctx, "root", {}, { limits: { wallTime: "1s" } });
            const log = b.at("violations.jsonl");
            const out = await srt(
              b,
              [
                ...runtimeArgs(b),
                "--settings",
                b.settings,
                "--violations",
                log,
                "-c",
                "sleep 30 & echo started; sleep 30",
              ],
              { timeoutMs: 40_000 },
            );
            expect(out.status, out.stderr).toBe(137);
            expect(out.stdout).toContain("started");
            expect(out.stderr).toContain("srt: wall time limit 1 s reached: killed (/limits/wallTime)");
            expect(out.ms).toBeLessThan(20_000);
            expect(read(log)).toContain('"limit":"wallTime"');
          },
        );

        it("fileSize and openFiles are the container's rlimits; it cannot raise them", async (ctx) => {
          const b = useBox(ctx, "root", {}, { limits: { fileSize: "1MiB", openFiles: 64 } });
          const out = await sh(
            b,
            "echo soft=$(ulimit -n) hard=$(ulimit -Hn); ulimit -n 4096 2>/dev/null || echo raise=refused; exec head -c 5000000 /dev/zero > big",
            { timeoutMs: 40_000 },
          );
          expect(out.status, out.stderr).toBe(153);
          expect(report(out)).toMatchObject({ soft: "64 hard=64", raise: "refused" });
          expect(statSync(b.at("work/big")).size).toBe(1 << 20);
          expect(out.stderr).toContain("srt: file size limit 1 MiB reached: a write past it was stopped (SIGXFSZ)");
        });

        it("the command cannot raise its cgroup limit; no run cgroup is left afterwards", async (ctx) => {
          // 13: a value no other suite uses, to tell this run's cgroup from theirs.
          const b = useBox(ctx, "root", {}, { limits: { pids: 13 } });
          const pidsRoot = own.get("pids")!;
          const ours = (): string[] =>
            runCgroups(pidsRoot).filter((n) => read(`${pidsRoot}/${n}/pids.max`)?.trim() === "13");
          const out = await sh(
            b,
            `for d in ${pidsRoot}/srt-*; do [ "$(cat "$d/pids.max" 2>/dev/null)" = 13 ] || continue; seen=1; echo 100000 > "$d/pids.max" 2>/dev/null && echo raised=$d; echo $$ > ${pidsRoot}/cgroup.procs 2>/dev/null && echo escaped=$d; done; echo seen=\${seen:-0}`,
            { timeoutMs: 40_000 },
          );
          const r = report(out);
          expect(r["seen"], out.stderr).toBe("1");
          expect(Object.keys(r).filter((k) => k === "raised" || k === "escaped")).toEqual([]);
          expect(ours()).toEqual([]);
        });
      });

      describe.skipIf(!runnersFor(engine).includes("srt-test") || !cgroupsHere)(
        `as srt-test (rootless ${engine})`,
        () => {
          it("a tree-wide limit fails closed (SRT550) where explain and doctor say it does not hold", async (ctx) => {
            const b = useBox(ctx, "srt-test", {}, { limits: { pids: 12 } });
            const explained = await srt(b, ["explain", ...runtimeArgs(b), "--settings", b.settings]);
            expect(explained.stdout).toMatch(
              /process limit 12 .*\n {6}on this host: does NOT hold: no cgroup: srt gives rootless runc no cgroup/,
            );
            expect(explained.stdout).toContain("a run of this policy is refused here (SRT550)");
            const doctor = await srt(b, ["doctor", "--json", ...runtimeArgs(b)], { timeoutMs: 40_000 });
            const check = (JSON.parse(doctor.stdout) as { name: string; ok: boolean; detail: string }[]).find(
              (c) => c.name === "resource limits",
            );
            expect(check?.ok).toBe(false);
            expect(check?.detail).toContain("pids: NOT enforceable (no cgroup: srt gives rootless runc no cgroup");
            const out = await sh(b, "touch ran");
            expect(out.status).toBe(1);
            expect(out.stderr).toMatch(/error SRT550: this host cannot enforce process limit 12 \(\/limits\/pids\)/);
            expect(out.stderr).toContain("srt gives rootless runc no cgroup");
            expect(read(b.at("work/ran"))).toBeUndefined();
          });

          it("bestEffort runs it with rlimits, and says what it skipped", async (ctx) => {
            const b = useBox(
              ctx,
              "srt-test",
              {},
              { limits: { pids: 12, memory: "64MiB", fileSize: "1MiB", bestEffort: true } },
            );
            const hog = `${process.execPath} -e "try{Buffer.alloc(256<<20,1);console.log('alloc=ok')}catch(e){console.log('alloc=refused')}"`;
            const out = await sh(b, `echo data=$(ulimit -d) fsize=$(ulimit -f); ${hog}`, { timeoutMs: 40_000 });
            expect(out.status, out.stderr).toBe(0);
            expect(report(out)).toMatchObject({ data: `${64 * 1024} fsize=1024`, alloc: "refused" });
            expect(out.stderr).toContain("srt: warning: process limit 12 is not enforced here (bestEffort)");
            expect(out.stderr).toContain("srt: warning: memory limit 64 MiB holds per process only (bestEffort)");
          });
        },
      );

      // Only crun has this case: a skipIf would count as a skip under runc, and CI fails on skips.
      if (engine === "crun" && runners.includes("srt-test"))
        describe("as srt-test (rootless crun)", () => {
          it("is refused (SRT547) before anything runs, limits or not", async (ctx) => {
            const b = useBox(ctx, "srt-test", {}, { limits: { pids: 12, bestEffort: true } });
            const out = await sh(b, "touch ran");
            expect(out.status).toBe(1);
            expect(out.stderr).toContain("error SRT547: --runtime crun runs as root only so far");
            expect(read(b.at("work/ran"))).toBeUndefined();
          });
        });
    },
  );
