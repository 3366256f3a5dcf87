/**
 * The limits runtime over fake hosts: where each controller is (v1, v2,
 * hybrid, a nested cgroup), who may create a run's cgroup (root, a delegated
 * user, nobody), what holds and what is refused (SRT550) or skipped
 * (bestEffort), the files a run's cgroup gets on v1 and v2, the events read
 * back, and removal. test/linux/limits.test.ts runs the same code for real.
 */
import { describe, expect, it } from "vitest";
import type { ResourceLimits } from "../../src/compiler/ir.js";
import type { LinuxDeps, LinuxFs } from "../../src/runtime/linux/deps.js";
import { createRunCgroup } from "../../src/runtime/linux/limits/cgroup.js";
import { decideLimits, type LimitsHost } from "../../src/runtime/linux/limits/decide.js";
import { startLimits } from "../../src/runtime/linux/limits/enforce.js";
import { parseCgroupMounts, parseOwnCgroups, placeControllers } from "../../src/runtime/linux/limits/hierarchy.js";
import { probeLimitsHost } from "../../src/runtime/linux/limits/probe.js";
import { RuntimeFailure } from "../../src/runtime/failure.js";
import { createFakeClock, errno } from "./linux-fake-fs.js";
import { cgroupFs, hybridMountinfo, hybridOwn, v2Mountinfo } from "./cgroup-fake-fs.js";

const limits = (l: Partial<ResourceLimits>): ResourceLimits => ({
  bestEffort: { value: false, origin: "default" },
  ...l,
});

describe("where the controllers are", () => {
  it("hybrid: memory, pids and cpu on v1, below srt's own cgroup in each", () => {
    const places = placeControllers(parseCgroupMounts(hybridMountinfo), parseOwnCgroups(hybridOwn), ["hugetlb"]);
    expect(Object.fromEntries(places)).toEqual({
      memory: { controller: "memory", version: 1, own: "/sys/fs/cgroup/memory/process_api/abc" },
      pids: { controller: "pids", version: 1, own: "/sys/fs/cgroup/pids" },
      cpu: { controller: "cpu", version: 1, own: "/sys/fs/cgroup/cpu" },
    });
  });

  it("v2: one tree; a controller its cgroup.controllers lacks is missing", () => {
    const places = placeControllers(parseCgroupMounts(v2Mountinfo), parseOwnCgroups("0::/user.slice/srt\n"), [
      "memory",
      "pids",
    ]);
    expect(places.get("memory")).toEqual({ controller: "memory", version: 2, own: "/sys/fs/cgroup/user.slice/srt" });
    expect(places.get("cpu")).toEqual({ missing: "no cgroup hierarchy on this host has the cpu controller" });
  });

  it("a mount of a sub-tree that does not show srt's cgroup is not used", () => {
    const mi = "35 31 0:32 /docker/x /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
    const places = placeControllers(parseCgroupMounts(mi), parseOwnCgroups("4:memory:/elsewhere\n"), []);
    expect(places.get("memory")).toMatchObject({ missing: expect.stringContaining("not visible") });
    const inside = placeControllers(parseCgroupMounts(mi), parseOwnCgroups("4:memory:/docker/x/job\n"), []);
    expect(inside.get("memory")).toMatchObject({ own: "/sys/fs/cgroup/memory/job" });
  });
});

describe("who may create a run's cgroup", () => {
  const host = (dirs: Parameters<typeof cgroupFs>[0], uid: number): LimitsHost => {
    const { fs } = cgroupFs({
      ...dirs,
      "/proc/self": {
        files: { mountinfo: hybridMountinfo, cgroup: hybridOwn, limits: "Max open files  1024  20000  files\n" },
      },
    });
    return probeLimitsHost(fs, uid);
  };

  it("root: below its own cgroup, in every hierarchy", () => {
    const h = host({}, 0);
    expect(h.nofileHard).toBe(20000);
    expect(h.cgroups.get("memory")).toEqual({
      controller: "memory",
      version: 1,
      parent: "/sys/fs/cgroup/memory/process_api/abc",
    });
  });

  it("a user: only in a cgroup delegated to it (srt-<uid>, owned by the user)", () => {
    const h = host({ "/sys/fs/cgroup/pids/srt-1001": { uid: 1001 }, "/sys/fs/cgroup/cpu/srt-1001": { uid: 7 } }, 1001);
    expect(h.cgroups.get("pids")).toEqual({ controller: "pids", version: 1, parent: "/sys/fs/cgroup/pids/srt-1001" });
    expect(h.cgroups.get("cpu")).toMatchObject({ missing: expect.stringContaining("not a directory it owns") });
    expect(h.cgroups.get("memory")).toMatchObject({ missing: expect.stringContaining("delegated to uid 1001") });
  });
});

