/**
 * The Linux runner with a fake OS (linux-fake-os.ts): the registry lock and
 * its stale-owner breaking, the tamper checks on what srt reads back from its
 * state directory, the bwrap handshake on the status, info and block fds, the
 * order of a run's phases, and cleanup on every failure path. The same code
 * runs under real bwrap in test/linux and test/network; these tests reach the
 * paths a real machine rarely takes (a lock held for 10 s, a bwrap that dies
 * before its child, a bridge that cannot listen) and say exactly in which
 * order srt acts.
 */
import { describe, expect, it } from "vitest";
import { lowerLinuxPlan, type LinuxPlan } from "../../src/backends/bwrap/index.js";
import { compileSettings } from "../../src/compiler/index.js";
import type { NetworkSession, RunRequest, RunResult, StartNetwork } from "../../src/runtime/linux/index.js";
import {
  readRecords,
  registerAndCreate,
  releaseRun,
  type Registry,
} from "../../src/runtime/linux/placeholder-registry.js";
import { runLinux } from "../../src/runtime/linux/run.js";
import { LOCK_WAIT_MS, withLock } from "../../src/runtime/linux/state-lock.js";
import { ensureStateDir } from "../../src/runtime/state-dir.js";
import { createFixtureHost } from "../support/fixture-host.js";
import { createFakeLinux, runTools, selfPid, tools, type FakeLinux } from "./linux-fake-os.js";

const home = "/home/u";
const cwd = "/home/u/proj";
const state = "/run/user/1000/srt";
const runs = `${state}/runs`;
const lock = `${state}/lock`;

