/**
 * The protection watch's logic on a fake machine: identities are a table the
 * test edits, directory watches and timers fire when the test says so. The
 * real kernel behaviour (a host rename detaching a mount) is in
 * test/linux/host-replace.test.ts; here, which change is noticed, when, and
 * what is reported.
 */
import { describe, expect, it } from "vitest";
import type { DetachableMount } from "../../src/backends/bwrap/index.js";
import {
  detachmentMessage,
  guardProtections,
  violationOf,
  watchProtections,
  type Detachment,
  type Identity,
  type WatchOs,
} from "../../src/runtime/linux/protection-watch.js";

function fakeOs(initial: Record<string, Identity>, unwatchable: readonly string[] = []) {
  const ids = new Map(Object.entries(initial));
  const watchers = new Map<string, { onEntry: (n: string | undefined) => void; onError: () => void; open: boolean }>();
  const timers: { ms: number; fn: () => void; live: boolean }[] = [];
  let reads = 0;
  const os: WatchOs = {
    identity: (p) => (reads++, ids.get(p) ?? "absent"),
    watchDir(dir, onEntry, onError) {
      if (unwatchable.includes(dir)) throw Object.assign(new Error("ENOSPC"), { code: "ENOSPC" });
      const w = { onEntry, onError, open: true };
      watchers.set(dir, w);
      return { close: () => void (w.open = false) };
    },
    every(ms, fn) {
      const t = { ms, fn, live: true };
      timers.push(t);
      return { cancel: () => void (t.live = false) };
    },
  };
  return {
    os,
    set: (p: string, id: Identity) => void ids.set(p, id),
    remove: (p: string) => void ids.delete(p),
    /** An inotify event in dir about name (only if the watch is open). */
    event: (dir: string, name: string | undefined) => watchers.get(dir)?.open && watchers.get(dir)!.onEntry(name),
    fail: (dir: string) => watchers.get(dir)?.onError(),
    tick: () => timers.filter((t) => t.live).forEach((t) => t.fn()),
    liveTimers: () => timers.filter((t) => t.live).map((t) => t.ms),
    openWatches: () => [...watchers].filter(([, w]) => w.open).map(([d]) => d),
    reads: () => reads,
  };
}

const m = (path: string, guards: DetachableMount["guards"] = "write"): DetachableMount => ({
  path,
  guards,
  origin: [`default:${path}`],
});
const w = "/p/work";

function collect() {
  const seen: Detachment[] = [];
  return { seen, on: (d: Detachment) => void seen.push(d) };
}

