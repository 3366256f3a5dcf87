/**
 * `srt explain` and a run agree, engine by engine: for every runtime (bwrap,
 * runc, crun, docker, podman), as root or not, on a hybrid (v1) or a v2 host,
 * with or without a cgroup delegated to the user, what explain says about each
 * limit is what the run's limits phase does — a limit explain says does not
 * hold is one the run refuses (SRT550) or, with bestEffort, skips; the refusal
 * line appears exactly when the run is refused; and how a limit holds is
 * worded the same. Both ask one decision (decide.ts with engine.ts); this
 * checks that nothing on either side (a host probed differently, an override
 * in the runner) makes them part again. Then the engine-specific verdicts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LimitValue, ResourceLimits } from "../../src/compiler/ir.js";
import type { LinuxDeps } from "../../src/runtime/linux/deps.js";
import { RuntimeFailure } from "../../src/runtime/failure.js";
import { describeLimit, limitKeys, type LimitKey } from "../../src/runtime/linux/limits/decide.js";
import { limitsRuntimes, type LimitsEngine } from "../../src/runtime/linux/limits/engine.js";
import { startLimits, type LimitsSession } from "../../src/runtime/linux/limits/enforce.js";
import { explainLimits, probeFor } from "../../src/runtime/linux/limits/report.js";
import { cgroupFs, hybridMountinfo, hybridOwn, v2Mountinfo } from "./cgroup-fake-fs.js";
import { createFakeClock } from "./linux-fake-fs.js";

type HostKind = "hybrid" | "v2";
type Caller = "root" | "user" | "delegated";

/** A host as probe.ts reads it: where srt's cgroups are, and who owns what below them. */
function fakeHost(kind: HostKind, caller: Caller) {
  const uid = caller === "root" ? 0 : 1001;
  const owned = caller === "delegated" ? { uid: 1001 } : {};
  const limitsFile = "Max open files  1024  20000  files\n";
  const dirs =
    kind === "hybrid"
      ? {
          "/proc/self": { files: { mountinfo: hybridMountinfo, cgroup: hybridOwn, limits: limitsFile } },
          "/sys/fs/cgroup/pids": {},
          "/sys/fs/cgroup/cpu": {},
          "/sys/fs/cgroup/memory/process_api/abc": {},
          "/sys/fs/cgroup/pids/srt-1001": owned,
          "/sys/fs/cgroup/cpu/srt-1001": owned,
          "/sys/fs/cgroup/memory/process_api/abc/srt-1001": owned,
        }
      : {
          "/proc/self": { files: { mountinfo: v2Mountinfo, cgroup: "0::/user.slice/srt\n", limits: limitsFile } },
          "/sys/fs/cgroup/user.slice/srt": {
            files: { "cgroup.controllers": "memory pids cpu", "cgroup.subtree_control": "" },
          },
          "/sys/fs/cgroup/user.slice/srt/srt-1001": { ...owned, files: { "cgroup.subtree_control": "" } },
        };
  return { ...cgroupFs(dirs), uid };
}

const values: Readonly<Record<LimitKey, number>> = {
  memory: 1 << 28,
  pids: 64,
  cpu: 0.5,
  wallTime: 30_000,
  fileSize: 1 << 20,
  openFiles: 256,
};

const policyLimits = (asked: readonly LimitKey[], bestEffort: boolean, manyFiles: boolean): ResourceLimits => {
  const out: Partial<Record<LimitKey, LimitValue>> = {};
  for (const k of asked)
    out[k] = { value: k === "openFiles" && manyFiles ? 50_000 : values[k], origin: `/limits/${k}` };
  return { ...out, bestEffort: { value: bestEffort, origin: "/limits/bestEffort" } };
};

/** The run's limits phase on the same host: its session, or the SRT550 message. */
function runLimits(
  kind: HostKind,
  caller: Caller,
  limits: ResourceLimits,
  engine: LimitsEngine,
): LimitsSession | undefined | string {
  const { fs, uid } = fakeHost(kind, caller);
  const os = { fs, kill: () => undefined, clock: createFakeClock().clock } as Pick<LinuxDeps, "fs" | "kill" | "clock">;
  try {
    return startLimits(
      os,
      { limits, uid, runId: "0123456789ab", helper: () => "/srt/limits", expectCgroup: () => undefined, engine },
      () => undefined,
    );
  } catch (e) {
    if (e instanceof RuntimeFailure && e.code === "SRT550") return e.message;
    throw e;
  }
}

/** explain's two lines for one limit: what it is, and how it holds here. */
function explainedLine(lines: readonly string[], key: LimitKey, value: number): string {
  const i = lines.findIndex((l) => l.startsWith(`    ${describeLimit(key, value)}  ←`));
  return lines[i + 1] ?? "";
}

