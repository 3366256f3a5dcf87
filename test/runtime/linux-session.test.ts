/**
 * The warm session (session.ts) with the fake OS: prepared once for many
 * commands, a private TMPDIR per command, the files an external bwrap reads,
 * and what a detached protection does to the commands running at that moment
 * (spawned ones and externally started ones) and to those started later. The
 * same code runs under real bwrap in test/linux/library-session.test.ts.
 */
import { describe, expect, it } from "vitest";
import { lowerLinuxPlan, type LinuxPlan } from "../../src/backends/bwrap/index.js";
import { compileSettings } from "../../src/compiler/index.js";
import type { FileSystemViolation } from "../../src/runtime/proxy/violations.js";
import { openLinuxSession, sessionMarker, type SessionOs } from "../../src/runtime/linux/session.js";
import { holdsMarker } from "../../src/runtime/linux/session-node.js";
import { createFixtureHost } from "../support/fixture-host.js";
import { createFakeLinux, tools, type FakeLinux } from "./linux-fake-os.js";

const home = "/home/u";
const cwd = "/home/u/proj";
const state = "/run/user/1000/srt";
const runs = `${state}/runs`;

function planOf(settings: object = {}): LinuxPlan {
  const host = createFixtureHost({ dirs: [cwd] }, { cwd, home, uid: 1000, stateDir: state });
  const r = compileSettings({ text: JSON.stringify(settings), file: "default", host, target: "linux" });
  if (r.policy === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return lowerLinuxPlan(r.policy, "x86_64");
}

function machine(uid = 1000): FakeLinux {
  const f = createFakeLinux({ uid });
  f.fs.mkdirp(cwd);
  f.fs.mkdirp("/run/user/1000");
  return f;
}

/** The SessionOs: external bwraps are whatever `marked` holds; written files are kept as bytes. */
function sessionOs(marked: number[] = []) {
  const written = new Map<string, { bytes: Uint8Array; mode: number }>();
  const asked: (readonly string[])[] = [];
  const sos: SessionOs = {
    findMarked: (bwrap, marker) => (asked.push([bwrap, ...marker]), [...marked]),
    writeBytes: (path, bytes, mode) => void written.set(path, { bytes, mode }),
  };
  return { sos, written, asked };
}

const open = (
  f: FakeLinux,
  sos: SessionOs,
  over: { uid?: number; onViolation?: (v: FileSystemViolation) => void } = {},
) =>
  openLinuxSession(
    f.deps,
    {
      plan: planOf(),
      tools: { bwrap: tools.bwrap, sh: tools.sh, ...(over.uid === 0 ? { unshare: tools.unshare } : {}) },
      uid: over.uid ?? 1000,
      gid: 1000,
      stateDir: state,
      cleanupCommand: ["/usr/bin/node", "/opt/srt/dist/srt.mjs", "__cleanup"],
      ...(over.onViolation === undefined ? {} : { onViolation: over.onViolation }),
    },
    sos,
  );

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 10_000) throw new Error("condition never held");
    await new Promise((r) => setImmediate(r));
  }
}

const cmd = (command: string[]) => ({ command, env: { PATH: "/usr/bin:/bin" } });