describe("what holds", () => {
  const slot = (c: "memory" | "pids" | "cpu") => ({ controller: c, version: 1 as const, parent: `/cg/${c}` });
  const full: LimitsHost = {
    uid: 0,
    cgroups: new Map([
      ["memory", slot("memory")],
      ["pids", slot("pids")],
      ["cpu", slot("cpu")],
    ]),
    nofileHard: 1024,
  };
  const none: LimitsHost = {
    uid: 1001,
    cgroups: new Map([
      ["memory", { missing: "m" }],
      ["pids", { missing: "p" }],
      ["cpu", { missing: "c" }],
    ]),
    nofileHard: 1024,
  };
  const all = limits({
    memory: { value: 1 << 28, origin: "/limits/memory" },
    pids: { value: 64, origin: "/limits/pids" },
    cpu: { value: 0.5, origin: "/docker/cpuLimit" },
    wallTime: { value: 30_000, origin: "/limits/wallTime" },
    fileSize: { value: 1 << 20, origin: "/limits/fileSize" },
    openFiles: { value: 256, origin: "/limits/openFiles" },
  });

  it("with cgroups, every limit holds (tree-wide where it means the tree)", () => {
    const d = decideLimits(all, full);
    expect(d.refusals).toEqual([]);
    expect(d.decisions.map((x) => [x.key, x.holds, x.mechanism.kind])).toEqual([
      ["memory", "tree", "cgroup"],
      ["pids", "tree", "cgroup"],
      ["cpu", "tree", "cgroup"],
      ["wallTime", "tree", "timer"],
      ["fileSize", "process", "rlimit"],
      ["openFiles", "process", "rlimit"],
    ]);
  });

  it("without cgroups the tree-wide limits are refused, never replaced by RLIMIT_NPROC", () => {
    const d = decideLimits(all, none);
    expect(d.refusals.map((r) => r.split(" (")[0])).toEqual([
      "memory limit 256 MiB",
      "process limit 64",
      "CPU limit 0.5 cores",
    ]);
    expect(d.refusals[1]).toContain("RLIMIT_NPROC is no stand-in");
  });

  it("bestEffort: memory per process (RLIMIT_DATA, never RLIMIT_AS), pids and cpu skipped, nothing refused", () => {
    const d = decideLimits({ ...all, bestEffort: { value: true, origin: "/limits/bestEffort" } }, none);
    expect(d.refusals).toEqual([]);
    expect(d.decisions.find((x) => x.key === "memory")).toMatchObject({
      holds: "process",
      mechanism: { kind: "rlimit", rlimit: "data" },
    });
    expect(d.decisions.find((x) => x.key === "pids")).toMatchObject({ holds: "no", mechanism: { kind: "none" } });
  });

  it("openFiles above the hard limit cannot be raised: refused", () => {
    const d = decideLimits(limits({ openFiles: { value: 4096, origin: "/limits/openFiles" } }), full);
    expect(d.refusals).toEqual([expect.stringContaining("hard RLIMIT_NOFILE")]);
  });
});