describe("explain's verdict is the run's decision, for every engine", () => {
  it("runtime × root/rootless × host × limit: refused where explain says so, and only there", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...limitsRuntimes),
        fc.constantFrom<HostKind>("hybrid", "v2"),
        fc.constantFrom<Caller>("root", "user", "delegated"),
        fc.subarray([...limitKeys], { minLength: 1 }),
        fc.boolean(),
        fc.boolean(),
        (runtime, kind, caller, asked, bestEffort, manyFiles) => {
          const engine: LimitsEngine = { runtime, rootless: caller !== "root" };
          const limits = policyLimits(asked, bestEffort, manyFiles);
          const { fs, uid } = fakeHost(kind, caller);
          const lines = explainLimits(limits, probeFor(fs, uid, engine), engine);
          const run = runLimits(kind, caller, limits, engine);
          const refused = typeof run === "string";
          expect(lines.some((l) => l.includes("a run of this policy is refused here (SRT550)"))).toBe(refused);
          for (const key of asked) {
            const l = limits[key]!;
            const line = explainedLine(lines, key, l.value);
            const notHeld = line.includes("does NOT hold");
            if (refused) {
              // The refusal names exactly the limits explain says do not hold (bestEffort is off).
              expect(run.includes(`${describeLimit(key, l.value)} (${l.origin})`), `${key}: ${line}\n${run}`).toBe(
                notHeld,
              );
              continue;
            }
            const d = run?.decisions.find((x) => x.key === key);
            expect(d, `${key} decided`).toBeDefined();
            expect(d!.holds === "no", `${key}: ${line}`).toBe(notHeld);
            expect(line).toContain(d!.how);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("what each engine holds here", () => {
  const all = policyLimits(limitKeys, false, false);
  const verdicts = (runtime: LimitsEngine["runtime"], caller: Caller, kind: HostKind = "hybrid"): string[] => {
    const engine = { runtime, rootless: caller !== "root" };
    const { fs, uid } = fakeHost(kind, caller);
    return explainLimits(all, probeFor(fs, uid, engine), engine).filter((l) => l.startsWith("      on this host:"));
  };

  it("runc as root: linux.resources in runc's cgroup; rootless: no cgroup, even when one is delegated", () => {
    expect(verdicts("runc", "root")[1]).toBe(
      "      on this host: holds for the whole sandbox: the spec's linux.resources: runc sets cgroup v1 pids.max of a per-run cgroup it makes below /sys/fs/cgroup/pids",
    );
    expect(verdicts("runc", "delegated")[1]).toMatch(/does NOT hold: no cgroup: srt gives rootless runc no cgroup/);
    expect(verdicts("runc", "root")[4]).toContain(
      "RLIMIT_FSIZE for each process (the spec's process.rlimits, set by runc)",
    );
  });

  it("crun: srt's own cgroup, as bwrap's — so a delegated user's limits hold rootless too", () => {
    expect(verdicts("crun", "delegated")[1]).toBe(
      "      on this host: holds for the whole sandbox: cgroup v1 pids.max of a per-run cgroup below /sys/fs/cgroup/pids/srt-1001 (crun runs in it with its own cgroup manager off)",
    );
    expect(verdicts("crun", "user")[1]).toMatch(/does NOT hold: no cgroup: no cgroup is delegated to uid 1001/);
  });

  it("docker: the daemon's cgroup through its flags, for any caller; srt's wall-time timer", () => {
    for (const caller of ["root", "user"] as const) {
      const v = verdicts("docker", caller);
      expect(v[0]).toBe(
        "      on this host: holds for the whole sandbox: docker --memory and --memory-swap: the cgroup v1 memory.limit_in_bytes of the container's cgroup (the engine's)",
      );
      expect(v[3]).toBe("      on this host: holds for the whole sandbox: srt kills the sandbox when it is reached");
      expect(v[4]).toContain("(docker --ulimit fsize)");
    }
  });

  it("podman rootless: ignored on cgroup v1, unverified on v2; as root, as docker", () => {
    expect(verdicts("podman", "user")[1]).toMatch(
      /does NOT hold: no cgroup: rootless podman ignores resource limits on cgroup v1/,
    );
    expect(verdicts("podman", "user", "v2")[1]).toMatch(
      /does NOT hold: no cgroup: srt has not verified that rootless podman/,
    );
    expect(verdicts("podman", "root")[1]).toContain("holds for the whole sandbox: podman --pids-limit");
  });

  it("the rlimits fall back per process where the tree-wide memory limit cannot hold (bestEffort)", () => {
    const engine: LimitsEngine = { runtime: "podman", rootless: true };
    const run = runLimits("hybrid", "user", policyLimits(["memory", "fileSize"], true, false), engine);
    expect(typeof run).toBe("object");
    const session = run as LimitsSession;
    expect(session.applied).toEqual({
      resources: {},
      rlimits: [
        { rlimit: "data", value: 1 << 28 },
        { rlimit: "fsize", value: 1 << 20 },
      ],
    });
    expect(session.prefix).toBeUndefined();
  });
});
