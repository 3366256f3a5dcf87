// The violation store, the summary line and the ignoreViolations filter.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { IgnoreRule } from "../../src/compiler/ir.js";
import {
  compileIgnoreFilter,
  createHttpProxy,
  createViolationStore,
  reportLine,
  type NetworkViolation,
} from "../../src/runtime/proxy/index.js";
import { inertHost, jsonLine } from "../../src/runtime/untrusted-text.js";
import { allow, exchange, setup } from "./harness.js";

const v = (host: string, port: number, reason = `${host}:${port} is not in allowedDomains`): NetworkViolation => ({
  kind: "network",
  time: "2025-01-01T00:00:00.000Z",
  proxy: "http",
  host,
  port,
  reason,
});

describe("violation store", () => {
  it("keeps the most recent events in a ring and exact totals", () => {
    const store = createViolationStore({ capacity: 3 });
    for (let i = 0; i < 10; i++) store.record(v(`h${i}.test`, 443));
    expect(store.recent().map((e) => e.host)).toEqual(["h7.test", "h8.test", "h9.test"]);
    expect(store.summary().total).toBe(10);
  });

  it("bounds the distinct targets it counts; the rest are still in the total", () => {
    const store = createViolationStore({ maxKeys: 2 });
    for (let i = 0; i < 5; i++) store.record(v(`h${i}.test`, 80));
    const s = store.summary();
    expect(s).toMatchObject({ total: 5, others: 3 });
    expect(s.byTarget).toHaveLength(2);
    expect(store.summaryLine()).toMatch(/ …$/);
  });

  it("summary line: most frequent first, counts, reasons without the repeated target", () => {
    const store = createViolationStore();
    expect(store.summaryLine()).toBeUndefined();
    store.record(v("evil.test", 443));
    store.record(v("evil.test", 443));
    store.record(v("::1", 22, "[::1]:22 resolves to ::1 (loopback)"));
    expect(store.summaryLine()).toBe(
      "srt: blocked 3 network requests: evil.test:443 ×2 (is not in allowedDomains), [::1]:22 (resolves to ::1 (loopback))",
    );
  });

  it("appends JSON lines to a file (0600) and reports a write error instead of throwing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "srt-viol-"));
    try {
      const file = join(dir, "v.jsonl");
      const store = createViolationStore({ file });
      store.record(v("a.test", 1));
      store.record(v("b.test", 2));
      expect(await store.close()).toBeUndefined();
      const lines = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as NetworkViolation);
      expect(lines.map((l) => l.host)).toEqual(["a.test", "b.test"]);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const bad = createViolationStore({ file: join(dir, "missing-dir", "v.jsonl") });
      bad.record(v("c.test", 3));
      expect((await bad.close())?.message).toMatch(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("receives the proxies' refusals", async () => {
    const store = createViolationStore();
    const s = setup([allow("allowed.test")], { onViolation: store.record });
    const proxy = createHttpProxy(s.deps);
    const { port } = (await proxy.listen({ port: 0 })) as { port: number };
    await exchange(port, "CONNECT evil.test:443 HTTP/1.1\r\n\r\n");
    await proxy.close();
    expect(store.summaryLine()).toBe("srt: blocked 1 network request: evil.test:443 (is not in allowedDomains)");
  });
});

describe("the command's text in reports", () => {
  const hostile = [
    "$(touch /tmp/x)",
    "`id`",
    "a;b|c&d>e<f",
    "line\nbreak",
    "sep\u2028arator\u2029",
    "del\u007f",
    "bidi\u202eevil",
    "quote\"'",
  ];

  it("JSON lines escape control characters, DEL, everything beyond ASCII, $ and backquote, and parse back to the same values", () => {
    for (const h of hostile) {
      const line = jsonLine(v(h, 80));
      expect(line, h).not.toMatch(/[^\x20-\x7e]|[$`]/);
      expect(JSON.parse(line)).toEqual(v(h, 80));
    }
  });

  it("the summary shows hosts escaped wherever they appear, and srt's own words with nothing a shell would act on", () => {
    for (const h of hostile) {
      const store = createViolationStore();
      store.record(v(h, 80, `"${h}" is not a valid host name or address`));
      const line = store.summaryLine()!;
      expect(line, h).not.toMatch(/[\x00-\x1f\x7f$`;|&<>]|[^\x00-\x7e×…]/);
      expect(line).toContain(inertHost(h));
      expect(
        line.startsWith(`srt: blocked 1 network request: ${inertHost(h)}:80 ("${inertHost(h)}" is not`),
        line,
      ).toBe(true);
    }
    expect(inertHost("$(x)")).toBe("\\x24\\x28x\\x29");
    expect(inertHost("a-b.example.com")).toBe("a-b.example.com");
    expect(inertHost("fe80::1%eth0")).toBe("fe80::1%eth0");
  });

  it("the file: never through a symlink at its name, never anything but a regular file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "srt-viol-"));
    try {
      writeFileSync(join(dir, "bashrc"), "# rc\n");
      symlinkSync("bashrc", join(dir, "v.jsonl"));
      const linked = createViolationStore({ file: join(dir, "v.jsonl") });
      linked.record(v("$(x)", 1));
      expect((await linked.close())?.message).toMatch(/symlink/);
      expect(readFileSync(join(dir, "bashrc"), "utf8")).toBe("# rc\n");
      mkdirSync(join(dir, "d"));
      const notFile = createViolationStore({ file: join(dir, "d") });
      notFile.record(v("a", 1));
      expect((await notFile.close())?.message).toMatch(/EISDIR|not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ignoreViolations", () => {
  const rules = (command: string, ...violations: string[]): IgnoreRule => ({
    command,
    violations,
    origin: `/ignoreViolations/${command}`,
  });
  const store = createViolationStore();
  store.record(v("telemetry.example.com", 443));
  store.record(v("telemetry.example.com", 443));
  store.record(v("evil.test", 80));

  it("`*` applies to every command; a pattern without * is a substring of `host:port reason`", () => {
    const f = compileIgnoreFilter([rules("*", "telemetry.example")], ["anything"]);
    expect(f(v("telemetry.example.com", 443))).toBe(true);
    expect(f(v("evil.test", 80))).toBe(false);
    expect(reportLine(store, [rules("*", "telemetry.example")], ["x"])).toBe(
      "srt: blocked 1 network request: evil.test:80 (is not in allowedDomains)",
    );
  });

  it("other command patterns apply when the command line contains them", () => {
    const r = [rules("npm install", "evil.test")];
    expect(compileIgnoreFilter(r, ["npm", "install", "left-pad"])(v("evil.test", 80))).toBe(true);
    expect(compileIgnoreFilter(r, ["npm", "test"])(v("evil.test", 80))).toBe(false);
  });

  it("a pattern with * must match the whole host or host:port", () => {
    const f = compileIgnoreFilter([rules("*", "*.example.com")], []);
    expect(f(v("telemetry.example.com", 443))).toBe(true);
    expect(f(v("example.com.evil.test", 443))).toBe(false);
    expect(compileIgnoreFilter([rules("*", "evil.test:*")], [])(v("evil.test", 80))).toBe(true);
  });

  it("everything ignored → no report line; the store still holds every event", () => {
    expect(reportLine(store, [rules("*", "*")], [])).toBeUndefined();
    expect(store.recent()).toHaveLength(3);
    expect(store.summary(compileIgnoreFilter([rules("*", "*")], []))).toMatchObject({ total: 0, ignored: 3 });
  });
});