function planOf(settings: object = {}): LinuxPlan {
  const host = createFixtureHost({ dirs: [cwd] }, { cwd, home, uid: 1000, stateDir: state });
  const r = compileSettings({ text: JSON.stringify(settings), file: "default", host, target: "linux" });
  if (r.policy === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return lowerLinuxPlan(r.policy, "x86_64");
}
const offline = planOf();
const online = planOf({ network: { allowedDomains: ["example.com"] } });

/** A machine with the project and the user's runtime directory; the state directory is made by the run. */
function machine(uid = 1000): FakeLinux {
  const f = createFakeLinux({ uid });
  f.fs.mkdirp(cwd);
  f.fs.mkdirp("/run/user/1000");
  return f;
}

/** srt's proxies as the runner sees them: two bridges to sockets in the run directory. */
function fakeNetwork(f: FakeLinux, fail?: string): StartNetwork {
  return async (_plan, run): Promise<NetworkSession> => {
    f.events.push("network start");
    if (fail !== undefined) throw new Error(fail);
    return {
      env: { HTTP_PROXY: "http://127.0.0.1:3128", ALL_PROXY: "socks5h://127.0.0.1:1080" },
      bridges: [
        { port: 3128, socket: run.httpSocket },
        { port: 1080, socket: run.socksSocket },
      ],
      close: async () => void f.events.push("network close"),
    };
  };
}

function start(f: FakeLinux, over: Partial<RunRequest> = {}) {
  const lines: string[] = [];
  const req: RunRequest = {
    plan: offline,
    command: ["make", "test"],
    env: { PATH: "/usr/bin:/bin", HOME: home },
    tools: runTools,
    uid: 1000,
    gid: 1000,
    stateDir: state,
    cleanupCommand: ["/usr/bin/node", "/opt/srt/dist/srt.mjs", "__cleanup"],
    log: (l) => void lines.push(l),
    ...over,
  };
  const running = runLinux(req, f.deps);
  return { running, lines, req };
}

async function run(f: FakeLinux, over: Partial<RunRequest> = {}): Promise<RunResult> {
  return start(f, over).running.result;
}

/** Each pattern matches an event after the one the previous pattern matched. */
function expectInOrder(events: readonly string[], patterns: readonly (string | RegExp)[]): void {
  let at = -1;
  for (const p of patterns) {
    const next = events.findIndex((e, i) => i > at && (typeof p === "string" ? e === p : p.test(e)));
    expect(next, `${String(p)} after event ${at} (${events[at] ?? "start"}) in:\n${events.join("\n")}`).toBeGreaterThan(
      at,
    );
    at = next;
  }
}

/** Nothing of the run is left: no run directory, placeholder, record, lock or timer; every process it started is gone; the watchdog was dismissed. */
function expectCleanedUp(f: FakeLinux, options: { lockedBy?: string } = {}): void {
  expect(f.fs.below(runs)).toEqual(f.fs.exists(runs) ? [runs] : []);
  expect(f.fs.below(cwd)).toEqual([cwd]);
  expect(f.fs.exists(`${state}/placeholders`)).toBe(false);
  if (options.lockedBy === undefined) expect(f.fs.exists(lock)).toBe(false);
  else expect(f.fs.readlink(lock)).toBe(options.lockedBy);
  expect(f.children.filter((c) => c.alive)).toEqual([]);
  expect(f.time.pending()).toBe(0);
  if (f.events.some((e) => e.startsWith("watchdog started"))) expect(f.events.at(-1)).toBe("watchdog dismissed");
}

/** Lets the event loop turn (fake processes act in it) until cond holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 10_000) throw new Error("condition never held");
    await new Promise((r) => setImmediate(r));
  }
}

describe("the registry lock (state-lock.ts)", () => {
  const prepared = (f: FakeLinux): void => void ensureStateDir(f.fs, state, 1000);
  const owner = (f: FakeLinux, text: string): void => f.fs.makeSymlink(lock, text);
  /** The lock as an older srt makes it: a directory holding an owner file. */
  const dirOwner = (f: FakeLinux, text: string): void => {
    f.fs.mkdir(lock, 0o700);
    f.fs.writeFile(`${lock}/owner`, text, 0o600);
  };

  it("breaks the lock of a dead owner at once, and holds it itself while the body runs", () => {
    const f = machine();
    prepared(f);
    owner(f, "77 123"); // pid 77 is no process
    const inside = withLock(f.deps, state, () => f.fs.readlink(lock));
    expect(inside).toBe(`${selfPid} 777`);
    expect(f.time.clock.now()).toBe(0);
    expect(f.fs.exists(lock)).toBe(false);
  });

  it("counts an owner whose pid now belongs to a later process (another start time) as dead", () => {
    const f = machine();
    prepared(f);
    f.procs.set(78, "2000");
    owner(f, "78 1999");
    expect(withLock(f.deps, state, () => "ran")).toBe("ran");
    expect(f.time.clock.now()).toBe(0);
  });

  it("waits for a live owner and takes the lock once it is released", () => {
    const f = machine();
    prepared(f);
    f.procs.set(79, "500");
    owner(f, "79 500");
    f.time.onBlock = (now) => {
      if (now >= 300 && f.fs.exists(lock)) f.fs.removeTree(lock); // the other srt finishes
    };
    expect(withLock(f.deps, state, () => f.fs.readlink(lock))).toBe(`${selfPid} 777`);
    expect(f.time.clock.now()).toBeGreaterThanOrEqual(300);
    expect(f.time.clock.now()).toBeLessThan(LOCK_WAIT_MS);
  });

  it("gives up after 10 s on a live owner that keeps it, without breaking its lock or running the body", () => {
    const f = machine();
    prepared(f);
    f.procs.set(79, "500");
    owner(f, "79 500");
    let ran = false;
    expect(() => withLock(f.deps, state, () => (ran = true))).toThrow(
      `srt's state directory ${state} stayed locked for 10000 ms (by pid 79)`,
    );
    expect(ran).toBe(false);
    expect(f.time.clock.now()).toBeGreaterThan(LOCK_WAIT_MS);
    expect(f.fs.readlink(lock)).toBe("79 500");
  });

  it("an older srt's directory lock: its dead owner's broken at once, a live one's waited for", () => {
    const f = machine();
    prepared(f);
    dirOwner(f, "77 123");
    expect(withLock(f.deps, state, () => f.fs.readlink(lock))).toBe(`${selfPid} 777`);
    expect(f.time.clock.now()).toBe(0);
    f.procs.set(79, "500");
    dirOwner(f, "79 500");
    f.time.onBlock = (now) => {
      if (now >= 300 && f.fs.exists(lock)) f.fs.removeTree(lock);
    };
    expect(withLock(f.deps, state, () => "ran")).toBe("ran");
    expect(f.time.clock.now()).toBeGreaterThanOrEqual(300);
  });

  it("an older srt's directory lock without an owner file is being written: left alone for a second, then broken", () => {
    const f = machine();
    prepared(f);
    f.fs.mkdir(lock, 0o700); // its creator died between mkdir and writing the owner
    expect(withLock(f.deps, state, () => "ran")).toBe("ran");
    expect(f.time.clock.now()).toBeGreaterThan(1000);
    expect(f.time.clock.now()).toBeLessThan(1100);
  });
});

