/**
 * The library against the real sandbox (bwrap, seccomp, the nsenter'd
 * bridges) and real loopback servers: two sandboxes with different policies
 * in one process, live updates while a command runs, the ask callback, and
 * close() with a command still running.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import { createSandbox, SandboxConfigError, type Sandbox } from "../../src/index.js";
import { collect, curl, lineReader, privateTmp, startWeb, skipReason, supported, type Web } from "./support.js";

const settingsAllowing = (...ports: number[]): object => ({
  network: { allowedDomains: ports.map((p) => `127.0.0.1:${p}`) },
});
/**
 * The sandbox's own directory as wrap() names it: the proxies' (`--proxies DIR`) for a proxied
 * sandbox, the warm session's (where bwrap's argument file is) for an offline one.
 */
const dirOf = (s: Sandbox): string => {
  const w = s.wrap(["true"]);
  return w.offline ? dirname(w.argv[3]!) : w.argv[w.argv.indexOf("--proxies") + 1]!;
};
/** Proxied even though nothing is allowed yet: the reference's reading of a spelled, empty allowedDomains. */
const proxiedNothing = { network: { allowedDomains: [] } };

describe.skipIf(lacking(!supported, skipReason))("createSandbox (real bwrap)", () => {
  let a: Web;
  let b: Web;
  let tmp: ReturnType<typeof privateTmp>;
  let work: string;
  const open: Sandbox[] = [];
  const sandbox = async (...args: Parameters<typeof createSandbox>): Promise<Sandbox> => {
    const s = await createSandbox(...args);
    open.push(s);
    return s;
  };
  beforeAll(async () => {
    tmp = privateTmp();
    work = mkdtempSync(join(tmp.dir, "..", "srtapi-work-"));
    a = await startWeb("from-a");
    b = await startWeb("from-b");
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await Promise.all([a.close(), b.close()]);
    const left = tmp.leftovers();
    tmp.remove();
    rmSync(work, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it("a filterRequest hook with proxies in a worker thread is refused: the worker could not call it", async () => {
    await expect(
      createSandbox(settingsAllowing(a.port), {
        proxiesIn: "thread",
        filterRequest: () => ({ action: "allow" }),
      }),
    ).rejects.toThrow(/filterRequest needs the proxies in this event loop/);
  });

  it("two sandboxes with different policies in one process each enforce their own, concurrently", async () => {
    const [one, two] = await Promise.all([
      sandbox(settingsAllowing(a.port), { cwd: work }),
      sandbox(settingsAllowing(b.port), { cwd: work }),
    ]);
    const script = `echo a=$(${curl(a.port, "/x")}); echo b=$(${curl(b.port, "/x")})`;
    const runs = await Promise.all([one, two, one, two].map((s) => collect(s.spawn("/bin/sh", ["-c", script]))));
    for (const [i, r] of runs.entries()) {
      expect(r.status, r.stderr + r.failure).toBe(0);
      expect(r.stdout).toBe(i % 2 === 0 ? "a=200\nb=403\n" : "a=403\nb=200\n");
    }
    expect(one.violations.total).toBe(2);
    expect(two.violations.total).toBe(2);
    expect(one.violations.list().every((v) => v.kind === "network" && v.port === b.port)).toBe(true);
    expect(two.violations.list().every((v) => v.kind === "network" && v.port === a.port)).toBe(true);
  });

  it("a limit the command runs into comes back with its exit (wallTime: killed, 137)", async () => {
    const s = await sandbox({ limits: { wallTime: "500ms" } }, { cwd: work });
    const exit = await s.spawn("/bin/sh", ["-c", "sleep 30"]).exited;
    expect(exit.status).toBe(137);
    expect(exit.limits?.map((v) => `${v.reason} ${v.rule}`)).toEqual([
      "wall time limit 500 ms reached: killed /limits/wallTime",
    ]);
  });

  it("update() while a command runs: refused before, allowed after — and the reverse; invalid settings change nothing", async () => {
    const s = await sandbox(proxiedNothing, { cwd: work });
    const p = s.spawn("/bin/sh", ["-c", `${curl(a.port)}; read x; ${curl(a.port)}; read x; ${curl(a.port)}`], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const lines = lineReader(p);
    expect(await lines.next()).toBe("403");
    const bad = s.update({ network: { allowedDomains: [42] } });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics.some((d) => d.severity === "error")).toBe(true);
    expect(s.update(settingsAllowing(a.port)).ok).toBe(true);
    p.stdin!.write("go\n");
    expect(await lines.next()).toBe("200");
    expect(s.update({ network: { allowedDomains: [`127.0.0.1:${a.port}`], deniedDomains: ["127.0.0.1"] } }).ok).toBe(
      true,
    );
    p.stdin!.write("go\n");
    expect(await lines.next()).toBe("403");
    const r = await p.exited;
    expect(r.status).toBe(0);
    expect(s.violations.list().map((v) => v.reason)).toEqual([
      expect.stringMatching(/not in allowedDomains/),
      expect.stringMatching(/denied by "127.0.0.1"/),
    ]);
  });

  it("violations: subscribe, list, clear, total", async () => {
    const s = await sandbox(proxiedNothing, { cwd: work });
    const seen: string[] = [];
    const unsubscribe = s.violations.subscribe((v) =>
      seen.push(v.kind === "network" ? `${v.proxy} ${v.host}:${v.port}` : v.path),
    );
    await collect(s.spawn("/bin/sh", ["-c", curl(a.port)]));
    unsubscribe();
    await collect(s.spawn("/bin/sh", ["-c", curl(b.port)]));
    expect(seen).toEqual([`http 127.0.0.1:${a.port}`]);
    expect(s.violations.list()).toHaveLength(2);
    s.violations.clear();
    expect(s.violations.list()).toHaveLength(0);
    expect(s.violations.total).toBe(2);
  });

  it("ask callback: allow, deny with a reason, throw, timeout", async () => {
    const asked: string[] = [];
    const s = await sandbox(
      {},
      {
        cwd: work,
        askTimeoutMs: 300,
        askCallback: async ({ host, port }) => {
          asked.push(`${host}:${port}`);
          const path = port === a.port ? "allow" : "other";
          if (path === "allow") return true;
          return { allow: false, reason: "not in this session" };
        },
      },
    );
    const r = await collect(
      s.spawn("/bin/sh", [
        "-c",
        `${curl(a.port)}; ${curl(b.port)}; curl -sS --noproxy '' --max-time 5 http://127.0.0.1:${b.port}/`,
      ]),
    );
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["200", "403"]);
    expect(r.stdout).toContain("not in this session");
    expect(asked).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`, `127.0.0.1:${b.port}`]);
    expect(s.violations.list()[0]!.reason).toBe("not in this session");

    const throwing = await sandbox(
      {},
      {
        cwd: work,
        askCallback: () => {
          throw new Error("no UI");
        },
      },
    );
    expect((await collect(throwing.spawn("/bin/sh", ["-c", curl(a.port)]))).stdout).toBe("403\n");
    expect(throwing.violations.list()[0]!.reason).toMatch(/ask callback failed: no UI/);

    const silent = await sandbox(
      {},
      { cwd: work, askTimeoutMs: 200, askCallback: () => new Promise<boolean>(() => undefined) },
    );
    // A 403 (not curl's own 5 s give-up) whose reason names the 200 ms: the ask timed out, however busy the machine.
    expect((await collect(silent.spawn("/bin/sh", ["-c", curl(a.port)]))).stdout).toBe("403\n");
    expect(silent.violations.list()[0]!.reason).toMatch(/no answer within 200 ms/);
  });

  it("spawn: exit statuses follow the CLI (own status, 128+N on signal), env passes through the policy, stdin works", async () => {
    const s = await sandbox({}, { cwd: work });
    expect((await collect(s.spawn("/bin/sh", ["-c", "exit 7"]))).status).toBe(7);
    expect((await collect(s.spawn("/bin/sh", ["-c", "kill -TERM $$"]))).status).toBe(143);
    // SIGINT once the command is running (it says so), not at a guessed moment during start-up. Not a
    // shell script: dash catches SIGINT between two commands and acts on it only after the next one
    // (sleep 30) ends. Python's default handler is in place before it prints, and an uncaught
    // KeyboardInterrupt ends it by SIGINT: the status must be 128+2.
    const p = s.spawn("/usr/bin/python3", ["-c", "import time; print('running', flush=True); time.sleep(30)"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    expect(await lineReader(p).next(20_000)).toBe("running");
    p.kill("SIGINT");
    expect((await p.exited).status).toBe(130);
    const cat = s.spawn("/bin/sh", ["-c", 'read x; echo "got $x $SRT_SANDBOX $MY_VAR"'], {
      env: { PATH: process.env["PATH"], MY_VAR: "v1" },
    });
    cat.stdin!.end("hello\n");
    expect((await collect(cat)).stdout).toBe("got hello 1 v1\n");
  });

  it("invalid settings throw a SandboxConfigError with diagnostics", async () => {
    const e = await createSandbox({ network: { allowedDomains: "x" } }, { cwd: work }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SandboxConfigError);
    expect((e as SandboxConfigError).diagnostics.length).toBeGreaterThan(0);
  });

  it("the sandbox's own directory (proxy sockets, plan) is hidden inside", async () => {
    const s = await sandbox(proxiedNothing, { cwd: work });
    const dir = dirOf(s);
    expect(dir).toMatch(/\/srt-\d+\/runs\/[0-9a-f]+$/);
    expect(existsSync(join(dir, "plan.json"))).toBe(true);
    const r = await collect(s.spawn("/bin/sh", ["-c", `ls -A ${dir}; echo end`]));
    expect(r.stdout).toBe("end\n");
  });

  it("offline: the warm session's directory (bwrap's argument file, seccomp program) is hidden inside and unwritable", async () => {
    const s = await sandbox({}, { cwd: work });
    expect(s.offline).toBe(true);
    const dir = dirOf(s);
    expect(dir).toMatch(/\/srt-\d+\/runs\/[0-9a-f]+$/);
    expect(existsSync(join(dir, "bwrap-args"))).toBe(true);
    const attempt = `ls -A ${dir}; echo x > ${dir}/bwrap-args 2>/dev/null && echo wrote; echo end`;
    // All the command sees there is the mount point of its own TMPDIR (t<n> per spawn, tmp for wrap()).
    const r = await collect(s.spawn("/bin/sh", ["-c", attempt]));
    expect(r.stdout).toMatch(/^t\d+\nend\n$/);
    const w = s.wrap(["/bin/sh", "-c", attempt]);
    const ext = spawnSync(w.file, w.argv, { encoding: "utf8" });
    expect(ext.stdout, ext.stderr).toBe("tmp\nend\n");
  });

  it("offline: no network at all, a private TMPDIR per spawn; update() that allows a host proxies the commands started after it", async () => {
    const s = await sandbox({}, { cwd: work });
    const one = await collect(s.spawn("/bin/sh", ["-c", `echo $TMPDIR; touch $TMPDIR/mine; ${curl(a.port)}`]));
    const two = await collect(s.spawn("/bin/sh", ["-c", `echo $TMPDIR; ls $TMPDIR`]));
    const [tmpOne, status] = one.stdout.split("\n");
    expect(status).toBe("000"); // no proxy, no route: curl cannot even connect
    expect(s.violations.total).toBe(0);
    expect(two.stdout.split("\n")[0]).not.toBe(tmpOne);
    expect(two.stdout).not.toContain("mine");
    expect(existsSync(tmpOne!)).toBe(false);
    expect(s.update(settingsAllowing(a.port)).ok).toBe(true);
    expect(s.offline).toBe(false);
    expect((await collect(s.spawn("/bin/sh", ["-c", curl(a.port)]))).stdout).toBe("200\n");
    expect(s.wrap(["true"]).offline).toBe(false);
  });

  it("close() with a command still running kills it and leaves nothing behind; close is idempotent", async () => {
    // The sandboxes of the other tests stay open until afterAll (which checks again that nothing at all is left).
    const before = new Set(tmp.leftovers());
    const s = await createSandbox(settingsAllowing(a.port), { cwd: work });
    const dir = dirOf(s);
    const marker = `srtapi-close-${process.pid}`;
    const p = s.spawn("/bin/sh", ["-c", `echo started; sleep 1000; : ${marker}`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    p.stdout!.resume();
    p.stderr!.resume();
    await new Promise<void>((resolve) => p.stdout!.once("data", () => resolve()));
    const pgrep = (): string => {
      try {
        return execFileSync("pgrep", ["-f", marker], { encoding: "utf8" }).trim();
      } catch {
        return "";
      }
    };
    for (let i = 0; i < 100 && pgrep() === ""; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pgrep()).not.toBe("");
    const t0 = performance.now();
    await Promise.all([s.close(), s.close()]);
    await s.close();
    expect(performance.now() - t0).toBeLessThan(5000);
    expect((await p.exited).status).toBe(137);
    expect(pgrep()).toBe("");
    expect(tmp.leftovers().filter((n) => !before.has(n))).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(() => s.spawn("true")).toThrow(/closed/);
  });
});
