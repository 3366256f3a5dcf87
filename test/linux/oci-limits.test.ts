/**
 * Resource limits under real runc (`srt --runtime runc`): the same decision as
 * under bwrap (decide.ts), applied by runc — memory, pids and cpu as the spec's
 * linux.resources in the cgroup runc makes where srt's own would be, fileSize
 * and openFiles as process.rlimits, wallTime by srt's timer. As root a fork
 * bomb stops at pids, a memory hog is killed (137), a CPU hog is throttled
 * (and the same loop unlimited is not), wallTime kills, and the summary names
 * each; the command cannot raise its limit; no cgroup is left.
 * As srt-test (rootless runc, which srt gives no cgroup) a tree-wide limit
 * fails closed (SRT550) and bestEffort runs with rlimits instead.
 *
 * Every bomb is bounded twice (a loop count, a timeout on the run).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { probeLimitsHost } from "../../src/runtime/linux/limits/probe.js";
import { nodeLinuxFs } from "../../src/runtime/linux/node-deps.js";
import { lacking, unavailable } from "../support/requirements.js";
import {
  boxesUnder,
  missingRunc,
  missingTestUser,
  read,
  report,
  runners,
  runtimeArgs,
  sh,
  skipReason,
  srt,
  supported,
} from "./support.js";

const isRoot = process.getuid?.() === 0;
const useBox = boxesUnder("runc");
const rootHost = supported ? probeLimitsHost(nodeLinuxFs, 0) : undefined;
const own = new Map<string, string>();
for (const [c, slot] of rootHost?.cgroups ?? []) if (!("missing" in slot)) own.set(c, slot.parent);
const cgroupsHere = own.size === 3;

/** Run cgroups (srt-<12 hex>) below srt's own, runc's among them. */
const runCgroups = (dir: string | undefined): string[] =>
  dir === undefined || !existsSync(dir) ? [] : readdirSync(dir).filter((n) => /^srt-[0-9a-f]{12}$/.test(n));

describe.skipIf(lacking(!supported || missingRunc, missingRunc ? "runc is not installed" : skipReason))(
  "resource limits under runc",
  () => {
    if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
    if (!cgroupsHere) unavailable("this host has no writable memory, pids and cpu cgroup controllers for root");

    describe.skipIf(!isRoot || !cgroupsHere)("as root", () => {
      it("a fork bomb stops at pids, and the summary says so", { timeout: 60_000 }, async (ctx) => {
        const b = useBox(ctx, "root", {}, { limits: { pids: 12 } });
        const out = await sh(
          b,
          "i=0; while [ $i -lt 60 ]; do sleep 30 & echo forked; i=$((i+1)); done 2>/dev/null; echo done",
          { timeoutMs: 40_000 },
        );
        const forked = out.stdout.split("\n").filter((l) => l === "forked").length;
        expect(forked, out.stderr).toBeGreaterThan(0);
        // 12 tasks: the supervisor (runc's init became it), the shell, the rest sleeps.
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
        // Spins for 2 s of wall time and reports the CPU time it got in that window (node's start-up excluded).
        const spin = `${process.execPath} -e "const c=process.cpuUsage(),t=Date.now();while(Date.now()-t<2000){}const u=process.cpuUsage(c);console.log('cpu_ms='+Math.round((u.user+u.system)/1000));console.log('wall_ms='+(Date.now()-t))"`;
        const share = async (settings: object): Promise<{ ratio: number; seen: string }> => {
          const out = await sh(useBox(ctx, "root", {}, settings), `exec ${spin}`, { timeoutMs: 40_000 });
          expect(out.status, out.stderr).toBe(0);
          const r = report(out);
          return { ratio: Number(r["cpu_ms"]) / Number(r["wall_ms"]), seen: JSON.stringify(r) };
        };
        const limited = await share({ limits: { cpu: 0.05 } });
        const unlimited = await share({});
        // 0.05 of a core (runc's cpu.max 5000 100000): below 0.12, under 3x the quota. Unlimited the same loop gets
        // near 1 on an idle machine and 0.2-0.3 with eight test suites on this one's 2 cores: above 0.15 says the
        // bound is the limit's doing, not the machine's load.
        expect(limited.ratio, limited.seen).toBeLessThan(0.12);
        expect(limited.ratio, limited.seen).toBeGreaterThan(0.01);
        expect(unlimited.ratio, unlimited.seen).toBeGreaterThan(0.15);
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

    describe.skipIf(!runners.includes("srt-test") || !cgroupsHere)("as srt-test (rootless runc)", () => {
      it("a tree-wide limit fails closed (SRT550): the command does not run", async (ctx) => {
        const b = useBox(ctx, "srt-test", {}, { limits: { pids: 12 } });
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
    });
  },
);
