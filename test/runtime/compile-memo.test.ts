/**
 * The compile memo's trace (runtime/compile-memo.ts): a recorded compile is reused only while every
 * question gets the answer it got. Pure: a Host and a file system's times made up here, so each
 * rule can be broken on purpose — above all the one a hostile command would aim at, a directory
 * whose entries changed in the same clock tick as the listing (so its state looks unchanged).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { DirEntry, Host, HostResult, HostStat } from "../../src/compiler/host.js";
import {
  recordingHost,
  settleMs,
  traceHolds,
  type DirState,
  type MemoDeps,
  type Trace,
} from "../../src/runtime/compile-memo.js";

const second = 1_000_000_000n;

/** A machine to ask: listings, lstat answers, files and variables, and each directory's stat. */
function machine() {
  const listings = new Map<string, DirEntry[]>([
    [
      "/p",
      [
        { name: "a", kind: "dir" },
        { name: "f", kind: "file" },
      ],
    ],
    ["/p/a", [{ name: "b", kind: "dir" }]],
    ["/p/a/b", []],
  ]);
  const stats = new Map<string, DirState>([
    ["/p", { dev: 1n, ino: 10n, mtimeNs: 100n * second, ctimeNs: 100n * second }],
    ["/p/a", { dev: 1n, ino: 11n, mtimeNs: 100n * second, ctimeNs: 100n * second }],
    ["/p/a/b", { dev: 1n, ino: 12n, mtimeNs: 100n * second, ctimeNs: 100n * second }],
  ]);
  const lstats = new Map<string, HostResult<HostStat>>([
    ["/p/.git", { ok: false, code: "ENOENT" }],
    ["/p/f", { ok: true, value: { kind: "file", uid: 1000, mode: 0o644 } }],
  ]);
  const files = new Map<string, string>([["/p/.gitmodules", "[submodule]\n"]]);
  const vars: Record<string, string> = { HOME: "/home/u", XDG_CONFIG_HOME: "/home/u/.config" };
  let listed = 0;
  const host: Host = {
    lstat: (p) => lstats.get(p) ?? { ok: false, code: "ENOENT" },
    realpath: (p) => ({ ok: true, value: p }),
    readdir: (p) => {
      listed++;
      const l = listings.get(p);
      return l === undefined ? { ok: false, code: "ENOENT" } : { ok: true, value: [...l] };
    },
    readlink: () => ({ ok: false, code: "EIO" }),
    readFile: (p) => {
      const t = files.get(p);
      return t === undefined ? { ok: false, code: "ENOENT" } : { ok: true, value: t };
    },
    now: () => 0,
    env: { cwd: "/p", home: "/home/u", platform: "linux", uid: 1000, stateDir: "/tmp/srt-1000", vars },
  };
  const clock = { ms: 200_000, boot: "boot-1", aheadMs: 1_700_000_000_000 };
  const trusted = new Set([1n]);
  const deps: MemoDeps = {
    dirState: (p) => stats.get(p),
    trustedFs: (_p, dev) => trusted.has(dev),
    nowMs: () => clock.ms,
    digest: (t) => createHash("sha256").update(t).digest("base64"),
    clock: () => ({ boot: clock.boot, aheadMs: clock.aheadMs }),
  };
  return { host, deps, listings, stats, lstats, files, vars, clock, trusted, listedCount: () => listed };
}

/** What a compile asks: the tree below /p, two lstats, a file and a variable. */
function compile(host: Host): string[] {
  const seen: string[] = [];
  const walk = (d: string): void => {
    const r = host.readdir(d);
    if (!r.ok) return;
    for (const e of [...r.value].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      seen.push(`${d}/${e.name}`);
      if (e.kind === "dir") walk(`${d}/${e.name}`);
    }
  };
  walk("/p");
  host.lstat("/p/.git");
  host.lstat("/p/f");
  host.readFile("/p/.gitmodules", 4096);
  seen.push(host.env.vars["XDG_CONFIG_HOME"] ?? "(unset)");
  return seen;
}

