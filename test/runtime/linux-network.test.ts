/**
 * The network session of a Linux run (src/runtime/linux/network.ts) on a fake
 * OS: the proxies record what they were given and what was asked of them, so
 * these tests see which sockets are served by what, in which order things
 * start and stop, what a run gets (environment, bridges) and where refusals
 * go. The real thing — bwrap, the bridges, curl through the proxies — is in
 * test/network (the CLI), test/api/sandbox.test.ts (the library) and
 * test/api/wrap.test.ts (`srt exec --proxies`).
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lowerLinuxPlan, type LinuxPlan } from "../../src/backends/bwrap/index.js";
import { compileSettings } from "../../src/compiler/index.js";
import type { RunDir } from "../../src/runtime/linux/run-dir.js";
import { createLinuxNetwork, joinNetwork, ownNetwork, type NetworkOs } from "../../src/runtime/linux/network.js";
import { createLivePolicy, type LivePolicy } from "../../src/runtime/proxy/live-policy.js";
import {
  allowHintLine,
  createViolationStore,
  reportLine,
  type NetworkProxy,
  type NetworkViolation,
  type ProxyDeps,
} from "../../src/runtime/proxy/index.js";
import { createFixtureHost } from "../support/fixture-host.js";

const scratch = mkdtempSync(join(tmpdir(), "srt-network-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const home = "/home/u";
function planOf(settings: object): LinuxPlan {
  // Not home itself: a working directory that is home is refused unless named (SRT320).
  const host = createFixtureHost({ dirs: [`${home}/proj`] }, { cwd: `${home}/proj`, home });
  const r = compileSettings({ text: JSON.stringify(settings), file: `${home}/s.json`, host, target: "linux" });
  if (r.policy === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return lowerLinuxPlan(r.policy, "x86_64");
}
const liveOf = (plan: LinuxPlan): LivePolicy => createLivePolicy(plan.network.policy);
const webOnly = planOf({ network: { allowedDomains: ["example.com"] } });
const withLocalhost = planOf({ network: { allowedDomains: ["example.com", "localhost"] } });

/** The OS as the session sees it: proxies and relays that only record; the violation store is the real one. */
function fakeOs(failListen?: "http" | "socks", probeFailure?: (path: string) => string | undefined) {
  const events: string[] = [];
  const proxies: { kind: "http" | "socks"; deps: ProxyDeps }[] = [];
  const probes: { path: string; greeting: number[] | undefined; timeoutMs: number }[] = [];
  const fake =
    (kind: "http" | "socks") =>
    (deps: ProxyDeps): NetworkProxy => {
      proxies.push({ kind, deps });
      return {
        async listen(target) {
          const path = "path" in target ? target.path : "?";
          events.push(`listen ${kind} ${path}`);
          if (failListen === kind) throw new Error(`listen EADDRINUSE ${path}`);
          return { kind: "unix", path };
        },
        close: async () => void events.push(`close ${kind}`),
        openSockets: 0,
      };
    };
  const os: NetworkOs = {
    proxy: {
      createHttpProxy: fake("http"),
      createSocksProxy: fake("socks"),
      createViolationStore,
      reportLine,
      allowHintLine,
    },
    async relay(path, port) {
      events.push(`relay ${path} → 127.0.0.1:${port}`);
      return { close: async () => void events.push(`close relay ${port}`) };
    },
    async probe(path, greeting, timeoutMs) {
      probes.push({ path, greeting: greeting && [...greeting], timeoutMs });
      const why = probeFailure?.(path);
      if (why !== undefined) throw new Error(why);
    },
  };
  const decide = (kind: "http" | "socks") => {
    const p = proxies.find((x) => x.kind === kind)!;
    return typeof p.deps.network === "function" ? p.deps.network() : p.deps.network;
  };
  return { os, events, proxies, probes, decide, load: async () => os };
}