describe("what srt reads back is trusted only if srt made it (placeholder-registry.ts)", () => {
  const registered = (f: FakeLinux, id: string): Registry => {
    ensureStateDir(f.fs, state, 1000);
    f.fs.mkdir(`${runs}/${id}`, 0o700);
    return { state, runId: id, uid: 1000 };
  };
  const placeholder = (path: string) => ({ path, kind: "file" as const, origin: ["default:test" as const] });

  it("records what it creates by the created node's own device and inode, and removes it when the run ends", () => {
    const f = machine();
    const reg = registered(f, "000000000001");
    registerAndCreate(f.deps, reg, [
      placeholder(`${cwd}/.bashrc`),
      { path: `${cwd}/.git`, kind: "dir", origin: ["default:test"] },
    ]);
    const st = f.fs.lstat(`${cwd}/.bashrc`);
    expect(readRecords(f.fs, state)).toContainEqual({
      path: `${cwd}/.bashrc`,
      kind: "file",
      dev: String(st.dev),
      ino: String(st.ino),
    });
    releaseRun(f.deps, reg);
    expect(f.fs.below(cwd)).toEqual([cwd]);
  });

  it("does not remove a forged record's path: another inode, another owner, not empty, a symlink, a directory recorded as a file", () => {
    const f = machine();
    const reg = registered(f, "000000000001");
    const victims = {
      inode: `${cwd}/src`,
      owner: `${cwd}/root-owned`,
      full: `${cwd}/notes`,
      link: `${cwd}/link`,
      dir: `${cwd}/dir`,
    };
    f.fs.put(victims.inode, "");
    f.fs.put(victims.owner, "", 0);
    f.fs.put(victims.full, "keep me");
    f.fs.symlink(victims.link, "/etc/passwd");
    f.fs.mkdirp(victims.dir);
    const rec = (path: string, kind = "file", ino?: bigint) =>
      JSON.stringify({ path, kind, dev: String(f.fs.lstat(path).dev), ino: String(ino ?? f.fs.lstat(path).ino) });
    f.fs.writeFile(
      `${state}/placeholders`,
      [
        rec(victims.inode, "file", f.fs.lstat(victims.inode).ino + 1n),
        rec(victims.owner),
        rec(victims.full),
        rec(victims.link),
        rec(victims.dir),
        `f ${JSON.stringify(`${cwd}/src`)}`,
        JSON.stringify({ path: "relative", kind: "file", dev: "42", ino: "1" }),
      ].join("\n") + "\n",
      0o600,
    );
    registerAndCreate(f.deps, reg, []);
    releaseRun(f.deps, reg);
    for (const p of Object.values(victims)) expect(f.fs.exists(p), p).toBe(true);
    expect(f.fs.read(victims.full)).toBe("keep me");
    // Forgotten: a forged line is never acted on later either.
    expect(f.fs.exists(`${state}/placeholders`)).toBe(false);
    expect(f.events.filter((e) => /^fs (unlink|rmdir) /.test(e))).toEqual([]);
  });

  it('a placeholder srt wrote into (git\'s commondir holds ".") is removed only while it holds exactly that', () => {
    const f = machine();
    const a = registered(f, "000000000001");
    const commondir = {
      path: `${cwd}/.git/commondir`,
      kind: "file" as const,
      origin: ["default:test" as const],
      content: ".",
    };
    registerAndCreate(f.deps, a, [commondir]);
    expect(f.fs.read(commondir.path)).toBe(".");
    expect(readRecords(f.fs, state)).toContainEqual(expect.objectContaining({ path: commondir.path, content: "." }));
    f.fs.writeFile(commondir.path, "/", 0o444); // same inode, same size, other bytes
    releaseRun(f.deps, a);
    expect(f.fs.read(commondir.path)).toBe("/");
    const b = registered(f, "000000000002");
    f.fs.removeTree(`${cwd}/.git`);
    registerAndCreate(f.deps, b, [commondir]);
    releaseRun(f.deps, b);
    expect(f.fs.exists(`${cwd}/.git`)).toBe(false);
  });

  it("leaves a placeholder the host replaced during the run (same name, another inode)", () => {
    const f = machine();
    const reg = registered(f, "000000000001");
    registerAndCreate(f.deps, reg, [placeholder(`${cwd}/.bashrc`)]);
    f.replaceOnHost(`${cwd}/.bashrc`);
    releaseRun(f.deps, reg);
    expect(f.fs.exists(`${cwd}/.bashrc`)).toBe(true);
  });

  it("a live run's hold keeps a placeholder; a dead run's hold does not, and its directory goes", () => {
    const f = machine();
    const a = registered(f, "000000000001");
    registerAndCreate(f.deps, a, [placeholder(`${cwd}/.bashrc`)]);
    f.fs.mkdir(`${runs}/000000000002`, 0o700);
    f.procs.set(81, "5");
    f.fs.writeFile(
      `${runs}/000000000002/holds`,
      JSON.stringify({ pid: 81, start: "5", paths: [`${cwd}/.bashrc`] }),
      0o600,
    );
    releaseRun(f.deps, a);
    expect(f.fs.exists(`${cwd}/.bashrc`)).toBe(true); // held by the live run
    f.procs.delete(81);
    releaseRun(f.deps, { ...a, runId: "000000000003" });
    expect(f.fs.exists(`${cwd}/.bashrc`)).toBe(false);
    expect(f.fs.exists(`${runs}/000000000002`)).toBe(false);
  });
});

