/**
 * The bwrap mount plan, one test per precedence rule, on policies compiled from
 * settings over an in-memory host. The real kernel behaviour of the same rules
 * is tested in test/linux; here the plan itself: which mount, in which order.
 */
import { describe, expect, it } from "vitest";
import { lowerBwrap, planMounts, type MountOp } from "../../src/backends/bwrap/index.js";
import { lowerLinuxPlan } from "../../src/backends/bwrap/plan.js";
import { compileSettings, type Policy } from "../../src/compiler/index.js";
import { createFixtureHost, type FixtureFs } from "../support/fixture-host.js";

const home = "/home/u";
const cwd = "/home/u/proj";

function policy(settings: object, fs: FixtureFs = {}): Policy {
  const host = createFixtureHost({ dirs: [cwd, ...(fs.dirs ?? [])], files: fs.files ?? [], ...(fs.symlinks ? { symlinks: fs.symlinks } : {}) }, { cwd, home });
  const r = compileSettings({ text: JSON.stringify(settings), file: `${home}/s.json`, host, target: "linux" });
  if (r.policy === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
}

const opsOf = (p: Policy): readonly MountOp[] => planMounts(p).ops;
const opAt = (p: Policy, path: string): MountOp[] => opsOf(p).filter((o) => o.path === path);
const indexOf = (p: Policy, path: string, op?: MountOp["op"]): number => opsOf(p).findIndex((o) => o.path === path && (op === undefined || o.op === op));

describe("precedence", () => {
  it("a write deny inside a writable root is bound read-only on top of it", () => {
    const p = policy({ filesystem: { denyWrite: ["secrets"] } }, { dirs: [`${cwd}/secrets`] });
    expect(opAt(p, cwd)).toEqual([expect.objectContaining({ op: "bind", writable: true })]);
    expect(opAt(p, `${cwd}/secrets`)).toEqual([expect.objectContaining({ op: "bind", writable: false, why: "write-deny" })]);
    expect(indexOf(p, `${cwd}/secrets`)).toBeGreaterThan(indexOf(p, cwd));
  });

  it("a write allow inside a write deny re-opens only the deeper path (deepest rule wins)", () => {
    const p = policy({ filesystem: { denyWrite: ["build"], allowWrite: [".", "build/out"] } }, { dirs: [`${cwd}/build/out`] });
    expect(opAt(p, `${cwd}/build`)[0]).toMatchObject({ op: "bind", writable: false });
    expect(opAt(p, `${cwd}/build/out`)[0]).toMatchObject({ op: "bind", writable: true });
    expect(indexOf(p, `${cwd}/build/out`)).toBeGreaterThan(indexOf(p, `${cwd}/build`));
  });

  it("deny wins a tie at the same path, whatever the order of the lists", () => {
    const p = policy({ filesystem: { allowWrite: ["/tmp/x"], denyWrite: ["/tmp/x"] } }, { dirs: ["/tmp/x"] });
    expect(opAt(p, "/tmp/x")).toEqual([]);
  });

  it("a read deny masks a directory with a tmpfs that becomes read-only after everything inside it", () => {
    const p = policy({ filesystem: { denyRead: ["~/.ssh", "~"], allowRead: ["~/proj"] } }, { dirs: [`${home}/.ssh`] });
    expect(opAt(p, home).map((o) => o.op)).toEqual(["mask-dir", "remount-ro"]);
    // ~/.ssh is inside the mask already: no second mount.
    expect(opAt(p, `${home}/.ssh`)).toEqual([]);
    // allowRead re-opens the project (writable, it is the cwd) before the mask turns read-only.
    expect(indexOf(p, cwd, "bind")).toBeGreaterThan(indexOf(p, home, "mask-dir"));
    expect(indexOf(p, home, "remount-ro")).toBeGreaterThan(indexOf(p, cwd, "bind"));
  });

  it("a read-denied file gets the mode-000 void file; an unreadable writable dir stays masked", () => {
    const p = policy({ filesystem: { denyRead: [".env", "cache"], allowWrite: ["."] } }, { files: [`${cwd}/.env`], dirs: [`${cwd}/cache`] });
    expect(opAt(p, `${cwd}/.env`)).toEqual([expect.objectContaining({ op: "mask-file" })]);
    expect(opAt(p, `${cwd}/cache`).map((o) => o.op)).toEqual(["mask-dir", "remount-ro"]);
  });

  it("mandatory denies are bound read-only even where the settings allow writing, and at depth", () => {
    const p = policy({ filesystem: { allowWrite: ["."] } }, { files: [`${cwd}/a/b/.npmrc`], dirs: [`${cwd}/.git/hooks`] });
    expect(opAt(p, `${cwd}/a/b/.npmrc`)[0]).toMatchObject({ op: "bind", writable: false, origin: "mandatory:tool-config" });
    expect(opAt(p, `${cwd}/.git/hooks`)[0]).toMatchObject({ op: "bind", writable: false });
  });

  it("pins every writable directory between a root and a protected path, before the protected mount", () => {
    const p = policy({}, { dirs: [`${cwd}/sub/.git/hooks`] });
    for (const a of [`${cwd}/sub`, `${cwd}/sub/.git`]) {
      expect(opAt(p, a)[0]).toMatchObject({ op: "bind", writable: true, why: "pin-ancestor" });
      expect(indexOf(p, a)).toBeLessThan(indexOf(p, `${cwd}/sub/.git/hooks`));
    }
  });

  it("a pin never lands on top of a deeper mask (pins are planned before ordering)", () => {
    const p = policy({ filesystem: { denyRead: ["a/m"] } }, { dirs: [`${cwd}/a/m`, `${cwd}/a/b/c/.vscode`] });
    expect(indexOf(p, `${cwd}/a`, "bind")).toBeLessThan(indexOf(p, `${cwd}/a/m`, "mask-dir"));
  });

  it("absent protected paths inside writable roots become placeholders; absent ones elsewhere need nothing", () => {
    const p = policy({ filesystem: { denyWrite: ["/etc/nothing-here"] } });
    const plan = planMounts(p);
    expect(plan.placeholders.map((x) => x.path)).toContain(`${cwd}/.npmrc`);
    expect(plan.placeholders.map((x) => x.path)).not.toContain("/etc/nothing-here");
    expect(opAt(p, `${cwd}/.npmrc`)[0]).toMatchObject({ op: "bind", writable: false });
  });

  it("an absent path that is unreadable and unwritable inside a writable root is a placeholder too", () => {
    const p = policy({ filesystem: { denyRead: ["x/y"], denyWrite: ["x/y"] } }, { dirs: [`${cwd}/x`] });
    expect(planMounts(p).placeholders.map((x) => x.path)).toContain(`${cwd}/x/y`);
  });

  it("an absent writable root is a note, not a mount (bwrap would fail on it)", () => {
    const p = policy({ filesystem: { allowWrite: ["/tmp/not-there"] } });
    expect(opAt(p, "/tmp/not-there")).toEqual([]);
    expect(planMounts(p).notes.map((n) => n.path)).toContain("/tmp/not-there");
  });

  it("a symlinked rule covers the real path", () => {
    const p = policy({ filesystem: { denyRead: ["link"] } }, { dirs: ["/data/real"], symlinks: { [`${cwd}/link`]: "/data/real" } });
    expect(opAt(p, "/data/real").map((o) => o.op)).toContain("mask-dir");
  });
});

describe("argument list", () => {
  it("is linear in the policy: 500 denied files in one directory collapse to one mask", () => {
    const files = Array.from({ length: 500 }, (_, i) => `${cwd}/many/f${i}`);
    const p = policy({ filesystem: { denyRead: ["many/*"] } }, { files });
    const args = lowerBwrap(p).groups.flatMap((g) => g.args);
    expect(args.filter((a) => a === `${cwd}/many`).length).toBe(2); // --tmpfs + --remount-ro
    expect(args.length).toBeLessThan(200);
  });

  it("hides srt's run dir after the policy's mounts and binds the private tmp on top; namespaces and no caps", () => {
    const args = lowerBwrap(policy({})).groups.flatMap((g) => g.args);
    const run = args.findIndex((a) => typeof a !== "string" && a.slot === "run");
    expect(args[run - 1]).toBe("--tmpfs");
    expect(args.slice(run + 1, run + 4)).toEqual(["--bind", { slot: "tmp" }, { slot: "tmp" }]);
    for (const flag of ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--new-session", "--die-with-parent"]) expect(args).toContain(flag);
    expect(args.join(" ")).toContain("--cap-drop ALL");
  });

  it("enableWeakerNestedSandbox keeps the host /proc and /dev and no PID namespace, and says so", () => {
    const a = lowerBwrap(policy({ enableWeakerNestedSandbox: true }));
    const args = a.groups.flatMap((g) => g.args);
    expect(args).not.toContain("--unshare-pid");
    expect(args).toContain("--dev-bind");
    expect(a.weakened.length).toBeGreaterThan(0);
  });

  it("a plan is JSON, deterministic, and starts proxies only when something may be reached", () => {
    const offline = lowerLinuxPlan(policy({}), "x86_64");
    const online = lowerLinuxPlan(policy({ network: { allowedDomains: ["example.com"] } }), "x86_64");
    expect(JSON.parse(JSON.stringify(offline))).toEqual(offline);
    expect(JSON.stringify(lowerLinuxPlan(policy({}), "x86_64"))).toBe(JSON.stringify(offline));
    expect(offline.network.proxies).toBe(false);
    expect(online.network.proxies).toBe(true);
    expect(atob(offline.seccomp.base64).length).toBe(offline.seccomp.instructions * 8);
  });
});
