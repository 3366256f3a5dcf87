/**
 * The SandboxManager shim against the reference's public members (0.0.83):
 * wrapWithSandbox honours customConfig (a per-command policy), runs bash by
 * default, and its offline command line works under execSync/spawnSync; the
 * rest of the members behave as the reference's where they apply. Real bwrap,
 * the built CLI, loopback servers only.
 */
import { execSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import { createSandboxManager, SandboxConfigError, SandboxViolationStore } from "../../src/index.js";
import { curl, privateTmp, srtBin, startWeb, skipReason, supported, type Web } from "./support.js";

/**
 * A loopback server in a thread of its own: a test blocked in execSync cannot serve one from its own loop.
 * Answers every request with `marker`.
 */
async function threadWeb(marker: string): Promise<{ port: number; close(): Promise<number> }> {
  const w = new Worker(
    `const http = require("node:http"); const { parentPort } = require("node:worker_threads");
     const s = http.createServer((q, r) => r.end(${JSON.stringify(marker + "\n")}));
     s.listen(0, "127.0.0.1", () => parentPort.postMessage(s.address().port));
     parentPort.on("message", () => { s.closeAllConnections(); s.close(); parentPort.close(); });`,
    { eval: true },
  );
  const port = await new Promise<number>((resolve) => w.once("message", resolve));
  return { port, close: () => (w.postMessage("close"), new Promise((r) => w.once("exit", r))) };
}

/** This process's threads (Node's own, vitest's, and any srt started). */
const threads = (): number => readdirSync("/proc/self/task").length;

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

function runAsync(line: string): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(line, { shell: true, stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (status) => (clearTimeout(timer), resolve({ status, stdout })));
  });
}