describe("a run's cgroup", () => {
  const os = (fs: LinuxFs, killed: number[] = []) => ({
    fs,
    kill: (pid: number) => void killed.push(pid),
    clock: createFakeClock().clock,
  });
  const v2host = (fs: LinuxFs): LimitsHost => ({
    uid: 0,
    cgroups: new Map(
      (["memory", "pids", "cpu"] as const).map((c) => [c, { controller: c, version: 2, parent: "/sys/fs/cgroup/srt" }]),
    ),
    nofileHard: 1024,
  });

  it("v2: controllers enabled in the parent, one directory, limits written, events read, removed", () => {
    const { fs, writes, nodes } = cgroupFs({
      "/sys/fs/cgroup/srt": { files: { "cgroup.subtree_control": "" } },
    });
    const d = decideLimits(
      limits({
        memory: { value: 1 << 26, origin: "/limits/memory" },
        pids: { value: 32, origin: "/limits/pids" },
        cpu: { value: 0.5, origin: "/limits/cpu" },
      }),
      v2host(fs),
    );
    const expected: string[] = [];
    const killed: number[] = [];
    const cg = createRunCgroup(os(fs, killed), "0123456789ab", d.decisions, (p) => void expected.push(p));
    const dir = "/sys/fs/cgroup/srt/srt-0123456789ab";
    expect(expected).toEqual([dir]);
    expect(cg.procsFiles).toEqual([`${dir}/cgroup.procs`]);
    expect(writes).toEqual([
      "/sys/fs/cgroup/srt/cgroup.subtree_control=+memory +pids +cpu",
      `${dir}/memory.max=67108864`,
      `${dir}/memory.swap.max=0`,
      `${dir}/memory.oom.group=1`,
      `${dir}/pids.max=32`,
      `${dir}/cpu.max=50000 100000`,
    ]);
    nodes.get(`${dir}/memory.events`)!.text = "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n";
    nodes.get(`${dir}/pids.events`)!.text = "max 7\n";
    nodes.get(`${dir}/cpu.stat`)!.text = "usage_usec 10\nthrottled_usec 2500\n";
    expect(cg.events()).toEqual({ oomKills: 1, forksRefused: 7, throttledUs: 2500 });
    // A leftover process is killed before the directory goes.
    nodes.get(`${dir}/cgroup.procs`)!.text = "4242\n";
    fs.rmdir = ((orig) => (p: string) => {
      if (killed.includes(4242)) nodes.get(`${dir}/cgroup.procs`)!.text = "";
      orig(p);
    })(fs.rmdir.bind(fs));
    expect(cg.remove()).toEqual([]);
    expect(killed).toEqual([4242]);
    expect(nodes.has(dir)).toBe(false);
  });

  it("v2: a parent holding processes cannot enable controllers: SRT551 says why, nothing is left", () => {
    const { fs, nodes } = cgroupFs({ "/sys/fs/cgroup/srt": {} });
    fs.writeFile = (p) => {
      throw errno("EBUSY", p);
    };
    const d = decideLimits(limits({ pids: { value: 32, origin: "/limits/pids" } }), v2host(fs));
    expect(() => createRunCgroup(os(fs), "0123456789ab", d.decisions, () => undefined)).toThrow(
      expect.objectContaining({ code: "SRT551", message: expect.stringContaining("holds processes") }),
    );
    expect([...nodes.keys()].filter((k) => k.includes("srt-0123"))).toEqual([]);
  });

  it("v1: one directory per hierarchy; memory+swap limited too; the CFS quota", () => {
    const { fs, writes } = cgroupFs({ "/sys/fs/cgroup/memory/a": {}, "/sys/fs/cgroup/cpu": {} });
    const host: LimitsHost = {
      uid: 0,
      cgroups: new Map([
        ["memory", { controller: "memory", version: 1, parent: "/sys/fs/cgroup/memory/a" }],
        ["cpu", { controller: "cpu", version: 1, parent: "/sys/fs/cgroup/cpu" }],
      ]),
      nofileHard: 1024,
    };
    const d = decideLimits(
      limits({ memory: { value: 1 << 26, origin: "/limits/memory" }, cpu: { value: 2, origin: "/limits/cpu" } }),
      host,
    );
    const cg = createRunCgroup(os(fs), "0123456789ab", d.decisions, () => undefined);
    expect(cg.dirs).toEqual(["/sys/fs/cgroup/memory/a/srt-0123456789ab", "/sys/fs/cgroup/cpu/srt-0123456789ab"]);
    expect(writes).toEqual([
      "/sys/fs/cgroup/memory/a/srt-0123456789ab/memory.limit_in_bytes=67108864",
      "/sys/fs/cgroup/memory/a/srt-0123456789ab/memory.memsw.limit_in_bytes=67108864",
      "/sys/fs/cgroup/cpu/srt-0123456789ab/cpu.cfs_period_us=100000",
      "/sys/fs/cgroup/cpu/srt-0123456789ab/cpu.cfs_quota_us=200000",
    ]);
  });
});

