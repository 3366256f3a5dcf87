/**
 * The macOS runner driven on Linux with a pretend macOS (fake-os.ts): a fake
 * spawn stands in for sandbox-exec and `log stream`. The proxies are srt's
 * real ones on 127.0.0.1. NONE OF THIS IS A macOS RUN: it checks what srt
 * would hand to sandbox-exec and log, and what it does with their answers.
 */
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { validateSbpl } from "../../src/backends/seatbelt/index.js";
import { runMacos } from "../../src/runtime/macos/index.js";
import { makePolicy, typicalPolicy } from "../seatbelt/policy-fixtures.js";
import { commandPid, createFakeOs, type MemFs } from "./fake-os.js";

const request = (policy = typicalPolicy()) => ({
  policy,
  command: ["git", "-c", "x=1", "--", "-f", "-D", "evil"],
  cwd: "/Users/u/proj",
  env: { PATH: "/usr/bin:/bin", HOME: "/Users/u", HTTP_PROXY: "http://elsewhere:1", AWS_SECRET_ACCESS_KEY: "s3cr3t" },
  logDrainMs: 0,
});

/** A CONNECT to a loopback IP literal the policy does not allow: refused by the proxy without any DNS. */
function connectThrough(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () =>
      s.write("CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"),
    );
    let got = "";
    s.setTimeout(5000, () => s.destroy(new Error("timeout")));
    s.on("data", (d) => {
      got += d.toString();
      if (got.includes("\r\n\r\n")) s.destroy();
    });
    s.on("close", () => resolve(got));
    s.on("error", reject);
  });
}

const portIsClosed = (port: number, host = "127.0.0.1"): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host, port }, () => (s.destroy(), resolve(false)));
    s.on("error", () => resolve(true));
  });