const sockets = (dir = "/run/srt-x") => ({ http: `${dir}/http.sock`, socks: `${dir}/socks.sock` });
const refusal = (host: string, port = 443): NetworkViolation => ({
  kind: "network",
  time: "2026-01-01T00:00:00.000Z",
  proxy: "http",
  host,
  port,
  reason: `${host}:${port} is not on the allow list`,
});
const noProxyOf = (env: Readonly<Record<string, string>>): string | undefined => env["NO_PROXY"];
/** Only what the session may use of a run directory (its shape is the runner's). */
const runDir = (dir: string) =>
  ({ path: dir, httpSocket: `${dir}/http.sock`, socksSocket: `${dir}/socks.sock` }) as RunDir;

describe("createLinuxNetwork", () => {
  it("serves srt's HTTP and SOCKS5 proxies on the two sockets, in that order, deciding with the live policy", async () => {
    const f = fakeOs();
    const live = liveOf(webOnly);
    const network = await createLinuxNetwork({ sockets: sockets(), policy: live, os: f.os });
    expect(f.events).toEqual(["listen http /run/srt-x/http.sock", "listen socks /run/srt-x/socks.sock"]);
    expect(f.decide("http")).toBe(live.current());
    live.replace(withLocalhost.network.policy);
    expect(f.decide("http").rules).toBe(withLocalhost.network.policy.rules);
    expect(f.decide("socks").rules).toBe(withLocalhost.network.policy.rules);
    await network.close();
  });

  it("-d says which copies tunnels: Node only when the native relay is not built", async () => {
    const lines: string[] = [];
    const network = await createLinuxNetwork({
      sockets: sockets(),
      policy: liveOf(webOnly),
      os: fakeOs().os, // no nativeRelay: the helper is not built
      log: (l) => lines.push(l),
    });
    expect(lines).toEqual([
      "srt: tunnels are copied by Node: srt's native relay (dist/native/srt-relay) is not built; `srt doctor --fix` builds it",
    ]);
    await network.close();
  });

  it("attach(): the proxy variables lead to 127.0.0.1:3128 and :1080, bridged to the sockets; NO_PROXY from the policy in force then", async () => {
    const f = fakeOs();
    const live = liveOf(webOnly);
    const network = await createLinuxNetwork({ sockets: sockets(), policy: live, os: f.os });
    const before = network.attach();
    expect(before.env).toMatchObject({
      HTTP_PROXY: "http://127.0.0.1:3128",
      HTTPS_PROXY: "http://127.0.0.1:3128",
      ALL_PROXY: "socks5h://127.0.0.1:1080",
      NO_PROXY: "localhost,127.0.0.1,::1",
    });
    expect(before.bridges).toEqual([
      { port: 3128, socket: "/run/srt-x/http.sock" },
      { port: 1080, socket: "/run/srt-x/socks.sock" },
    ]);
    // An allowed loopback name means the host's loopback: only the proxy reaches it, so it leaves NO_PROXY.
    live.replace(withLocalhost.network.policy);
    expect(noProxyOf(network.attach().env)).toBe("127.0.0.1,::1");
    expect(noProxyOf(before.env)).toBe("localhost,127.0.0.1,::1");
    // A run's end leaves the proxies to their owner.
    await before.close();
    expect(f.events.filter((e) => e.startsWith("close"))).toEqual([]);
    await network.close();
    expect(f.events.slice(2)).toEqual(["close http", "close socks"]);
  });

  it("httpProxyPort/socksProxyPort: that side relays to the user's proxy, the other is still srt's", async () => {
    const f = fakeOs();
    const network = await createLinuxNetwork({
      sockets: sockets(),
      policy: liveOf(webOnly),
      userProxyPorts: { http: 8080 },
      os: f.os,
    });
    expect(f.events).toEqual(["relay /run/srt-x/http.sock → 127.0.0.1:8080", "listen socks /run/srt-x/socks.sock"]);
    await network.close();
    const g = fakeOs();
    await (
      await createLinuxNetwork({
        sockets: sockets(),
        policy: liveOf(webOnly),
        userProxyPorts: { http: 8080, socks: 9050 },
        os: g.os,
      })
    ).close();
    expect(g.events).toEqual([
      "relay /run/srt-x/http.sock → 127.0.0.1:8080",
      "relay /run/srt-x/socks.sock → 127.0.0.1:9050",
      "close relay 8080",
      "close relay 9050",
    ]);
    expect(g.proxies).toEqual([]);
  });

  it("a socket path longer than sun_path holds is refused before anything listens or the violations file exists", async () => {
    const f = fakeOs();
    const file = join(scratch, "too-long.jsonl");
    const dir = `/${"d".repeat(107 - "/socks.sock".length - 1)}`;
    expect(Buffer.byteLength(`${dir}/socks.sock`)).toBe(107);
    await (await createLinuxNetwork({ sockets: sockets(dir), policy: liveOf(webOnly), os: f.os })).close();
    const longer = `${dir}x`;
    await expect(
      createLinuxNetwork({ sockets: sockets(longer), policy: liveOf(webOnly), violationsFile: file, os: fakeOs().os }),
    ).rejects.toThrow(
      `the proxy socket path ${longer}/socks.sock is 108 bytes, more than a unix socket allows (107); srt's state directory is too deep: set TMPDIR (or XDG_RUNTIME_DIR) to a shorter directory`,
    );
    expect(existsSync(file)).toBe(false);
  });

  it("when the second proxy cannot listen, what was started is closed and the error comes through", async () => {
    const f = fakeOs("socks");
    await expect(createLinuxNetwork({ sockets: sockets(), policy: liveOf(webOnly), os: f.os })).rejects.toThrow(
      "listen EADDRINUSE /run/srt-x/socks.sock",
    );
    expect(f.events).toEqual([
      "listen http /run/srt-x/http.sock",
      "listen socks /run/srt-x/socks.sock",
      "close http",
      "close socks",
    ]);
  });

  it("refusals: summarized with ignoreViolations applied, told to the listener, appended to the file", async () => {
    const f = fakeOs();
    const file = join(scratch, "violations.jsonl");
    const told: string[] = [];
    const network = await createLinuxNetwork({
      sockets: sockets(),
      policy: liveOf(webOnly),
      violationsFile: file,
      onViolation: (v) => told.push(v.host),
      os: f.os,
    });
    expect(network.summaryLine([], ["curl"])).toBeUndefined();
    for (const p of f.proxies) p.deps.onViolation(refusal(`${p.kind}.test`));
    f.proxies[0]!.deps.onViolation(refusal("http.test"));
    expect(told).toEqual(["http.test", "socks.test", "http.test"]);
    expect(network.summaryLine([], ["curl"])).toBe(
      "srt: blocked 3 network requests: http.test:443 ×2 (is not on the allow list), socks.test:443 (is not on the allow list)",
    );
    expect(
      network.summaryLine(
        [{ command: "curl", violations: ["http.test"], origin: "/ignoreViolations/curl" }],
        ["curl", "x"],
      ),
    ).toBe("srt: blocked 1 network request: socks.test:443 (is not on the allow list)");
    expect(await network.close()).toBeUndefined();
    expect(
      readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as NetworkViolation).host),
    ).toEqual(["http.test", "socks.test", "http.test"]);
  });

  it("close() stops the proxies, then closes the violations file and hands back its write error", async () => {
    const f = fakeOs();
    const network = await createLinuxNetwork({
      sockets: sockets(),
      policy: liveOf(webOnly),
      violationsFile: join(scratch, "missing-dir", "v.jsonl"),
      os: f.os,
    });
    const error = await network.close();
    expect(error?.message).toMatch(/ENOENT/);
    expect(f.events.slice(2)).toEqual(["close http", "close socks"]);
  });

  it("the ask callback and its timeout reach both proxies", async () => {
    const f = fakeOs();
    const ask = async (): Promise<boolean> => true;
    await (
      await createLinuxNetwork({ sockets: sockets(), policy: liveOf(webOnly), ask, askTimeoutMs: 1234, os: f.os })
    ).close();
    expect(f.proxies.map((p) => [p.kind, p.deps.ask, p.deps.limits])).toEqual([
      ["http", ask, { askTimeoutMs: 1234 }],
      ["socks", ask, { askTimeoutMs: 1234 }],
    ]);
    const g = fakeOs();
    await (await createLinuxNetwork({ sockets: sockets(), policy: liveOf(webOnly), os: g.os })).close();
    expect(g.proxies.map((p) => ["ask" in p.deps, "limits" in p.deps])).toEqual([
      [false, false],
      [false, false],
    ]);
  });
});