describe("runLinux: phases in order", () => {
  it("prepare → network → watch → launch (pipes, maps, bridges, release) → wait → cleanup, unprivileged with a network", async () => {
    const f = machine();
    const result = await run(f, { plan: online, startNetwork: fakeNetwork(f) });
    expect(result).toEqual({ kind: "exited", status: 0 });
    const id = "000000000001";
    const sandbox = /^bwrap: child (\d+)$/.exec(f.events.find((e) => e.startsWith("bwrap: child "))!)![1]!;
    expectInOrder(f.events, [
      // prepare: the state directory, the watchdog told before the run directory exists, the registration
      `fs mkdir ${state}`,
      `watchdog started: /usr/bin/node /opt/srt/dist/srt.mjs __cleanup ${state} ${id}`,
      `watchdog tree ${runs}/${id}`,
      `fs mkdir ${runs}/${id}`,
      `fs symlink ${lock}`,
      `fs rename ${runs}/${id}/holds.${selfPid}.new ${runs}/${id}/holds`,
      `fs create ${cwd}/.mcp.json`,
      `fs rm ${lock}`,
      // network, then launch
      "network start",
      "inherited fds (close)",
      `spawn ${tools.bwrap}`,
      "bwrap read its arguments and the supervisor's configuration",
      `fs write /proc/${sandbox}/setgroups`,
      `fs write /proc/${sandbox}/uid_map`,
      `fs write /proc/${sandbox}/gid_map`,
      'bwrap: user namespace ready (byte "u", uid_map "1000 1000 1\\n")',
      `bwrap: child ${sandbox}`,
      `spawn ${tools.setpriv}`,
      /^bridge (3128|1080) listening/,
      /^bridge (3128|1080) listening/,
      'bwrap: released (byte "r")',
      "command started: make test",
      "command exited 0",
      // cleanup, in reverse
      "bridge 3128 killed (SIGKILL)",
      "network close",
      `fs unlink ${cwd}/.mcp.json`,
      `fs rm ${runs}/${id}`,
      "watchdog dismissed",
    ]);
    expectCleanedUp(f);
  });

  it("hands bwrap the plan's options with this run's paths, its own fds, the seccomp program and the command, through pipes", async () => {
    const f = machine();
    await run(f, { plan: online, startNetwork: fakeNetwork(f) });
    const tmp = `${runs}/000000000001/tmp`;
    const args = f.bwrap.args!;
    expect(args.slice(0, online.bwrap.length)).toEqual(
      online.bwrap.map((a) => (typeof a === "string" ? a : a.slot === "tmp" ? tmp : `${runs}/000000000001/void`)),
    );
    expect(args.slice(online.bwrap.length)).toEqual([
      "--chdir",
      cwd,
      "--json-status-fd",
      "5",
      "--block-fd",
      "6",
      "--unshare-user",
      "--info-fd",
      "8",
      "--userns-block-fd",
      "6",
    ]);
    expect(Buffer.from(f.bwrap.seccomp!, "latin1")).toEqual(Buffer.from(online.seccomp.base64, "base64"));
    const o = f.bwrap.options!;
    expect(o.stdio).toEqual([
      "inherit",
      "inherit",
      "inherit",
      "pipe",
      "ignore",
      "pipe",
      "pipe",
      "pipe",
      "pipe",
      "pipe",
    ]);
    // bwrap runs srt's supervisor, which installs the seccomp program itself (fd 7) and reports on fd 9.
    expect(f.bwrap.supervisor).toEqual([tools.supervisor, "7", "9", "--"]);
    expect(o).toMatchObject({
      cwd: "/",
      detached: true,
      env: { TMPDIR: tmp, SRT_SANDBOX: "1", HTTP_PROXY: "http://127.0.0.1:3128", PATH: "/usr/bin:/bin" },
    });
    expect(f.events).toContain(`spawn ${tools.bwrap}`);
    expect(f.bwrap.command).toEqual(["make", "test"]);
  });

  it("as root, a run without unshare does not start (SRT500): never bwrap with the host's mount propagation", async () => {
    const f = machine(0);
    f.fs.mkdirp("/run/user/1000", 0);
    const result = await run(f, { uid: 0, gid: 0 });
    expect(result).toEqual({ kind: "failed", code: "SRT500", message: expect.stringMatching(/unshare/) });
    expect(f.events.some((e) => e.startsWith("command started"))).toBe(false);
  });

  it("as root without a network: no user namespace to map, no block fd, no bridges", async () => {
    const f = machine(0);
    f.fs.mkdirp("/run/user/1000", 0);
    const result = await run(f, { uid: 0, gid: 0, tools: { ...runTools, unshare: tools.unshare } });
    expect(result).toEqual({ kind: "exited", status: 0 });
    // As root, host mounts made during the run must not propagate in: bwrap runs under unshare.
    expect(f.events).toContain("unshare: private mount table");
    expect(f.bwrap.args!.slice(-2)).toEqual(["--json-status-fd", "5"]);
    expect(f.events.filter((e) => /userns|user namespace|\/proc\/|setpriv|released/.test(e))).toEqual([]);
    expectInOrder(f.events, [
      "bwrap read its arguments and the supervisor's configuration",
      /^bwrap: child /,
      "command started: make test",
      "command exited 0",
      "watchdog dismissed",
    ]);
  });
});

