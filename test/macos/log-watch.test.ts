/**
 * The log reader and the denial report, fed canned `log stream` output by a
 * fake process. The line format is an assumption about macOS (see
 * log-stream.ts); these tests do not check it against a Mac.
 */
import { describe, expect, it } from "vitest";
import { createDenialStore } from "../../src/runtime/macos/denials.js";
import type { MacosViolation } from "../../src/runtime/macos/index.js";
import { startLogWatch } from "../../src/runtime/macos/log-watch.js";
import { createFakeOs, FakeProcess } from "./fake-os.js";

const tag = "srt-test01";
const denial = (operation: string, path: string, origin = "default:deny", pid = 7): MacosViolation => ({
  kind: "filesystem",
  time: "t",
  process: "p",
  pid,
  operation,
  path,
  origin,
});
const record = (m: string) => `${JSON.stringify({ timestamp: "t", eventMessage: m })}\n`;

function fakeLog() {
  const os = createFakeOs();
  const seen: MacosViolation[] = [];
  let proc: FakeProcess | undefined;
  const spawn: typeof os.deps.spawn = (file, args, request) =>
    (proc = os.deps.spawn(file, args, request) as FakeProcess);
  return {
    seen,
    start: (o: { drainMs?: number; readyTimeoutMs?: number } = {}) =>
      startLogWatch({ spawn, clock: os.deps.clock, tag, env: {}, onViolation: (v) => seen.push(v), drainMs: 0, ...o }),
    proc: () => proc!,
  };
}

describe("startLogWatch (canned output)", () => {
  it("reassembles records split across chunks, skips an over-long line, and stops log stream with SIGTERM", async () => {
    const f = fakeLog();
    const watch = await f.start();
    const line = record(
      "Sandbox: cat(9) deny(1) file-read-data /Users/u/.aws/credentials srt-test01 /filesystem/denyRead/2",
    );
    f.proc().stdout.write(line.slice(0, 20));
    f.proc().stdout.write(line.slice(20));
    f.proc().stdout.write(
      record(`Sandbox: cat(9) deny(1) file-read-data /${"x".repeat(70_000)} srt-test01 /filesystem/denyRead/2`),
    );
    f.proc().stdout.write(line);
    await new Promise((r) => setImmediate(r));
    await watch.stop();
    expect(f.seen.map((v) => v.path)).toEqual(["/Users/u/.aws/credentials", "/Users/u/.aws/credentials"]);
    expect(f.proc().signals).toEqual(["SIGTERM"]);
    expect(watch.note()).toBeUndefined();
  });

  it("keeps reading for the drain time after the command, so late records are counted", async () => {
    const f = fakeLog();
    const watch = await f.start({ drainMs: 60 });
    setTimeout(
      () => f.proc().stdout.write(record("Sandbox: sh(9) deny(1) file-write-create /etc/x srt-test01 default:deny")),
      20,
    );
    await watch.stop();
    expect(f.seen).toHaveLength(1);
  });

  it("says so when log stream ends early (e.g. refused to a non-admin user), naming its message", async () => {
    const f = fakeLog();
    const watch = await f.start();
    f.proc().stderr.write("log: Must be admin to run 'stream' command\n");
    await new Promise((r) => setImmediate(r));
    f.proc().exit(64);
    await watch.stop();
    expect(watch.note()).toBe(
      "srt: /usr/bin/log stream ended early (status 64): log: Must be admin to run 'stream' command; file and other sandbox denials are not fully reported",
    );
  });
});

describe("createDenialStore", () => {
  it("summarizes most frequent first with counts, and shows … past three targets", () => {
    const s = createDenialStore();
    for (const [op, path, n] of [
      ["file-read-data", "/a", 1],
      ["file-read-data", "/b", 3],
      ["file-write-create", "/c", 2],
      ["network-outbound", "1.2.3.4:443", 1],
    ] as const) {
      for (let i = 0; i < n; i++) s.record(denial(op, path));
    }
    expect(s.summaryLine([], ["x"])).toBe(
      "srt: the sandbox denied 7 operations: file-read-data /b ×3 (default:deny), file-write-create /c ×2 (default:deny), file-read-data /a (default:deny) …",
    );
  });

  it("applies ignoreViolations by command and by path (substring, or * over the whole path)", () => {
    const s = createDenialStore();
    s.record(denial("file-read-data", "/Users/u/Library/Caches/x"));
    s.record(denial("file-write-create", "/Users/u/.npmrc"));
    s.record(denial("mach-lookup", ""));
    const rules = (command: string, violations: string[]) => [
      { command, violations, origin: "/ignoreViolations" as const },
    ];
    expect(s.summaryLine(rules("*", ["/Users/*/Library/*"]), ["npm", "i"])).toBe(
      "srt: the sandbox denied 2 operations: mach-lookup (default:deny), file-write-create /Users/u/.npmrc (default:deny)",
    );
    expect(s.summaryLine(rules("npm", [".npmrc", "mach-lookup"]), ["npm", "i"])).toBe(
      "srt: the sandbox denied 1 operation: file-read-data /Users/u/Library/Caches/x (default:deny)",
    );
    expect(s.summaryLine(rules("git", [".npmrc"]), ["npm", "i"])).toMatch(/denied 3 operations/);
    expect(s.summaryLine(rules("*", ["*"]), ["npm"])).toBeUndefined();
  });

  it("stays bounded: a flood of distinct denials keeps exact totals, at most `capacity` events and `maxKeys` targets", () => {
    const s = createDenialStore(10, 5);
    for (let i = 0; i < 100_000; i++) s.record(denial("file-read-data", `/f${i}`));
    expect(s.total()).toBe(100_000);
    expect(s.jsonLines().trim().split("\n")).toHaveLength(10);
    expect(s.summaryLine([], ["x"])).toMatch(/^srt: the sandbox denied 100000 operations: .* …$/);
  });
});
