/**
 * Commands the embedder spawns itself: sandbox.wrap() and the SandboxManager
 * shim's wrapWithSandbox() string. With network access they run `srt exec
 * <plan> --proxies <dir>` (the built CLI), reaching the sandbox's long-lived
 * proxies in this process — so its live policy, ask callback and violation
 * list apply — and a synchronous spawn fails fast instead of hanging. Offline
 * they start bwrap directly, need nothing of this process, and work under
 * spawnSync/execSync.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import { createSandbox, createSandboxManager } from "../../src/index.js";
import { curl, privateTmp, srtBin, startWeb, skipReason, supported, type Web } from "./support.js";

function run(
  file: string,
  argv: readonly string[],
  opts: { shell?: boolean; input?: string } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = opts.shell ? spawn(file, { shell: true }) : spawn(file, argv);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.stdin.end(opts.input ?? "");
    child.on("close", (status) => (clearTimeout(timer), resolve({ status, stdout, stderr })));
  });
}

describe.skipIf(lacking(!supported, skipReason))("wrap() and SandboxManager (real bwrap, built CLI)", () => {
  let a: Web;
  let tmp: ReturnType<typeof privateTmp>;
  let work: string;
  beforeAll(async () => {
    tmp = privateTmp();
    work = mkdtempSync(join(tmp.dir, "..", "srtapi-work-"));
    a = await startWeb("from-a");
  });
  afterAll(async () => {
    await a.close();
    const left = tmp.leftovers();
    tmp.remove();
    rmSync(work, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it("a wrapped command reaches the sandbox's proxies: policy, update() and violations apply", async () => {
    const s = await createSandbox({ network: { allowedDomains: [] } }, { cwd: work, srtPath: srtBin });
    try {
      const w = s.wrap(["/bin/sh", "-c", curl(a.port, "/wrapped")]);
      expect(w.file).toBe(process.execPath);
      const before = await run(w.file, w.argv);
      expect(before.stdout, before.stderr).toBe("403\n");
      expect(s.violations.total).toBe(1);
      expect(s.update({ network: { allowedDomains: [`127.0.0.1:${a.port}`] } }).ok).toBe(true);
      const after = await run(w.file, w.argv);
      expect(after.stdout, after.stderr).toBe("200\n");
      expect(a.seen).toContain("/wrapped");
      expect(s.violations.total).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("a synchronous spawn of a wrapped command fails fast (status 1, says why) instead of hanging", async () => {
    const s = await createSandbox(
      { network: { allowedDomains: [`127.0.0.1:${a.port}`] } },
      { cwd: work, srtPath: srtBin },
    );
    try {
      const w = s.wrap(["/bin/sh", "-c", `echo ran; ${curl(a.port)}`]);
      const t0 = performance.now();
      const r = spawnSync(w.file, w.argv, { encoding: "utf8", timeout: 20_000 });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe(""); // the command never started
      expect(r.stderr).toMatch(/did not answer within 2000 ms.*spawnSync/s);
      expect(performance.now() - t0).toBeLessThan(10_000);
    } finally {
      await s.close();
    }
  });

  it("a wrapped command after close() fails at once: the proxies are gone", async () => {
    const s = await createSandbox({ network: { allowedDomains: [] } }, { cwd: work, srtPath: srtBin });
    const w = s.wrap(["true"]);
    await s.close();
    const r = await run(w.file, w.argv);
    expect(r.status).not.toBe(0);
    expect(existsSync(w.argv[2]!)).toBe(false);
  });

  it("offline: a wrapped command starts bwrap without Node, runs under spawnSync, and fails closed after close()", async () => {
    const s = await createSandbox({}, { cwd: work, srtPath: srtBin });
    const w = s.wrap([
      "/bin/sh",
      "-c",
      `echo "in $SRT_SANDBOX"; touch ${join(work, "..", "outside-wrap")} 2>/dev/null || echo ro`,
    ]);
    expect(w.offline).toBe(true);
    expect([w.file, ...w.argv]).not.toContain(process.execPath);
    const r = spawnSync(w.file, w.argv, { encoding: "utf8", timeout: 20_000 });
    expect(r.stdout, r.stderr).toBe("in 1\nro\n");
    const line = spawnSync(w.commandLine, { shell: true, encoding: "utf8", timeout: 20_000 });
    expect(line.stdout, line.stderr).toBe("in 1\nro\n");
    await s.close();
    for (const again of [
      spawnSync(w.file, w.argv, { encoding: "utf8" }),
      spawnSync(w.commandLine, { shell: true, encoding: "utf8" }),
    ]) {
      expect(again.status).not.toBe(0);
      expect(again.stdout).toBe(""); // the command never ran
      expect(again.stderr).toMatch(/cannot open|No such file/);
    }
  });

  it("SandboxManager: initialize, wrapWithSandbox → a shell string for spawn(str, {shell: true}), updateConfig, violation store, reset", async () => {
    const manager = createSandboxManager();
    const asked: string[] = [];
    await manager.initialize(
      { network: { allowedDomains: [] } },
      ({ host, port }) => (asked.push(`${host}:${port}`), false),
      { cwd: work, srtPath: srtBin },
    );
    try {
      const events: number[] = [];
      const store = manager.getSandboxViolationStore();
      const unsubscribe = store.subscribe((list) => events.push(list.length));
      // Quotes, $ and a backslash survive the shell the caller's spawn runs.
      const cmd = `printf '%s\\n' "it's \\$HOME-free" && ${curl(a.port)}`;
      const wrapped = await manager.wrapWithSandbox(cmd);
      const first = await run(wrapped, [], { shell: true });
      expect(first.stdout, first.stderr).toBe("it's $HOME-free\n403\n");
      expect(asked).toEqual([`127.0.0.1:${a.port}`]);
      expect(store.getTotalCount()).toBe(1);
      expect(store.getViolations()[0]!.line).toMatch(
        new RegExp(`^deny network-outbound 127\\.0\\.0\\.1:${a.port} \\(`),
      );
      expect(() => manager.updateConfig({ network: { allowedDomains: "nope" } })).toThrow(/invalid sandbox config/);
      manager.updateConfig({ network: { allowedDomains: [`127.0.0.1:${a.port}`] } });
      const second = await run(wrapped, [], { shell: true });
      expect(second.stdout).toBe("it's $HOME-free\n200\n");
      manager.cleanupAfterCommand();
      store.clear();
      expect(store.getCount()).toBe(0);
      expect(store.getTotalCount()).toBe(1);
      expect(events).toEqual([0, 1, 0]);
      unsubscribe();
    } finally {
      await manager.reset();
    }
    expect(manager.isSandboxingEnabled()).toBe(false);
    await expect(manager.wrapWithSandbox("true")).rejects.toThrow(/not initialized/);
  });
});