describe("runMacos with a fake sandbox-exec (not run on macOS)", () => {
  it("runs exactly `sandbox-exec -f <profile> -D SRT_PRIVATE_TMP=<real tmp> -- cmd args` in a new process group, after log stream", async () => {
    const os = createFakeOs();
    const running = runMacos(request(), os.deps);
    const cmd = await os.command;
    const runDir = cmd.args[1]!.slice(0, -"/profile.sb".length);
    // TMPDIR was spelled /var/folders/x/T/: every path srt hands out is the real one.
    expect(runDir).toMatch(/^\/private\/var\/folders\/x\/T\/srt-[^/]+$/);
    expect(cmd.file).toBe("/usr/bin/sandbox-exec");
    expect(cmd.args).toEqual([
      "-f",
      `${runDir}/profile.sb`,
      "-D",
      `SRT_PRIVATE_TMP=${runDir}/tmp`,
      "--",
      "git",
      "-c",
      "x=1",
      "--",
      "-f",
      "-D",
      "evil",
    ]);
    expect(cmd.request).toMatchObject({
      cwd: "/Users/u/proj",
      detached: true,
      stdio: ["inherit", "inherit", "inherit"],
    });
    // log stream was started first, for this run's tag only.
    expect(os.calls.map((c) => c.file)).toEqual(["/usr/bin/log", "/usr/bin/sandbox-exec"]);
    expect(os.calls[0]!.args).toEqual([
      "stream",
      "--style",
      "ndjson",
      "--level",
      "default",
      "--predicate",
      'eventMessage CONTAINS "srt-test01 "',
    ]);
    expect((os.fs as MemFs).modeOf(`${runDir}/tmp`)).toBe(0o700);
    expect((os.fs as MemFs).modeOf(`${runDir}/profile.sb`)).toBe(0o600);
    cmd.proc.exit(0);
    const result = await running.result;
    expect(result).toMatchObject({ kind: "exited", status: 0, report: [], notes: [] });
    // The run dir (profile, temp dir) is gone, and the watchdog was told about it first and dismissed last.
    expect((os.fs as MemFs).entries().filter((p) => p.startsWith("/private/var/folders/x/T/"))).toEqual([]);
    expect(os.watchdog).toEqual([`tree ${runDir}`, `group ${commandPid}`, `ungroup ${commandPid}`, "done"]);
  });

  it("writes a valid profile holding the proxies' OS-chosen ports and the run's tag; the proxies are live during the run and closed after", async () => {
    const os = createFakeOs();
    const running = runMacos(request(), os.deps);
    const cmd = await os.command;
    const profile = cmd.profileAtSpawn!;
    expect(validateSbpl(profile)).toEqual([]);
    const httpPort = Number(
      /^HTTP_PROXY=http:\/\/127\.0\.0\.1:(\d+)$/.exec(`HTTP_PROXY=${cmd.request.env["HTTP_PROXY"]}`)![1],
    );
    const socksPort = Number(/:(\d+)$/.exec(cmd.request.env["ALL_PROXY"]!)![1]);
    expect(httpPort).toBeGreaterThan(0);
    expect(socksPort).toBeGreaterThan(0);
    expect(httpPort).not.toBe(socksPort);
    expect(profile).toContain(`(remote tcp "localhost:${httpPort}")`);
    expect(profile).toContain(`(remote tcp "localhost:${socksPort}")`);
    expect(profile).toContain('(with message "srt-test01 default:deny")');
    const rules = profile
      .split("\n")
      .filter((l) => !l.startsWith(";"))
      .join("\n");
    const tags = new Set([...rules.matchAll(/\(with message "([^ "]+) /g)].map((m) => m[1]));
    expect([...tags]).toEqual(["srt-test01"]);
    // The HTTP proxy really listens there and refuses what the policy does not allow.
    expect(await connectThrough(httpPort)).toMatch(/^HTTP\/1\.1 403/);
    // Both ports are held on ::1 too, where the profile's "localhost" may also lead.
    expect(await portIsClosed(httpPort, "::1")).toBe(false);
    expect(await portIsClosed(socksPort, "::1")).toBe(false);
    cmd.proc.exit(0);
    const result = await running.result;
    expect(result.report).toEqual([expect.stringMatching(/^srt: blocked 1 network request: 127\.0\.0\.1:9 /)]);
    expect(await portIsClosed(httpPort)).toBe(true);
    expect(await portIsClosed(socksPort)).toBe(true);
  });

  it("gives the command the filtered environment, srt's proxy variables over inherited ones, and the real TMPDIR", async () => {
    const os = createFakeOs();
    const running = runMacos(request(), os.deps);
    const cmd = await os.command;
    const env = cmd.request.env;
    const tmp = cmd.args[3]!.slice("SRT_PRIVATE_TMP=".length);
    expect(env["TMPDIR"]).toBe(`${tmp}/`);
    expect(env["HTTP_PROXY"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env["https_proxy"]).toBe(env["HTTP_PROXY"]);
    expect(env["ALL_PROXY"]).toMatch(/^socks5h:\/\/127\.0\.0\.1:\d+$/);
    expect(env["NO_PROXY"]).toBe("localhost,127.0.0.1,::1");
    expect(env["SRT_SANDBOX"]).toBe("1");
    expect(env["PATH"]).toBe("/usr/bin:/bin");
    expect(env["AWS_SECRET_ACCESS_KEY"]).toBeUndefined(); // env.inherit "core"
    cmd.proc.exit(3);
    expect(await running.result).toMatchObject({ kind: "exited", status: 3 });
  });

  it("uses the policy's fixed proxy ports (the user's proxies) and starts no proxy of its own", async () => {
    const created: string[] = [];
    const real = await import("../../src/runtime/proxy/index.js");
    const os = createFakeOs({
      proxies: async () => ({
        ...real,
        createHttpProxy: (d) => (created.push("http"), real.createHttpProxy(d)),
        createSocksProxy: (d) => (created.push("socks"), real.createSocksProxy(d)),
      }),
    });
    const running = runMacos(
      request(makePolicy({ network: { httpProxyPort: 18080, socksProxyPort: 18081 } })),
      os.deps,
    );
    const cmd = await os.command;
    expect(created).toEqual([]);
    expect(cmd.profileAtSpawn).toContain('(remote tcp "localhost:18080")');
    expect(cmd.profileAtSpawn).toContain('(remote tcp "localhost:18081")');
    expect(cmd.request.env["HTTP_PROXY"]).toBe("http://127.0.0.1:18080");
    expect(cmd.request.env["ALL_PROXY"]).toBe("socks5h://127.0.0.1:18081");
    cmd.proc.exit(0);
    await running.result;
  });

  it("takes another port when ::1 of the chosen one is held by someone else, and closes the proxy it gave up", async () => {
    const real = await import("../../src/runtime/proxy/index.js");
    const made: { closed: boolean }[] = [];
    let port = 40000;
    const fake = (): ReturnType<typeof real.createHttpProxy> => {
      const p = { closed: false };
      made.push(p);
      const mine = ++port;
      return {
        openSockets: 0,
        listen: async (t) => {
          if ("host" in t && t.host === "::1" && mine === 40001)
            throw Object.assign(new Error("listen EADDRINUSE ::1:40001"), { code: "EADDRINUSE" });
          return { kind: "tcp", host: "127.0.0.1", port: mine };
        },
        close: async () => void (p.closed = true),
      };
    };
    const os = createFakeOs({ proxies: async () => ({ ...real, createHttpProxy: fake, createSocksProxy: fake }) });
    const running = runMacos(request(), os.deps);
    const cmd = await os.command;
    expect(cmd.request.env["HTTP_PROXY"]).toBe("http://127.0.0.1:40002");
    expect(cmd.request.env["ALL_PROXY"]).toBe("socks5h://127.0.0.1:40003");
    expect(cmd.profileAtSpawn).not.toContain("localhost:40001");
    expect(made.map((p) => p.closed)).toEqual([true, false, false]);
    cmd.proc.exit(0);
    await running.result;
    expect(made.map((p) => p.closed)).toEqual([true, true, true]);
  });

  it("reports the log's denials for its tag, ignores other sessions and noise, and honours ignoreViolations", async () => {
    const os = createFakeOs();
    const policy = {
      ...typicalPolicy(),
      ignoreViolations: [
        { command: "git", violations: ["/Users/u/Library/*"], origin: "/ignoreViolations/git" as const },
      ],
    };
    const running = runMacos(request(policy), os.deps);
    const cmd = await os.command;
    const log = os.calls[0]!.proc;
    log.logRecord("Sandbox: git(4242) deny(1) file-read-data /Users/u/.ssh/id_rsa srt-test01 /filesystem/denyRead/0");
    log.logRecord("Sandbox: git(4242) deny(1) file-read-data /Users/u/.ssh/id_rsa srt-test01 /filesystem/denyRead/0");
    log.logRecord(
      "Sandbox: sh(4243) deny(1) file-write-create /Users/u/proj/.git/hooks/pre-commit srt-test01 mandatory:git-hooks",
    );
    log.logRecord("Sandbox: git(4242) deny(1) file-read-data /Users/u/Library/Keychains/x srt-test01 default:deny");
    log.logRecord("Sandbox: cat(1) deny(1) file-read-data /x srt-other /filesystem/denyRead/0");
    log.stdout.write("not json\n");
    await new Promise((r) => setImmediate(r));
    cmd.proc.exit(1);
    const result = await running.result;
    expect(result.report).toEqual([
      "srt: the sandbox denied 3 operations: file-read-data /Users/u/.ssh/id_rsa ×2 (/filesystem/denyRead/0), file-write-create /Users/u/proj/.git/hooks/pre-commit (mandatory:git-hooks)",
    ]);
    expect(os.calls[0]!.proc.signals).toEqual(["SIGTERM"]); // log stream stopped after the command
  });

  it("forwards a signal to the command's process group; a command killed by SIGINT gives 130 and its group is killed after", async () => {
    const os = createFakeOs();
    const running = runMacos(request(), os.deps);
    await os.command;
    running.forward("SIGINT");
    const result = await running.result;
    expect(result).toMatchObject({ kind: "exited", status: 130 });
    expect(os.kills[0]).toEqual({ pid: -commandPid, signal: "SIGINT" });
    // Background jobs left in the group are killed; the pid alone is never signalled once reaped.
    expect(os.kills.slice(1)).toEqual([{ pid: -commandPid, signal: "SIGKILL" }]);
  });

  it("uses macOS signal numbers (SIGUSR1 is 30) for 128+N", async () => {
    const os = createFakeOs();
    const running = runMacos(request(), os.deps);
    const cmd = await os.command;
    cmd.proc.exit(null, "SIGUSR1");
    expect(await running.result).toMatchObject({ kind: "exited", status: 158 });
  });

  it("kills the group when the command outlives the grace period after a forwarded signal", async () => {
    const os = createFakeOs({ ignores: ["SIGTERM"] });
    const running = runMacos({ ...request(), killGraceMs: 20 }, os.deps);
    await os.command;
    running.forward("SIGTERM");
    expect(await running.result).toMatchObject({ kind: "exited", status: 137 });
    expect(os.kills.slice(0, 2)).toEqual([
      { pid: -commandPid, signal: "SIGTERM" },
      { pid: -commandPid, signal: "SIGKILL" },
    ]);
  });

  it("a signal before the command started means it never starts", async () => {
    const os = createFakeOs({ log: "silent" });
    const running = runMacos({ ...request(), logReadyTimeoutMs: 50 }, os.deps);
    running.forward("SIGTERM");
    expect(await running.result).toMatchObject({ kind: "exited", status: 143 });
    expect(os.calls.map((c) => c.file)).toEqual(["/usr/bin/log"]);
    expect((os.fs as MemFs).entries().filter((p) => p.startsWith("/private/var/folders/x/T/"))).toEqual([]);
  });
});
