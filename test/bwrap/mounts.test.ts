/**
 * The bwrap mount plan, one test per precedence rule, on policies compiled from
 * settings over an in-memory host. The real kernel behaviour of the same rules
 * is tested in test/linux; here the plan itself: which mount, in which order.
 */
import { describe, expect, it } from "vitest";
import { lowerBwrap, planMounts, type MountOp } from "../../src/backends/bwrap/index.js";
import { lowerLinuxPlan, planOptions } from "../../src/backends/bwrap/plan.js";
import { compileSettings, type Policy } from "../../src/compiler/index.js";
import { createFixtureHost, type FixtureFs } from "../support/fixture-host.js";

const home = "/home/u";
const cwd = "/home/u/proj";

function policy(settings: object, fs: FixtureFs = {}): Policy {
  const host = createFixtureHost(
    { dirs: [cwd, ...(fs.dirs ?? [])], files: fs.files ?? [], ...(fs.symlinks ? { symlinks: fs.symlinks } : {}) },
    { cwd, home },
  );
  const r = compileSettings({ text: JSON.stringify(settings), file: `${home}/s.json`, host, target: "linux" });
  if (r.policy === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
}

const opsOf = (p: Policy): readonly MountOp[] => planMounts(p).ops;
const opAt = (p: Policy, path: string): MountOp[] => opsOf(p).filter((o) => o.path === path);
const indexOf = (p: Policy, path: string, op?: MountOp["op"]): number =>
  opsOf(p).findIndex((o) => o.path === path && (op === undefined || o.op === op));

describe("precedence", () => {
  it("a write deny inside a writable root is bound read-only on top of it", () => {
    const p = policy({ filesystem: { denyWrite: ["secrets"] } }, { dirs: [`${cwd}/secrets`] });
    expect(opAt(p, cwd)).toEqual([expect.objectContaining({ op: "bind", writable: true })]);
    expect(opAt(p, `${cwd}/secrets`)).toEqual([
      expect.objectContaining({ op: "bind", writable: false, why: "write-deny" }),
    ]);
    expect(indexOf(p, `${cwd}/secrets`)).toBeGreaterThan(indexOf(p, cwd));
  });

  it("a write allow inside a write deny re-opens only the deeper path (deepest rule wins)", () => {
    const p = policy(
      { filesystem: { denyWrite: ["build"], allowWrite: [".", "build/out"] } },
      { dirs: [`${cwd}/build/out`] },
    );
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
    const p = policy(
      { filesystem: { denyRead: [".env", "cache"], allowWrite: ["."] } },
      { files: [`${cwd}/.env`], dirs: [`${cwd}/cache`] },
    );
    expect(opAt(p, `${cwd}/.env`)).toEqual([expect.objectContaining({ op: "mask-file" })]);
    expect(opAt(p, `${cwd}/cache`).map((o) => o.op)).toEqual(["mask-dir", "remount-ro"]);
  });

  it("mandatory denies are bound read-only even where the settings allow writing, and at depth", () => {
    const p = policy(
      { filesystem: { allowWrite: ["."] } },
      { files: [`${cwd}/a/b/.npmrc`], dirs: [`${cwd}/.git/hooks`] },
    );
    expect(opAt(p, `${cwd}/a/b/.npmrc`)[0]).toMatchObject({
      op: "bind",
      writable: false,
      origin: ["mandatory:tool-config"],
    });
    expect(opAt(p, `${cwd}/.git/hooks`)[0]).toMatchObject({ op: "bind", writable: false });
  });

  it("pins every writable directory between a root and a protected path, before the protected mount", () => {
    const p = policy({}, { dirs: [`${cwd}/sub/.git/hooks`] });
    for (const a of [`${cwd}/sub`, `${cwd}/sub/.git`]) {
      expect(opAt(p, a)[0]).toMatchObject({ op: "bind", writable: true, why: "pin-ancestor" });
      expect(indexOf(p, a)).toBeLessThan(indexOf(p, `${cwd}/sub/.git/hooks`));
    }
  });

  it("pins the writable directories above a read mask too (a renamed parent would carry the mask away)", () => {
    const p = policy(
      { filesystem: { denyRead: ["a/b/secret", "c/d"] } },
      { files: [`${cwd}/a/b/secret`], dirs: [`${cwd}/c/d`] },
    );
    for (const [a, masked] of [
      [`${cwd}/a`, `${cwd}/a/b/secret`],
      [`${cwd}/a/b`, `${cwd}/a/b/secret`],
      [`${cwd}/c`, `${cwd}/c/d`],
    ] as const) {
      expect(opAt(p, a), a).toEqual([
        expect.objectContaining({ op: "bind", writable: true, why: "pin-ancestor", optional: true }),
      ]);
      expect(indexOf(p, a)).toBeLessThan(indexOf(p, masked));
    }
    // The writable root is a mount point already; a mask outside every writable root needs no pin.
    expect(opAt(p, cwd)).toEqual([expect.objectContaining({ why: "write-allow" })]);
    const outside = policy({ filesystem: { denyRead: ["/srv/x/y/secret"] } }, { files: ["/srv/x/y/secret"] });
    expect(
      opsOf(outside).filter((o) => o.op === "bind" && o.why === "pin-ancestor" && o.path.startsWith("/srv")),
    ).toEqual([]);
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
    const p = policy(
      { filesystem: { denyRead: ["link"] } },
      { dirs: ["/data/real"], symlinks: { [`${cwd}/link`]: "/data/real" } },
    );
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

  it("hides srt's whole state dir after the policy's mounts and binds the private tmp on top; namespaces and no caps", () => {
    const p = policy({});
    const args = lowerBwrap(p).groups.flatMap((g) => g.args);
    const state = args.indexOf(p.context.stateDir);
    expect(args[state - 1]).toBe("--tmpfs");
    expect(args.slice(state + 1, state + 6)).toEqual([
      "--bind",
      { slot: "tmp" },
      { slot: "tmp" },
      "--remount-ro",
      p.context.stateDir,
    ]);
    // Nothing of the policy comes after it (bar read masks turning read-only), so no rule can expose it.
    const after = args.slice(state + 6, args.indexOf("--unshare-net"));
    expect(after.filter((a) => typeof a === "string" && a.startsWith("--") && a !== "--remount-ro")).toEqual([]);
    for (const flag of [
      "--unshare-net",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--new-session",
      "--die-with-parent",
    ])
      expect(args).toContain(flag);
    expect(args.join(" ")).toContain("--cap-drop ALL");
  });

  it("masks the state dir before a read mask around it turns read-only (denyRead of the temp dir still runs)", () => {
    const p = policy({ filesystem: { denyRead: ["/tmp"] } }, { dirs: ["/tmp"] });
    const args = lowerBwrap(p).groups.flatMap((g) => g.args);
    const at = (flag: string, path: string): number => args.findIndex((a, i) => a === path && args[i - 1] === flag);
    expect(at("--tmpfs", "/tmp")).toBeLessThan(at("--tmpfs", p.context.stateDir));
    expect(at("--tmpfs", p.context.stateDir)).toBeLessThan(at("--remount-ro", "/tmp"));
  });

  it("rules inside the state dir mount nothing there and say why", () => {
    const p = policy({ filesystem: { denyRead: ["/tmp/srt-1000/runs"] } }, { dirs: ["/tmp/srt-1000/runs"] });
    expect(opAt(p, "/tmp/srt-1000/runs")).toEqual([]);
    expect(planMounts(p).notes.find((n) => n.path === "/tmp/srt-1000/runs")?.note).toMatch(/state directory/);
  });

  it("pins the state dir's directory chain inside a writable root, so it cannot be renamed away", () => {
    const fs = { dirs: ["/var/run/u/1000/srt"] };
    const host = createFixtureHost({ dirs: [cwd, ...fs.dirs] }, { cwd, home, stateDir: "/var/run/u/1000/srt" });
    const compiled = (allowWrite: string[]): Policy =>
      compileSettings({
        text: JSON.stringify({ filesystem: { allowWrite } }),
        file: `${home}/s.json`,
        host,
        target: "linux",
      }).policy!;
    const pins = (p: Policy): string[] =>
      opsOf(p)
        .filter((o) => o.op === "bind" && o.why === "pin-ancestor" && o.origin.includes("default:state-dir"))
        .map((o) => o.path);
    expect(pins(compiled(["/var"]))).toEqual(["/var/run", "/var/run/u", "/var/run/u/1000"]);
    expect(pins(compiled(["/var/run/u/1000"]))).toEqual([]);
    expect(pins(compiled([]))).toEqual([]);
  });

  it("enableWeakerNestedSandbox keeps the host /proc and /dev and no PID namespace, and says so", () => {
    const a = lowerBwrap(policy({ enableWeakerNestedSandbox: true }));
    const args = a.groups.flatMap((g) => g.args);
    expect(args).not.toContain("--unshare-pid");
    expect(args).toContain("--dev-bind");
    expect(a.weakened.length).toBeGreaterThan(0);
  });

  it("a run's bwrap options are the plan's with this run's paths in its slots, then its working directory", () => {
    const plan = lowerLinuxPlan(policy({}), "x86_64");
    const options = planOptions(plan, { tmp: "/state/runs/1/tmp", void: "/state/runs/1/void" });
    expect(options.slice(-2)).toEqual(["--chdir", cwd]);
    expect(options).toContain("/state/runs/1/tmp");
    expect(options.length).toBe(plan.bwrap.length + 2);
    expect(options.every((a) => typeof a === "string")).toBe(true);
  });

  it("the plan says whether it has a PID namespace, exactly when its argv unshares one", () => {
    for (const weaker of [false, true]) {
      const plan = lowerLinuxPlan(policy({ enableWeakerNestedSandbox: weaker }), "x86_64");
      expect(plan.pidNamespace).toBe(!weaker);
      expect(plan.bwrap.includes("--unshare-pid")).toBe(plan.pidNamespace);
    }
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

describe("mounts a host process can detach (watched during the run)", () => {
  const planFor = (settings: object, files: string[], dirs: string[] = []) =>
    lowerLinuxPlan(policy(settings, { files, dirs }), "x86_64").detachable;

  it("holds write protections and pins in writable regions and read masks, never writable or re-opened binds", () => {
    const list = planFor(
      { filesystem: { denyRead: ["a/b/secret", "/srv/keys"], allowRead: ["/srv/keys/pub"] } },
      [`${cwd}/.gitmodules`, `${cwd}/a/b/secret`, "/srv/keys/pub"],
      ["/srv/keys"],
    );
    const at = (p: string) => list.find((d) => d.path === p)?.guards;
    expect(at(`${cwd}/.gitmodules`)).toBe("write");
    expect(at(`${cwd}/.npmrc`)).toBe("write"); // a placeholder
    expect(at(`${cwd}/a`)).toBe("below");
    expect(at(`${cwd}/a/b/secret`)).toBe("read");
    expect(at("/srv/keys")).toBe("read"); // outside every writable root: the host's file would show through
    expect(at(cwd)).toBeUndefined(); // the writable root itself
    expect(at("/srv/keys/pub")).toBeUndefined(); // re-opened: losing it hides more, and it sits on srt's tmpfs anyway
  });

  it("a mount inside a bind inside a mask is on a host directory again, so it is listed", () => {
    const list = planFor({ filesystem: { denyRead: ["/home/u"], allowRead: [cwd] } }, [`${cwd}/.gitmodules`]);
    expect(list.find((d) => d.path === `${cwd}/.gitmodules`)?.guards).toBe("write");
    expect(list.find((d) => d.path === "/home/u")?.guards).toBe("read");
    expect(list.some((d) => d.path === cwd)).toBe(false);
  });
});