describe.skipIf(lacking(!supported, skipReason))("SandboxManager shim (real bwrap, built CLI)", () => {
  let a: Web;
  let tmp: ReturnType<typeof privateTmp>;
  let work: string;
  let outside: string;
  beforeAll(async () => {
    tmp = privateTmp();
    work = mkdtempSync(join(tmp.dir, "..", "srtmgr-work-"));
    outside = mkdtempSync(join(tmp.dir, "..", "srtmgr-outside-"));
    a = await startWeb("from-a");
  });
  afterAll(async () => {
    await a.close();
    const left = tmp.leftovers();
    tmp.remove();
    for (const d of [work, outside]) rmSync(d, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it("wrapWithSandbox: bash by default, no Node, works under execSync at once, and fails closed after reset()", async () => {
    const m = createSandboxManager();
    await m.initialize({}, undefined, { cwd: work, srtPath: srtBin });
    const line = await m.wrapWithSandbox('echo "bash=${BASH_VERSION:+yes} sandbox=$SRT_SANDBOX"');
    expect(line).not.toContain(process.execPath);
    const t0 = performance.now();
    expect(execSync(line, { encoding: "utf8", timeout: 20_000 })).toBe("bash=yes sandbox=1\n");
    // The old shim waited 2 s for proxies that a synchronous caller cannot serve, then failed.
    expect(performance.now() - t0).toBeLessThan(1500);
    const sh = await m.wrapWithSandbox('echo "bash=${BASH_VERSION:+yes}"', "/bin/sh");
    expect(execSync(sh, { encoding: "utf8" })).toBe("bash=\n");
    await m.reset();
    const after = spawnSync(line, { shell: true, encoding: "utf8" });
    expect(after.status).not.toBe(0);
    expect(after.stdout).toBe("");
  });

  it("customConfig is a per-command policy: its file-system and network keys apply to that command only", async () => {
    const m = createSandboxManager();
    await m.initialize({}, undefined, { cwd: work, srtPath: srtBin });
    try {
      const target = join(outside, "custom");
      const write = `touch ${target} 2>/dev/null && echo wrote || echo refused`;
      expect(execSync(await m.wrapWithSandbox(write), { encoding: "utf8" })).toBe("refused\n");
      expect(existsSync(target)).toBe(false);
      const custom = await m.wrapWithSandbox(write, undefined, { filesystem: { allowWrite: [outside] } });
      expect(execSync(custom, { encoding: "utf8" })).toBe("wrote\n");
      expect(existsSync(target)).toBe(true);
      // The next command without customConfig is back to the config's policy.
      rmSync(target);
      expect(execSync(await m.wrapWithSandbox(write), { encoding: "utf8" })).toBe("refused\n");
      expect(existsSync(target)).toBe(false);

      // Network: a customConfig allowing the server reaches it (through this process's proxies); the
      // config (no network) has no route at all.
      const offline = curl(a.port);
      expect((await runAsync(await m.wrapWithSandbox(offline))).stdout).toBe("000\nfail\n");
      const net = await m.wrapWithSandbox(curl(a.port), undefined, {
        network: { allowedDomains: [`127.0.0.1:${a.port}`] },
      });
      expect((await runAsync(net)).stdout).toBe("200\n");
      expect((await runAsync(await m.wrapWithSandbox(offline))).stdout).toBe("000\nfail\n");
      // Invalid per-command settings: refused, never ignored.
      await expect(m.wrapWithSandbox("true", undefined, { filesystem: { allowWrite: "x" } })).rejects.toBeInstanceOf(
        SandboxConfigError,
      );
    } finally {
      await m.reset();
    }
  });

  it("network.filterRequest in initialize's config is the proxy's hook, not a setting", async () => {
    const m = createSandboxManager();
    const asked: string[] = [];
    try {
      await m.initialize(
        {
          network: {
            allowedDomains: [`127.0.0.1:${a.port}`],
            filterRequest: async (request: Request) => {
              const path = new URL(request.url).pathname;
              asked.push(path);
              return path === "/no" ? { action: "deny", reason: "not this one" } : { action: "allow" };
            },
          },
        },
        undefined,
        { cwd: work, srtPath: srtBin },
      );
      expect((await runAsync(await m.wrapWithSandbox(curl(a.port, "/no")))).stdout).toBe("403\n");
      expect((await runAsync(await m.wrapWithSandbox(curl(a.port, "/yes")))).stdout).toBe("200\n");
      expect(asked).toEqual(["/no", "/yes"]);
    } finally {
      await m.reset();
    }
  });

  it("registerCommandNetworkLists: an unguessable id's list applies to the wraps under that id until unregistered", async () => {
    const m = createSandboxManager();
    await m.initialize({ network: { allowedDomains: [] } }, undefined, { cwd: work, srtPath: srtBin });
    try {
      expect(() => m.registerCommandNetworkLists("short", { allowedDomains: ["example.com"] })).toThrow(/unguessable/);
      const id = "Vq3mZ8pK1xR7tY2wN5bC9d";
      expect(() => m.registerCommandNetworkLists(id, { allowedDomains: ["not a domain"] })).toThrow(/invalid/);
      // The reference's block-all list: offline (no route at all), so a synchronous caller works too.
      expect(execSync(await m.wrapWithSandbox("echo sync"), { encoding: "utf8", timeout: 20_000 })).toBe("sync\n");
      m.registerCommandNetworkLists(id, { allowedDomains: [`127.0.0.1:${a.port}`] });
      const under = await m.wrapWithSandbox(curl(a.port), undefined, undefined, undefined, { commandId: id });
      expect((await runAsync(under)).stdout).toBe("200\n");
      expect((await runAsync(await m.wrapWithSandbox(curl(a.port)))).stdout).toBe("000\nfail\n");
      m.unregisterCommandNetworkLists(id);
      const again = await m.wrapWithSandbox(curl(a.port), undefined, undefined, undefined, { commandId: id });
      expect((await runAsync(again)).stdout).toBe("000\nfail\n");
    } finally {
      await m.reset();
    }
  });

  it("network under execSync: the proxies answer from their own thread; refusals, live updates and ask reach this thread", async () => {
    const b = await threadWeb("from-b");
    const before = threads();
    const m = createSandboxManager();
    const asked: string[] = [];
    await m.initialize(
      { network: { allowedDomains: [`127.0.0.1:${b.port}`] } },
      (q) => (asked.push(`${q.host}:${q.port}`), q.port === a.port),
      { cwd: work, srtPath: srtBin, askTimeoutMs: 3000 },
    );
    try {
      const store = m.getSandboxViolationStore();
      const get = `curl -sS --noproxy '' --max-time 10 http://127.0.0.1:${b.port}/ 2>/dev/null || echo fail`;
      const t0 = performance.now();
      expect(execSync(await m.wrapWithSandbox(get), { encoding: "utf8", timeout: 30_000 })).toBe("from-b\n");
      // The old shim's srt exec gave up after 2 s: the proxies never answered a blocked caller.
      expect(performance.now() - t0).toBeLessThan(10_000);
      // A per-command policy with network access: its proxies are served by the same thread.
      const withThread = threads();
      const custom = await m.wrapWithSandbox(get, undefined, {
        network: { allowedDomains: [`127.0.0.1:${b.port}`, "example.com"] },
      });
      expect(execSync(custom, { encoding: "utf8", timeout: 30_000 })).toBe("from-b\n");
      expect(threads()).toBeLessThanOrEqual(withThread);
      const denied = `127.0.0.1:${b.port + (b.port === 65535 ? -1 : 1)}`;
      const [dHost, dPort] = denied.split(":") as [string, string];
      m.updateConfig({ network: { allowedDomains: [`127.0.0.1:${b.port}`], deniedDomains: [dHost] } });
      expect(execSync(await m.wrapWithSandbox(curl(Number(dPort))), { encoding: "utf8", timeout: 30_000 })).toBe(
        "403\n",
      );
      await until(() => store.getViolations().some((v) => v.line.includes(denied)), "the violation");
      expect(store.getViolations().at(-1)!.line).toMatch(/^deny network-outbound 127\.0\.0\.1:/);
      // A live update reaches the thread: b refused from now on, for a wrapped line made before it too.
      const line = await m.wrapWithSandbox(curl(b.port));
      m.updateConfig({ network: { allowedDomains: [], deniedDomains: [`127.0.0.1`] } });
      expect(execSync(line, { encoding: "utf8", timeout: 30_000 })).toBe("403\n");
      // ask: answered by this thread's callback — asynchronously here, as this thread must run to answer.
      m.updateConfig({ network: { allowedDomains: [] } });
      expect((await runAsync(await m.wrapWithSandbox(curl(a.port)))).stdout).toBe("200\n");
      expect(asked).toContain(`127.0.0.1:${a.port}`);
    } finally {
      await m.reset();
      await b.close();
    }
    // reset() ends the proxy thread (and its sockets with it).
    await until(() => threads() <= before, "the proxy thread to end");
  });

  it("the reference's other members: config getters, dependencies, ports, argv form, abort, Windows-only ones", async () => {
    const m = createSandboxManager();
    expect(m.getConfig()).toBeUndefined();
    expect(await m.waitForNetworkInitialization()).toBe(false);
    expect(m.getNetworkRestrictionConfig()).toEqual({});
    expect(m.checkDependencies()).toEqual({ errors: [], warnings: [] });
    expect(await m.checkDependenciesAsync()).toEqual({ errors: [], warnings: [] });
    const config = {
      network: { allowedDomains: ["example.com"], deniedDomains: ["bad.example.com"] },
      filesystem: { denyRead: [join(work, "secret")], allowWrite: [outside], denyWrite: [join(outside, "keep")] },
    };
    await m.initialize(config, undefined, false, { cwd: work, srtPath: srtBin });
    try {
      expect(m.getConfig()).toEqual(config);
      expect(await m.waitForNetworkInitialization()).toBe(true);
      expect(m.getNetworkRestrictionConfig()).toEqual({
        allowedHosts: ["example.com"],
        deniedHosts: ["bad.example.com"],
      });
      expect(m.getFsReadConfig().denyOnly).toContain(join(work, "secret"));
      expect(m.getFsWriteConfig().allowOnly).toContain(outside);
      expect(m.getFsWriteConfig().denyWithinAllow).toContain(join(outside, "keep"));
      // srt's proxies listen on unix sockets (bridged to 3128/1080 inside): no host port to report.
      expect(m.getProxyPort()).toBeUndefined();
      expect(m.getSocksProxyPort()).toBeUndefined();
      expect(m.askCallbackDenyReason).toBe(true);

      const { argv, env } = await m.wrapWithSandboxArgv("echo argv-form", undefined, { network: {} });
      expect(argv[0]).toBe(process.execPath); // network access: srt exec against this process's proxies
      const r = await new Promise<string>((resolve) => {
        const c = spawn(argv[0]!, argv.slice(1), { env, stdio: ["ignore", "pipe", "ignore"] });
        let out = "";
        c.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
        c.on("close", () => resolve(out));
      });
      expect(r).toBe("argv-form\n");
      await expect(m.wrapWithSandboxArgv("true", undefined, undefined, undefined, outside)).rejects.toThrow(/cwd/);

      const aborted = new AbortController();
      aborted.abort();
      await expect(m.wrapWithSandbox("true", undefined, undefined, aborted.signal)).rejects.toThrow(/abort/i);

      for (const name of [
        "getWindowsBackend",
        "spawnSandboxed",
        "getWindowsProfileRead",
        "getWindowsProfileReadWarnings",
        "getWindowsProfileReadRefresh",
      ] as const)
        expect(() => m[name]()).toThrow(/not supported on this platform/);
    } finally {
      await m.reset();
    }
    expect(m.getConfig()).toBeUndefined();
  });

  it("the violation store: addViolation, getViolationsForCommand, annotateStderrWithSandboxFailures; ignoreViolations filters", async () => {
    const store = new SandboxViolationStore();
    const seen: number[] = [];
    store.subscribe((l) => seen.push(l.length));
    store.addViolation({ line: "deny file-write /x\u001b[31m", command: "make build", timestamp: new Date() });
    store.addViolation({ line: "deny network-outbound a:1", command: "other", timestamp: new Date() });
    expect(store.getViolationsForCommand("make build").map((v) => v.line)).toEqual(["deny file-write /x [31m"]);
    expect(store.getViolations(1)[0]!.command).toBe("other");
    expect(seen).toEqual([0, 1, 2]);
    store.clear();
    expect([store.getCount(), store.getTotalCount()]).toEqual([0, 2]);

    const m = createSandboxManager();
    // An ask callback (that refuses) keeps the proxies, where refusals are made and recorded.
    await m.initialize(
      { network: { allowedDomains: [] }, ignoreViolations: { "*": [`127.0.0.1:${a.port}`] } },
      () => false,
      { cwd: work, srtPath: srtBin },
    );
    try {
      const mine = m.getSandboxViolationStore();
      expect(m.annotateStderrWithSandboxFailures("cmd", "err")).toBe("err");
      mine.addViolation({ line: "deny file-write /y", command: "cmd", timestamp: new Date() });
      expect(m.annotateStderrWithSandboxFailures("cmd", "err")).toBe(
        "err\n<sandbox_violations>\ndeny file-write /y\n</sandbox_violations>",
      );
      // A refusal matching ignoreViolations["*"] is not stored (the proxy still refused it).
      expect((await runAsync(await m.wrapWithSandbox(curl(a.port)))).stdout).toBe("403\n");
      expect(mine.getTotalCount()).toBe(1);
      m.updateConfig({ network: { allowedDomains: [] } });
      expect((await runAsync(await m.wrapWithSandbox(curl(a.port)))).stdout).toBe("403\n");
      expect(mine.getTotalCount()).toBe(2);
      expect(mine.getViolations().at(-1)!.line).toMatch(/^deny network-outbound 127\.0\.0\.1:/);
    } finally {
      await m.reset();
    }
  });
});