describe("the limits phase", () => {
  const procFiles = { mountinfo: hybridMountinfo, cgroup: hybridOwn, limits: "Max open files  1024  20000  files\n" };

  it("refuses a run whose limit does not hold (SRT550), before anything is made", () => {
    const { fs, writes } = cgroupFs({ "/proc/self": { files: procFiles } });
    const fake = createFakeClock();
    const run = () =>
      startLimits(
        { fs, kill: () => undefined, clock: fake.clock } as Pick<LinuxDeps, "fs" | "kill" | "clock">,
        {
          limits: limits({ pids: { value: 8, origin: "/limits/pids" } }),
          uid: 1001,
          runId: "0123456789ab",
          helper: () => "/srt/dist/native/limits",
          expectCgroup: () => undefined,
        },
        () => undefined,
      );
    expect(run).toThrow(RuntimeFailure);
    expect(run).toThrow(/SRT550|this host cannot enforce process limit 8 \(\/limits\/pids\)/);
    expect(writes).toEqual([]);
  });

  it("gives launch the helper's options, arms the wall clock, and reports what was hit", () => {
    const { fs, nodes } = cgroupFs({
      "/proc/self": { files: procFiles },
      "/sys/fs/cgroup/pids": {},
      "/sys/fs/cgroup/memory/process_api/abc": {},
    });
    const fake = createFakeClock();
    const warned: string[] = [];
    const session = startLimits(
      { fs, kill: () => undefined, clock: fake.clock },
      {
        limits: limits({
          memory: { value: 1 << 28, origin: "/limits/memory" },
          pids: { value: 16, origin: "/limits/pids" },
          wallTime: { value: 5000, origin: "/limits/wallTime" },
          fileSize: { value: 1 << 20, origin: "/limits/fileSize" },
        }),
        uid: 0,
        runId: "0123456789ab",
        helper: () => "/srt/dist/native/limits",
        expectCgroup: () => undefined,
        warn: (l) => void warned.push(l),
      },
      () => undefined,
    )!;
    expect(session.prefix).toEqual([
      "/srt/dist/native/limits",
      "--join",
      "/sys/fs/cgroup/memory/process_api/abc/srt-0123456789ab/cgroup.procs",
      "--join",
      "/sys/fs/cgroup/pids/srt-0123456789ab/cgroup.procs",
      "--rlimit",
      "fsize=1048576",
    ]);
    expect(warned).toEqual([]);
    let killed = 0;
    session.startClock(() => killed++);
    fake.advance(4999);
    expect(killed).toBe(0);
    fake.advance(1);
    expect(killed).toBe(1);
    nodes.get("/sys/fs/cgroup/memory/process_api/abc/srt-0123456789ab/memory.oom_control")!.text =
      "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
    nodes.get("/sys/fs/cgroup/pids/srt-0123456789ab/pids.events")!.text = "max 3\n";
    expect(session.violations(137).map((v) => `${v.reason} ← ${v.rule}`)).toEqual([
      "wall time limit 5 s reached: killed ← /limits/wallTime",
      "memory limit 256 MiB reached: killed ← /limits/memory",
      "process limit 16 reached: 3 forks refused ← /limits/pids",
    ]);
    expect(session.violations(153).map((v) => v.limit)).toContain("fileSize");
    expect(session.close()).toEqual([]);
    expect([...nodes.keys()].filter((k) => k.includes("srt-0123"))).toEqual([]);
  });
});