describe("runLinux: the bwrap handshake", () => {
  it("writes the identity maps before the byte that lets bwrap go on, and releases the command only after the bridges listen", async () => {
    const f = machine();
    await run(f, { plan: online, startNetwork: fakeNetwork(f) });
    // What bwrap found in /proc/PID when the first byte arrived.
    expect(f.bwrap.maps).toEqual({ setgroups: "deny", uid_map: "1000 1000 1\n", gid_map: "1000 1000 1\n" });
    expectInOrder(f.events, [
      /^fs write \/proc\/\d+\/gid_map$/,
      /^bwrap: user namespace ready/,
      /^bridge \d+ listening/,
      /^bridge \d+ listening/,
      /^bwrap: released/,
      /^command started/,
    ]);
  });

  it("a supervisor that cannot install its listener fails the run (SRT511): the command never ran", async () => {
    const f = machine();
    f.script.bwrap = { supervisor: "fails" };
    const result = await run(f, { plan: online, startNetwork: fakeNetwork(f) });
    expect(result).toEqual({
      kind: "failed",
      code: "SRT511",
      message: expect.stringMatching(/supervisor did not start the command: installing the seccomp filter/),
    });
    expect(f.events.some((e) => e.startsWith("command started"))).toBe(false);
  });

  it("an early bwrap death (no child on the status fd) is a failure, and the command never started", async () => {
    const f = machine();
    f.script.bwrap = { fate: "dies" };
    const result = await run(f, { plan: online, startNetwork: fakeNetwork(f) });
    expect(result).toEqual({
      kind: "failed",
      code: expect.stringMatching(/^SRT5\d\d$/),
      message: expect.stringMatching(/^bwrap could not set up the sandbox .*the command did not run/),
    });
    expect(f.events.some((e) => e.startsWith("command started"))).toBe(false);
    expect(f.events.some((e) => e.startsWith(`spawn ${tools.setpriv}`))).toBe(false);
    expectCleanedUp(f);
  });

  it("a signal forwarded before the sandbox exists reaches the command's group once it starts; after the grace period everything is killed", async () => {
    const f = machine();
    f.script.bwrap = { command: "hang", ignores: ["SIGTERM"] };
    const { running } = start(f, { killGraceMs: 5000 });
    running.forward("SIGTERM");
    expect(f.kills).toEqual([]); // nothing to signal yet
    await until(() => f.kills.length > 0);
    const sandbox = Number(/^bwrap: child (\d+)$/.exec(f.events.find((e) => e.startsWith("bwrap: child "))!)![1]);
    expect(f.kills).toEqual([{ pid: -sandbox, signal: "SIGTERM" }]);
    expect(f.kills.some((k) => k.signal === "SIGKILL")).toBe(false);
    f.time.advance(5000);
    expect(await running.result).toEqual({ kind: "exited", status: 137 });
    expect(f.kills).toContainEqual({ pid: -sandbox, signal: "SIGKILL" });
    expectCleanedUp(f);
    // The run is over: its pids may be someone else's now.
    const before = f.kills.length;
    running.forward("SIGTERM");
    expect(f.kills.length).toBe(before);
  });

  it("kills the command's process group when it ends only without a PID namespace (the weaker nested sandbox)", async () => {
    const weaker = planOf({ enableWeakerNestedSandbox: true });
    expect(weaker.pidNamespace).toBe(false);
    for (const [plan, killed] of [
      [offline, false],
      [weaker, true],
    ] as const) {
      const f = machine();
      expect(await run(f, { plan })).toEqual({ kind: "exited", status: 0 });
      const sandbox = Number(/^bwrap: child (\d+)$/.exec(f.events.find((e) => e.startsWith("bwrap: child "))!)![1]);
      expect(
        f.kills.some((k) => k.pid === -sandbox && k.signal === "SIGKILL"),
        `pidNamespace ${plan.pidNamespace}`,
      ).toBe(killed);
    }
  });
});