describe("ownNetwork (the CLI: srt's proxies for one run)", () => {
  const cli = (
    f: ReturnType<typeof fakeOs>,
    over: { quiet?: boolean; violations?: { fd: number; name: string }; live?: LivePolicy } = {},
  ) => {
    const err: string[] = [];
    const network = ownNetwork({
      policy: over.live ?? liveOf(webOnly),
      quiet: over.quiet ?? false,
      violations: over.violations,
      err: (t) => err.push(t),
      command: ["curl", "x"],
      os: f.load,
    });
    return { network, err };
  };

  it("serves the proxies in the run directory, stops them with the run, and reports the refusals unless quiet", async () => {
    for (const quiet of [false, true]) {
      const f = fakeOs();
      const { network, err } = cli(f, { quiet });
      network.report();
      const session = await network.start(webOnly, runDir("/tmp/srt-run"));
      expect(f.events).toEqual(["listen http /tmp/srt-run/http.sock", "listen socks /tmp/srt-run/socks.sock"]);
      expect(session.bridges.map((b) => b.socket)).toEqual(["/tmp/srt-run/http.sock", "/tmp/srt-run/socks.sock"]);
      f.proxies[1]!.deps.onViolation(refusal("evil.test"));
      await session.close();
      expect(f.events.slice(2)).toEqual(["close http", "close socks"]);
      network.report();
      expect(err).toEqual(
        quiet
          ? []
          : [
              "srt: blocked 1 network request: evil.test:443 (is not on the allow list)\n" +
                "srt: to allow evil.test: add it to network.allowedDomains in the settings, or run with --allow-domain evil.test\n",
            ],
      );
    }
  });

  it("names the setting that would allow a host only for hosts no rule refused, and not for ignored ones", async () => {
    const f = fakeOs();
    const { network, err } = cli(f);
    const session = await network.start(
      planOf({
        network: { allowedDomains: ["example.com"], deniedDomains: ["denied.test"] },
        ignoreViolations: { curl: ["quiet.test"] },
      }),
      runDir("/tmp/srt-run"),
    );
    const deny = f.proxies[0]!.deps.onViolation;
    deny({ ...refusal("denied.test"), rule: "/network/deniedDomains/0" });
    deny(refusal("quiet.test"));
    for (const h of ["a.test", "b.test", "a.test", "c.test", "d$(x).test"]) deny(refusal(h));
    await session.close();
    network.report();
    expect(err.join("").split("\n")[1]).toBe(
      "srt: to allow a.test, b.test, c.test and 1 more: add them to network.allowedDomains in the settings, or run with --allow-domain a.test --allow-domain b.test --allow-domain c.test",
    );
    const g = fakeOs();
    const only = cli(g);
    const s2 = await only.network.start(webOnly, runDir("/tmp/srt-run"));
    g.proxies[0]!.deps.onViolation({ ...refusal("denied.test"), rule: "/network/deniedDomains/0" });
    await s2.close();
    only.network.report();
    expect(only.err.join("")).not.toMatch(/to allow/);
  });

  it("the plan's httpProxyPort leads its socket to the user's proxy", async () => {
    const f = fakeOs();
    await (
      await cli(f).network.start(
        planOf({ network: { allowedDomains: ["example.com"], httpProxyPort: 8080 } }),
        runDir("/tmp/srt-run"),
      )
    ).close();
    expect(f.events).toEqual([
      "relay /tmp/srt-run/http.sock → 127.0.0.1:8080",
      "listen socks /tmp/srt-run/socks.sock",
      "close relay 8080",
      "close socks",
    ]);
  });

  it("NO_PROXY comes from the policy in force when the run asks for its network", async () => {
    const f = fakeOs();
    const live = liveOf(webOnly);
    const starting = cli(f, { live }).network.start(webOnly, runDir("/tmp/srt-run"));
    live.replace(withLocalhost.network.policy);
    const session = await starting;
    expect(noProxyOf(session.env)).toBe("localhost,127.0.0.1,::1");
    expect(f.decide("http")).toBe(live.current());
    const g = fakeOs();
    expect(noProxyOf((await cli(g, { live }).network.start(webOnly, runDir("/tmp/srt-run"))).env)).toBe(
      "127.0.0.1,::1",
    );
  });

  it("a violations file that cannot be written is said when the run ends", async () => {
    const f = fakeOs();
    const file = join(scratch, "read-only.jsonl");
    writeFileSync(file, "");
    // The CLI opens the file before the run; a descriptor that refuses writes stands in for a full disk.
    const fd = openSync(file, "r");
    try {
      const { network, err } = cli(f, { violations: { fd, name: "v.jsonl" } });
      const session = await network.start(webOnly, runDir("/tmp/srt-run"));
      f.proxies[0]!.deps.onViolation(refusal("evil.test"));
      await session.close();
      expect(err).toEqual([expect.stringMatching(/^srt: could not write v\.jsonl: .*EBADF.*\n$/)]);
    } finally {
      closeSync(fd);
    }
  });
});