function record(m: ReturnType<typeof machine>): Trace {
  const r = recordingHost(m.host, m.deps);
  compile(r.host);
  const trace = r.trace();
  expect(trace).toBeDefined();
  // Stored as JSON between runs: what holds must hold after that too.
  return JSON.parse(JSON.stringify(trace)) as Trace;
}

describe("compile memo: a trace holds while every answer does", () => {
  it("holds for the same machine, checking settled directories by their state alone", () => {
    const m = machine();
    const trace = record(m);
    expect(
      trace.calls.filter((c) => c.op === "readdir").every((c) => c.op === "readdir" && c.state !== undefined),
    ).toBe(true);
    const before = m.listedCount();
    expect(traceHolds(trace, m.host, m.deps)).toEqual({ holds: true, refreshed: false });
    expect(m.listedCount()).toBe(before);
  });

  it("fails when an lstat, a file or a variable answers otherwise", () => {
    for (const change of [
      (m: ReturnType<typeof machine>) =>
        m.lstats.set("/p/.git", { ok: true, value: { kind: "dir", uid: 1000, mode: 0o755 } }),
      (m: ReturnType<typeof machine>) =>
        m.lstats.set("/p/f", { ok: true, value: { kind: "file", uid: 1000, mode: 0o666 } }),
      (m: ReturnType<typeof machine>) => m.files.set("/p/.gitmodules", "[core]\n\thooksPath = /tmp/x\n"),
      (m: ReturnType<typeof machine>) => (m.vars["XDG_CONFIG_HOME"] = "/elsewhere"),
      (m: ReturnType<typeof machine>) => delete m.vars["XDG_CONFIG_HOME"],
    ]) {
      const m = machine();
      const trace = record(m);
      change(m);
      expect(traceHolds(trace, m.host, m.deps).holds).toBe(false);
    }
  });

  it("a variable it never read may change; one it listed all of may not appear", () => {
    const m = machine();
    const trace = record(m);
    m.vars["UNRELATED"] = "x";
    expect(traceHolds(trace, m.host, m.deps).holds).toBe(true);

    const n = machine();
    const r = recordingHost(n.host, n.deps);
    compile(r.host);
    expect(Object.keys(r.host.env.vars)).toEqual(["HOME", "XDG_CONFIG_HOME"]);
    const listing = JSON.parse(JSON.stringify(r.trace())) as Trace;
    n.vars["NEW"] = "x";
    expect(traceHolds(listing, n.host, n.deps).holds).toBe(false);
  });

  it("a directory whose entries changed fails, wherever it is in the tree", () => {
    for (const dir of ["/p", "/p/a", "/p/a/b"]) {
      const m = machine();
      const trace = record(m);
      // A nested repository appears: the kernel gives the directory a new ctime.
      m.listings.get(dir)!.push({ name: ".git", kind: "dir" });
      m.stats.set(dir, { ...m.stats.get(dir)!, ctimeNs: 199n * second, mtimeNs: 199n * second });
      expect(traceHolds(trace, m.host, m.deps).holds).toBe(false);
    }
  });

  it("a directory with a new state but the same entries holds, and its settled state is recorded", () => {
    const m = machine();
    const trace = record(m);
    // An editor's save by rename: same names afterwards, new ctime; listed in another order.
    m.listings.set("/p", [
      { name: "f", kind: "file" },
      { name: "a", kind: "dir" },
    ]);
    m.stats.set("/p", { ...m.stats.get("/p")!, ctimeNs: 150n * second, mtimeNs: 150n * second });
    expect(traceHolds(trace, m.host, m.deps)).toEqual({ holds: true, refreshed: true });
    const p = trace.calls.find((c) => c.op === "readdir" && c.path === "/p");
    expect(p?.op === "readdir" ? p.state : undefined).toBe(`1:10:${150n * second}:${150n * second}`);
  });

  it("a large directory is compared by its digest: a renamed entry fails, the same entries hold", () => {
    const m = machine();
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `pkg${i}`, kind: "dir" as const }));
    m.listings.set("/p/a/b", many);
    for (const e of many) m.listings.set(`/p/a/b/${e.name}`, []);
    const trace = record(m);
    const b = trace.calls.find((c) => c.op === "readdir" && c.path === "/p/a/b");
    expect(b?.answer).toMatch(/^#/);
    m.stats.set("/p/a/b", { ...m.stats.get("/p/a/b")!, ctimeNs: 150n * second });
    m.listings.set("/p/a/b", [...many].reverse());
    expect(traceHolds(trace, m.host, m.deps).holds).toBe(true);
    m.listings.set("/p/a/b", [...many.slice(1), { name: ".git", kind: "dir" }]);
    m.stats.set("/p/a/b", { ...m.stats.get("/p/a/b")!, ctimeNs: 160n * second });
    expect(traceHolds(trace, m.host, m.deps)).toMatchObject({ holds: false, broke: "readdir /p/a/b" });
  });

  it("an entry of another kind under the same name fails", () => {
    const m = machine();
    const trace = record(m);
    m.listings.set("/p", [
      { name: "a", kind: "dir" },
      { name: "f", kind: "dir" },
    ]);
    m.stats.set("/p", { ...m.stats.get("/p")!, ctimeNs: 150n * second });
    expect(traceHolds(trace, m.host, m.deps).holds).toBe(false);
  });

  it("a directory changed within settleMs of its listing keeps no state: a change in the same tick is still found", () => {
    const m = machine();
    // /p/a changed a moment before srt looked: its ctime is not settled.
    m.stats.set("/p/a", { ...m.stats.get("/p/a")!, ctimeNs: BigInt(m.clock.ms - settleMs + 1) * 1_000_000n });
    const trace = record(m);
    const a = trace.calls.find((c) => c.op === "readdir" && c.path === "/p/a");
    expect(a?.op === "readdir" ? a.state : "missing").toBeUndefined();
    // The hostile case: another entry lands in the same clock tick, so the state stays as it was.
    m.listings.get("/p/a")!.push({ name: "hooks", kind: "dir" });
    expect(traceHolds(trace, m.host, m.deps).holds).toBe(false);

    // What the rule prevents: had that state been recorded, the change would go unseen.
    const careless = JSON.parse(JSON.stringify(trace)) as Trace;
    const b = careless.calls.find((c) => c.op === "readdir" && c.path === "/p/a");
    if (b?.op === "readdir") b.state = `1:11:${100n * second}:${BigInt(m.clock.ms - settleMs + 1) * 1_000_000n}`;
    expect(traceHolds(careless, m.host, m.deps).holds).toBe(true);
  });

  it("after the wall clock was set back or the machine booted again, no state is trusted: every directory is compared", () => {
    for (const step of [
      (c: { boot: string; aheadMs: number }) => (c.aheadMs -= 3_000),
      (c: { boot: string; aheadMs: number }) => (c.boot = "boot-2"),
    ]) {
      const m = machine();
      const trace = record(m);
      step(m.clock);
      // A change that got the recorded ctime again (the clock showed that time once more): same state.
      m.listings.get("/p/a/b")!.push({ name: ".git", kind: "dir" });
      expect(traceHolds(trace, m.host, m.deps)).toMatchObject({ holds: false, broke: "readdir /p/a/b" });
      m.listings.get("/p/a/b")!.pop();
      const before = m.listedCount();
      const again = JSON.parse(JSON.stringify(trace)) as Trace;
      expect(traceHolds(again, m.host, m.deps)).toEqual({ holds: true, refreshed: true });
      expect(m.listedCount() - before).toBe(3);
      // Its states are taken anew, under the new mark: trusted from here on.
      expect(again.clock).toEqual(m.deps.clock());
      const after = m.listedCount();
      expect(traceHolds(again, m.host, m.deps).holds).toBe(true);
      expect(m.listedCount()).toBe(after);
    }
  });

  it("NTP's slewing is no step: half a second back still trusts the states", () => {
    const m = machine();
    const trace = record(m);
    m.clock.aheadMs -= 400;
    const before = m.listedCount();
    expect(traceHolds(trace, m.host, m.deps).holds).toBe(true);
    expect(m.listedCount()).toBe(before);
  });

  it("a recording after the clock was set back vouches for nothing from the earlier trace", () => {
    const m = machine();
    const earlier = record(m);
    m.clock.aheadMs -= 3_000;
    m.listings.get("/p/a/b")!.push({ name: "hooks", kind: "dir" });
    m.listings.set("/p/a/b/hooks", []);
    const r = recordingHost(m.host, m.deps, earlier);
    expect(compile(r.host)).toContain("/p/a/b/hooks");
    expect(r.trace()?.clock).toEqual(m.deps.clock());
  });

  it("a file system whose times are not the kernel's keeps no state", () => {
    const m = machine();
    m.trusted.clear();
    const trace = record(m);
    expect(trace.calls.some((c) => c.op === "readdir" && c.state !== undefined)).toBe(false);
    const before = m.listedCount();
    expect(traceHolds(trace, m.host, m.deps).holds).toBe(true);
    expect(m.listedCount()).toBe(before + 3);
    // Listed again, a change is found even with every state as it was.
    m.listings.get("/p/a/b")!.push({ name: "x", kind: "file" });
    expect(traceHolds(trace, m.host, m.deps).holds).toBe(false);
  });

  it("a directory replaced by another (a new inode, an old ctime) is listed again", () => {
    const m = machine();
    const trace = record(m);
    m.stats.set("/p/a/b", { ...m.stats.get("/p/a/b")!, ino: 99n });
    m.listings.set("/p/a/b", [{ name: "config", kind: "file" }]);
    expect(traceHolds(trace, m.host, m.deps).holds).toBe(false);
  });

  it("after a change, the next recording lists only what changed, and sees what the change made", () => {
    const m = machine();
    const earlier = record(m);
    m.listings.get("/p/a/b")!.push({ name: ".git", kind: "dir" });
    m.listings.set("/p/a/b/.git", []);
    m.stats.set("/p/a/b", { ...m.stats.get("/p/a/b")!, ctimeNs: 199n * second });
    expect(traceHolds(earlier, m.host, m.deps).holds).toBe(false);
    const before = m.listedCount();
    const r = recordingHost(m.host, m.deps, earlier);
    expect(compile(r.host)).toEqual(compile(m.host));
    // The recording listed /p/a/b and its new /p/a/b/.git (the second compile above listed all four).
    expect(m.listedCount() - before).toBe(2 + 4);
    expect(traceHolds(JSON.parse(JSON.stringify(r.trace())) as Trace, m.host, m.deps).holds).toBe(true);
  });

  it("an earlier trace's state vouches for a listing only if it held while srt listed", () => {
    const m = machine();
    const many = Array.from({ length: 40 }, (_, i) => ({ name: `n${i}`, kind: "file" as const }));
    m.listings.set("/p/a/b", many);
    const earlier = record(m);
    // /p/a/b changes while it is listed (its digest is all the trace kept, so it must be listed):
    // the state stat(2) gives before the listing is the recorded one, after it a new one.
    const b = m.stats.get("/p/a/b")!;
    let calls = 0;
    const deps: MemoDeps = {
      ...m.deps,
      dirState: (p) => (p === "/p/a/b" && calls++ > 0 ? { ...b, ctimeNs: 199n * second } : m.deps.dirState(p)),
    };
    m.listings.set("/p/a/b", [...many.slice(1), { name: "hooks", kind: "dir" }]);
    const r = recordingHost(m.host, deps, earlier);
    compile(r.host);
    const listed = r.trace()!.calls.find((c) => c.op === "readdir" && c.path === "/p/a/b");
    const old = earlier.calls.find((c) => c.op === "readdir" && c.path === "/p/a/b");
    expect(listed?.answer).not.toBe(old?.answer);
  });

  it("a compile that saw one question answered two ways leaves no trace", () => {
    const m = machine();
    const r = recordingHost(m.host, m.deps);
    r.host.lstat("/p/.git");
    m.lstats.set("/p/.git", { ok: true, value: { kind: "dir", uid: 1000, mode: 0o755 } });
    r.host.lstat("/p/.git");
    expect(r.trace()).toBeUndefined();
  });

  it("errors are answers too: a directory that could not be listed must still fail to list", () => {
    const m = machine();
    m.listings.delete("/p/a/b");
    const trace = record(m);
    m.listings.set("/p/a/b", [{ name: "x", kind: "file" }]);
    expect(traceHolds(trace, m.host, m.deps).holds).toBe(false);
  });
});