describe("openLinuxSession", () => {
  it("prepares once (one watchdog, one registration) for many commands, each with its own TMPDIR; close() leaves nothing", async () => {
    const f = machine();
    const { sos } = sessionOs();
    const s = open(f, sos);
    const prepared = f.events.length;
    for (const n of [1, 2, 3]) {
      const r = await s.run(cmd(["true"])).result;
      expect(r).toEqual({ kind: "exited", status: 0 });
      const tmp = `${s.runDir.path}/t${n}`;
      expect(f.bwrap.args).toEqual(expect.arrayContaining(["--bind", tmp]));
      expect(f.fs.exists(tmp)).toBe(false); // removed once the command ended
    }
    const later = f.events.slice(prepared);
    expect(later.filter((e) => e.startsWith("watchdog started"))).toEqual([]);
    expect(f.events.filter((e) => e.startsWith("watchdog started"))).toHaveLength(1);
    await s.close();
    expect(f.fs.below(runs)).toEqual([runs]);
    expect(f.fs.exists(`${state}/placeholders`)).toBe(false);
    expect(f.events.at(-1)).toBe("watchdog dismissed");
    expect(() => s.run(cmd(["true"]))).toThrow(/closed/);
  });

  it("refuses a plan with proxies: each network namespace needs its own bridges", () => {
    const f = machine();
    const plan = planOf({ network: { allowedDomains: ["example.com"] } });
    expect(() =>
      openLinuxSession(
        f.deps,
        { plan, tools: { bwrap: tools.bwrap, sh: tools.sh }, uid: 1000, gid: 1000, stateDir: state },
        sessionOs().sos,
      ),
    ).toThrow(/offline/);
  });

  it("external(): bwrap's options with TMPDIR and --seccomp 4, read-only files; unshare first for root; removed first by close()", async () => {
    const f = machine();
    const { sos, written } = sessionOs();
    const s = open(f, sos);
    const ext = s.external();
    expect(s.external()).toBe(ext); // written once
    expect(ext.prefix).toEqual([tools.bwrap, "--args", "3", ...sessionMarker(s.runDir.id)]);
    const args = new TextDecoder().decode(written.get(ext.argsFile)!.bytes).split("\0").slice(0, -1);
    expect(args.slice(-8)).toEqual([
      "--setenv",
      "TMPDIR",
      s.runDir.slots.tmp,
      "--setenv",
      "SRT_SANDBOX",
      "1",
      "--seccomp",
      "4",
    ]);
    expect(args).toContain("--unshare-net");
    expect(written.get(ext.argsFile)!.mode).toBe(0o400);
    expect(Buffer.from(written.get(ext.seccompFile)!.bytes).toString("base64")).toBe(planOf().seccomp.base64);
    expect(ext.argsFile.startsWith(`${s.runDir.path}/`)).toBe(true);
    await s.close();
    expect(() => s.external()).toThrow(/closed/);

    const root = machine(0);
    const r = open(root, sessionOs().sos, { uid: 0 });
    expect(r.external().prefix.slice(0, 5)).toEqual([tools.unshare, "--mount", "--propagation", "private", "--"]);
    await r.close();
  });

  it("a detachment kills the commands running then (SRT505) and the marked external bwraps; with none running it only starts over", async () => {
    const f = machine();
    const { sos, asked } = sessionOs([7001, 7002]);
    const seen: FileSystemViolation[] = [];
    const s = open(f, sos, { onViolation: (v) => seen.push(v) });
    f.script.bwrap = { command: "hang" };
    const running = s.run(cmd(["sleep", "1000"]));
    await until(() => f.events.some((e) => e.startsWith("command started")));
    f.replaceOnHost(`${cwd}/.gitmodules`);
    const result = await running.result;
    expect(result).toMatchObject({
      kind: "failed",
      code: "SRT505",
      message: expect.stringContaining(`${cwd}/.gitmodules was replaced, removed or renamed on the host`),
      violation: { path: `${cwd}/.gitmodules` },
    });
    expect(asked).toEqual([[tools.bwrap, ...sessionMarker(s.runDir.id)]]);
    expect(f.kills).toEqual(
      expect.arrayContaining([
        { pid: 7001, signal: "SIGKILL" },
        { pid: 7002, signal: "SIGKILL" },
      ]),
    );
    expect(seen.map((v) => v.path)).toEqual([`${cwd}/.gitmodules`]);

    // Watching again from what is there now: a later replacement is seen, and with nothing running
    // (no spawned command, no marked bwrap) it kills nothing and reports nothing.
    await new Promise((r) => setImmediate(r));
    sos.findMarked = () => [];
    const kills = f.kills.length;
    f.replaceOnHost(`${cwd}/.gitmodules`);
    expect(f.kills.length).toBe(kills);
    expect(seen).toHaveLength(1);
    f.script.bwrap = { command: 0 };
    expect(await s.run(cmd(["true"])).result).toEqual({ kind: "exited", status: 0 });
    await s.close();
  });
});

describe("holdsMarker", () => {
  it("finds the marker as consecutive words only", () => {
    const m = sessionMarker("abc");
    expect(holdsMarker(["bwrap", "--args", "3", ...m, "--", "sh"], m)).toBe(true);
    expect(holdsMarker(["bwrap", "--setenv", "SRT_SESSION", "abd"], m)).toBe(false);
    expect(holdsMarker(["--setenv", "X", "SRT_SESSION", "abc"], m)).toBe(false);
  });
});