describe("joinNetwork (srt exec --proxies: a library sandbox's proxies)", () => {
  it("checks the HTTP socket accepts and the SOCKS socket answers a greeting, then bridges to both; nothing to close or report", async () => {
    const f = fakeOs();
    const network = joinNetwork("/tmp/srt-lib", { os: f.load });
    const session = await network.start(withLocalhost, runDir("/tmp/srt-run"));
    expect(f.probes).toEqual([
      { path: "/tmp/srt-lib/http.sock", greeting: undefined, timeoutMs: 2000 },
      { path: "/tmp/srt-lib/socks.sock", greeting: [5, 1, 0], timeoutMs: 2000 },
    ]);
    expect(session.bridges).toEqual([
      { port: 3128, socket: "/tmp/srt-lib/http.sock" },
      { port: 1080, socket: "/tmp/srt-lib/socks.sock" },
    ]);
    expect(noProxyOf(session.env)).toBe("127.0.0.1,::1");
    await session.close();
    network.report();
    expect(f.events).toEqual([]);
    expect(f.proxies).toEqual([]);
  });

  it("proxies that do not answer fail the run with where, why and what to do", async () => {
    const f = fakeOs(undefined, (path) => (path.endsWith("socks.sock") ? "did not answer within 50 ms" : undefined));
    await expect(
      joinNetwork("/tmp/srt-lib", { timeoutMs: 50, os: f.load }).start(webOnly, runDir("/tmp/srt-run")),
    ).rejects.toThrow(
      "the sandbox's proxies at /tmp/srt-lib/socks.sock did not answer within 50 ms: the process that created the sandbox must be alive and its event loop free — run wrap()ped commands with an asynchronous spawn, never spawnSync/execSync",
    );
    const g = fakeOs(undefined, () => "are not reachable (ENOENT)");
    await expect(joinNetwork("/tmp/srt-lib", { os: g.load }).start(webOnly, runDir("/tmp/srt-run"))).rejects.toThrow(
      "the sandbox's proxies at /tmp/srt-lib/http.sock are not reachable (ENOENT)",
    );
    expect(g.probes).toHaveLength(1);
  });
});