describe("protection watch", () => {
  it("an event naming a watched entry whose identity changed reports it, once, and stops watching", () => {
    const f = fakeOs({ [`${w}/.gitmodules`]: "1:10", [`${w}/.bashrc`]: "1:11" });
    const c = collect();
    watchProtections([m(`${w}/.gitmodules`), m(`${w}/.bashrc`)], f.os, c.on);
    expect(f.openWatches()).toEqual([w]);
    f.event(w, ".gitmodules"); // modified in place: same inode
    expect(c.seen).toEqual([]);
    f.set(`${w}/.gitmodules`, "1:99"); // an editor's save: a new inode at the name
    f.event(w, ".gitmodules");
    expect(c.seen).toEqual([{ mount: m(`${w}/.gitmodules`), before: "1:10", after: "1:99" }]);
    f.remove(`${w}/.bashrc`);
    f.event(w, ".bashrc");
    f.tick();
    expect(c.seen).toHaveLength(1);
    expect(f.openWatches()).toEqual([]);
    expect(f.liveTimers()).toEqual([]);
  });

  it("a removed path (a deleted placeholder) reads as absent", () => {
    const f = fakeOs({ [`${w}/.bashrc`]: "1:11" });
    const c = collect();
    watchProtections([m(`${w}/.bashrc`)], f.os, c.on);
    f.remove(`${w}/.bashrc`);
    f.event(w, ".bashrc");
    expect(c.seen.map((d) => d.after)).toEqual(["absent"]);
  });

  it("events about other entries of the directory read nothing (a busy project root costs no stat)", () => {
    const f = fakeOs({ [`${w}/.gitmodules`]: "1:10" });
    watchProtections([m(`${w}/.gitmodules`)], f.os, collect().on);
    const before = f.reads();
    for (let i = 0; i < 100; i++) f.event(w, `build-${i}.log`);
    expect(f.reads()).toBe(before);
    f.event(w, undefined); // a nameless event: the whole directory is read again
    expect(f.reads()).toBe(before + 1);
  });

  it("watches each parent directory once, and skips paths that did not exist at the start", () => {
    const f = fakeOs({ [`${w}/a`]: "1:1", [`${w}/a/b`]: "1:2", [`${w}/a/b/secret`]: "1:3", [`${w}/.npmrc`]: "1:4" });
    const watch = watchProtections(
      [
        m(`${w}/a`, "below"),
        m(`${w}/a/b`, "below"),
        m(`${w}/a/b/secret`, "read"),
        m(`${w}/.npmrc`),
        m(`${w}/.not-there`),
      ],
      f.os,
      collect().on,
    );
    expect(f.openWatches().sort()).toEqual([w, `${w}/a`, `${w}/a/b`]);
    expect(watch.stats()).toEqual({ paths: 4, watched: 3, polled: 0 });
  });

  it("a change between reading the identities and the watches being in place is found at once", () => {
    const f = fakeOs({ [`${w}/.gitmodules`]: "1:10" });
    const c = collect();
    const os: WatchOs = {
      ...f.os,
      watchDir(dir, onEntry, onError) {
        f.set(`${w}/.gitmodules`, "1:77"); // the host, racing the set-up
        return f.os.watchDir(dir, onEntry, onError);
      },
    };
    watchProtections([m(`${w}/.gitmodules`)], os, c.on);
    expect(c.seen.map((d) => d.after)).toEqual(["1:77"]);
  });

  it("a change with no event (an ancestor renamed, a lost event) is found by the slow re-read", () => {
    const f = fakeOs({ [`${w}/.gitmodules`]: "1:10" });
    const c = collect();
    watchProtections([m(`${w}/.gitmodules`)], f.os, c.on);
    expect(f.liveTimers()).toEqual([1000]);
    f.set(`${w}/.gitmodules`, "2:10"); // same inode number on another device is another file
    expect(c.seen).toEqual([]);
    f.tick();
    expect(c.seen.map((d) => d.after)).toEqual(["2:10"]);
  });

  it("a directory that cannot be watched (or whose watch fails later) is polled often instead", () => {
    const f = fakeOs({ [`${w}/.gitmodules`]: "1:10", [`${w}/sub/.envrc`]: "1:12" }, [w]);
    const c = collect();
    const watch = watchProtections([m(`${w}/.gitmodules`), m(`${w}/sub/.envrc`)], f.os, c.on, {
      pollMs: 50,
      backstopMs: 1000,
    });
    expect(watch.stats()).toEqual({ paths: 2, watched: 1, polled: 1 });
    expect(f.liveTimers()).toEqual([50]);
    f.fail(`${w}/sub`);
    expect(watch.stats()).toEqual({ paths: 2, watched: 0, polled: 2 });
    expect(f.liveTimers()).toEqual([50]);
    f.remove(`${w}/sub/.envrc`);
    f.tick();
    expect(c.seen.map((d) => d.mount.path)).toEqual([`${w}/sub/.envrc`]);
  });

  it("an identity that cannot be read (EACCES) is not a detachment; the next readable change is", () => {
    const f = fakeOs({ [`${w}/.gitmodules`]: "1:10" });
    const c = collect();
    watchProtections([m(`${w}/.gitmodules`)], f.os, c.on);
    f.set(`${w}/.gitmodules`, "unknown");
    f.tick();
    expect(c.seen).toEqual([]);
    f.set(`${w}/.gitmodules`, "1:11");
    f.tick();
    expect(c.seen).toHaveLength(1);
  });

  it("nothing to watch: no watch, no timer", () => {
    const f = fakeOs({});
    watchProtections([m(`${w}/.gitmodules`)], f.os, collect().on);
    expect(f.openWatches()).toEqual([]);
    expect(f.liveTimers()).toEqual([]);
  });

  it("close() stops everything; later changes are not reported", () => {
    const f = fakeOs({ [`${w}/.gitmodules`]: "1:10" });
    const c = collect();
    const watch = watchProtections([m(`${w}/.gitmodules`)], f.os, c.on);
    watch.close();
    f.set(`${w}/.gitmodules`, "1:11");
    f.event(w, ".gitmodules");
    f.tick();
    expect(c.seen).toEqual([]);
    expect(f.liveTimers()).toEqual([]);
  });
});

describe("guard (what the runner sees)", () => {
  it("kills first, then the failure names the path, the rule and what the mount did, and carries a violation", () => {
    const f = fakeOs({ [`${w}/.gitmodules`]: "1:10" });
    const order: string[] = [];
    const guard = guardProtections(
      [m(`${w}/.gitmodules`)],
      () => order.push(`kill (failure known: ${guard?.failure() !== undefined})`),
      f.os,
      () => new Date("2026-01-02T03:04:05Z"),
    );
    expect(guard.failure()).toBeUndefined();
    f.set(`${w}/.gitmodules`, "1:11");
    f.event(w, ".gitmodules");
    expect(order).toEqual(["kill (failure known: false)"]);
    const failure = guard.failure()!;
    expect(failure.kind).toBe("failed");
    expect(failure.message).toContain(`${w}/.gitmodules was replaced, removed or renamed on the host`);
    expect(failure.message).toContain("kept it read-only");
    expect(failure.message).toContain(`default:${w}/.gitmodules`);
    expect(failure.violation).toEqual({
      kind: "filesystem",
      time: "2026-01-02T03:04:05.000Z",
      path: `${w}/.gitmodules`,
      guards: "write",
      reason: "replaced on the host during the run: the path lost its mount",
      rule: [`default:${w}/.gitmodules`],
    });
  });

  it("says what was lost for each kind of mount", () => {
    const d = (guards: DetachableMount["guards"], after: Identity): Detachment => ({
      mount: m("/x", guards),
      before: "1:1",
      after,
    });
    expect(detachmentMessage(d("read", "1:2"))).toContain("kept it unreadable");
    expect(detachmentMessage(d("below", "absent"))).toContain("held the protections below it");
    expect(violationOf(d("write", "absent"), new Date(0)).reason).toMatch(/^removed or renamed/);
  });
});