describe("runLinux: cleanup on every failure path", () => {
  interface Case {
    readonly name: string;
    readonly message: RegExp;
    readonly set: (f: FakeLinux) => Partial<RunRequest>;
    readonly lockedBy?: string;
    /** The proxies were started, so cleanup closes them. */
    readonly closes?: true;
  }
  const cases: Case[] = [
    {
      name: "the plan was compiled for another state directory",
      message: /compiled for srt's state directory .*recompile it here/,
      set: () => ({ stateDir: "/tmp/srt-1000" }),
    },
    {
      name: "the state directory is someone else's",
      message: /is not safe to use: it is owned by uid 0/,
      set: (f) => {
        f.fs.mkdirp(state, 0);
        f.fs.chmod(state, 0o700);
        return {};
      },
    },
    {
      name: "the state directory is a symlink",
      message: /is not safe to use: it is a symlink/,
      set: (f) => (f.fs.symlink(state, "/tmp/elsewhere"), {}),
    },
    {
      name: "its runs directory is not a directory of the user's",
      message: /runs in srt's state directory is not a directory owned by uid 1000/,
      set: (f) => {
        ensureStateDir(f.fs, state, 1000);
        f.fs.removeTree(runs);
        f.fs.symlink(runs, "/tmp/elsewhere");
        return {};
      },
    },
    {
      name: "the run directory cannot be created",
      message: /EIO/,
      set: (f) => (f.fs.failNext("mkdir", (p) => p.startsWith(`${runs}/`), "EIO"), {}),
    },
    {
      name: "a placeholder cannot be created (after others were)",
      message: /EIO/,
      set: (f) => (f.fs.failNext("createFile", (p) => p.endsWith("/.npmrc"), "EIO"), {}),
    },
    {
      name: "the registry stays locked by a live srt",
      message: /stayed locked for 10000 ms \(by pid 90\)/,
      lockedBy: "90 1",
      set: (f) => {
        ensureStateDir(f.fs, state, 1000);
        f.fs.makeSymlink(lock, "90 1");
        f.procs.set(90, "1");
        return {};
      },
    },
    {
      name: "the proxies cannot start",
      message: /^no port for you$/,
      set: (f) => ({ plan: online, startNetwork: fakeNetwork(f, "no port for you") }),
    },
    {
      name: "the plan reaches the network but there is no proxy runtime",
      message: /no proxy runtime is available/,
      set: () => ({ plan: online }),
    },
    {
      name: "an inherited fd would reach the command",
      message: /file descriptors 7 of this process would be inherited/,
      set: (f) => ((f.script.strayFds = [7]), { inheritedFds: "refuse" }),
    },
    {
      name: "bwrap cannot be started",
      message: /^cannot start \/usr\/bin\/bwrap: ENOENT/,
      set: (f) => ((f.script.bwrap = { fate: "missing" }), {}),
    },
    {
      name: "bwrap dies before its child",
      message: /^bwrap could not set up the sandbox/,
      closes: true,
      set: (f) => ((f.script.bwrap = { fate: "dies" }), { plan: online, startNetwork: fakeNetwork(f) }),
    },
    {
      name: "a bridge cannot listen",
      message: /bridge for port \d+ exited \(1\): socat: E bind/,
      closes: true,
      set: (f) => ((f.script.bridge = { fate: "fails" }), { plan: online, startNetwork: fakeNetwork(f) }),
    },
  ];

  it.each(cases)("$name", async (c) => {
    const f = machine();
    const { running, lines } = start(f, c.set(f));
    const result = await running.result;
    expect(result).toEqual({
      kind: "failed",
      code: expect.stringMatching(/^SRT5\d\d$/),
      message: expect.stringMatching(c.message),
    });
    expect(f.events.some((e) => e.startsWith("command started"))).toBe(false);
    expect(lines.at(-1)).toMatch(/ ms cleaned up$/);
    expectCleanedUp(f, c.lockedBy === undefined ? {} : { lockedBy: c.lockedBy });
    expect(f.events.includes("network close")).toBe(c.closes === true);
  });

  it("the registry staying locked is logged at cleanup too, and the run directory still goes", async () => {
    const f = machine();
    ensureStateDir(f.fs, state, 1000);
    f.fs.mkdir(lock, 0o700);
    f.fs.put(`${lock}/owner`, "90 1");
    f.procs.set(90, "1");
    const { running, lines } = start(f);
    await running.result;
    expect(lines).toContain(
      `srt: placeholder cleanup: srt's state directory ${state} stayed locked for 10000 ms (by pid 90)`,
    );
    expect(f.fs.below(runs)).toEqual([runs]);
  });

  it("a protection the host replaces during the run: the sandbox is killed and the run fails with the violation", async () => {
    const f = machine();
    f.fs.put(`${cwd}/.gitmodules`, "[submodule]");
    f.script.bwrap = { command: "hang" };
    const { running } = start(f, { plan: planOf() });
    await until(() => f.events.includes("command started: make test"));
    f.replaceOnHost(`${cwd}/.gitmodules`);
    const result = await running.result;
    expect(result).toMatchObject({
      kind: "failed",
      code: expect.stringMatching(/^SRT5\d\d$/),
      message: expect.stringContaining(`${cwd}/.gitmodules was replaced, removed or renamed on the host`),
      violation: { path: `${cwd}/.gitmodules`, time: "2026-01-02T03:04:05.000Z" },
    });
    expect(f.kills.filter((k) => k.signal === "SIGKILL").length).toBeGreaterThan(0);
    expect(f.fs.below(runs)).toEqual([runs]);
    expect(f.children.filter((c) => c.alive)).toEqual([]);
    expect(f.events.at(-1)).toBe("watchdog dismissed");
  });
});

describe("a writable root swapped for a link since the plan was compiled", () => {
  it("is refused (SRT552) before anything is made: no placeholder lands where the link leads", async () => {
    const f = createFakeLinux({ uid: 1000 });
    f.fs.mkdirp("/run/user/1000");
    f.fs.mkdirp("/home/u/elsewhere");
    f.fs.symlink(cwd, "elsewhere");
    const result = await run(f);
    expect(result).toMatchObject({ kind: "failed", code: "SRT552" });
    expect(JSON.stringify(result)).toContain(`the symbolic link ${cwd} now`);
    expect(f.fs.below("/home/u/elsewhere")).toEqual(["/home/u/elsewhere"]);
    expect(f.events.some((e) => e.startsWith("spawn"))).toBe(false);
  });
});
