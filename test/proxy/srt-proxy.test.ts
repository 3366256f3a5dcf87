/**
 * `srt proxy` with the built CLI, and clients outside any sandbox: the ready
 * line comes first on stdout, allowed traffic passes (HTTP, CONNECT, SOCKS5),
 * refusals are 403s and JSON lines, --control-fd replaces the policy live,
 * unix sockets and inherited listening sockets work, and SIGTERM lets an open
 * tunnel finish before srt exits 0.
 */
import { writeFileSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseListen } from "../../src/cli/proxy.js";
import { srtProxyScene, startSrtProxy } from "../support/srt-proxy.js";
import { exchange } from "./harness.js";

const scene = srtProxyScene("srt-proxy-");
const start = (args: readonly string[], fd4?: number): ReturnType<typeof startSrtProxy> =>
  startSrtProxy(scene.dir, args, fd4);

const portOf = (address: unknown): number => Number(String(address).split(":").pop());

function get(proxyPort: number, url: string): Promise<{ status: number; body: string; refused?: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port: proxyPort, path: url, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            ...(res.headers["x-srt-refused"] === undefined ? {} : { refused: String(res.headers["x-srt-refused"]) }),
          }),
        );
      })
      .on("error", reject);
  });
}

describe("parseListen", () => {
  it.each([
    ["127.0.0.1:3128", { host: "127.0.0.1", port: 3128 }],
    ["localhost:0", { host: "127.0.0.1", port: 0 }],
    ["[::1]:1080", { host: "::1", port: 1080 }],
    ["0.0.0.0:3128", { host: "0.0.0.0", port: 3128 }],
    ["unix:/run/srt/http.sock", { path: "/run/srt/http.sock" }],
    ["/run/srt/http.sock", { path: "/run/srt/http.sock" }],
    ["fd:3", { fd: 3 }],
  ])("%s", (text, target) => expect(parseListen(text)).toEqual({ ok: true, target }));

  it.each(["3128", ":3128", "example.com:80", "127.0.0.1:70000", "unix:relative.sock", "fd:1", "fd:x"])(
    "%s is refused",
    (text) => expect(parseListen(text).ok).toBe(false),
  );
});

describe("srt proxy, clients outside any sandbox", () => {
  it("ready line, allowed and refused traffic, violations as JSON, live policy, SIGTERM with grace", async () => {
    const settings = join(scene.dir, "settings.json");
    writeFileSync(
      settings,
      JSON.stringify({ network: { allowedDomains: [`127.0.0.1:${scene.web.port}`, `127.0.0.1:${scene.echo.port}`] } }),
    );
    const violations = join(scene.dir, "violations.jsonl");
    const srt = start([
      "--settings",
      settings,
      "--listen",
      "127.0.0.1:0",
      "--socks",
      "127.0.0.1:0",
      "--control-fd",
      "3",
      "--violations",
      violations,
      "--grace-ms",
      "30000",
    ]);
    const ready = await srt.line((l) => l["kind"] === "ready");
    expect(srt.lines[0]).toBe(ready);
    expect(ready["policy"]).toBe(settings);
    const hp = portOf(ready["http"]);
    const sp = portOf(ready["socks"]);

    expect(await get(hp, `http://127.0.0.1:${scene.web.port}/a`)).toMatchObject({ status: 201, body: "got:" });
    const refused = await get(hp, `http://127.0.0.1:${scene.other.port}/b`);
    expect(refused.status).toBe(403);
    expect(refused.refused).toMatch(/not in allowedDomains/);
    const v = await srt.line((l) => l["kind"] === "network");
    expect(v).toMatchObject({ proxy: "http", host: "127.0.0.1", port: scene.other.port });
    expect(JSON.parse(readFileSync(violations, "utf8").trim())).toEqual(v);

    const socks = await exchange(
      sp,
      Buffer.concat([
        Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, scene.echo.port >> 8, scene.echo.port & 0xff]),
        Buffer.from("hi"),
      ]),
      { end: true },
    );
    expect(socks[3]).toBe(0);
    expect(socks.subarray(12).toString()).toBe("hi");

    // Live: allow the other server instead of the first.
    srt.fd3.write(
      `${JSON.stringify({ network: { allowedDomains: [`127.0.0.1:${scene.other.port}`, `127.0.0.1:${scene.echo.port}`] } })}\n`,
    );
    await new Promise<void>((resolve) => {
      const check = (): void => (srt.stderr().includes("line 1 applied") ? resolve() : void setTimeout(check, 20));
      check();
    });
    expect((await get(hp, `http://127.0.0.1:${scene.other.port}/c`)).status).toBe(201);
    expect((await get(hp, `http://127.0.0.1:${scene.web.port}/d`)).status).toBe(403);

    // An open tunnel when SIGTERM arrives: it may still finish its exchange; new connections are not accepted.
    const tunnel = net.connect(hp, "127.0.0.1");
    tunnel.on("error", () => undefined);
    let got = "";
    tunnel.on("data", (d: Buffer) => (got += d.toString()));
    tunnel.write(`CONNECT 127.0.0.1:${scene.echo.port} HTTP/1.1\r\n\r\n`);
    await new Promise<void>((resolve) => {
      const check = (): void => (got.includes("\r\n\r\n") ? resolve() : void tunnel.once("data", check));
      check();
    });
    srt.child.kill("SIGTERM");
    await new Promise<void>((resolve) => {
      const check = (): void => (srt.stderr().includes("SIGTERM") ? resolve() : void setTimeout(check, 20));
      check();
    });
    expect(await exchange(hp, "GET / HTTP/1.1\r\n\r\n").catch(() => Buffer.alloc(0))).toHaveLength(0);
    tunnel.write("after-term");
    await new Promise<void>((resolve) => {
      const check = (): void => (got.endsWith("after-term") ? resolve() : void tunnel.once("data", check));
      check();
    });
    tunnel.end();
    expect(await srt.done).toBe(0);
  }, 60_000);

  it("listens on a unix socket and on an inherited listening socket (fd:4)", async () => {
    const settings = join(scene.dir, "settings2.json");
    writeFileSync(settings, JSON.stringify({ network: { allowedDomains: [`127.0.0.1:${scene.web.port}`] } }));
    const inherited = net.createServer();
    await new Promise<void>((r) => inherited.listen(0, "127.0.0.1", r));
    const port = (inherited.address() as net.AddressInfo).port;
    const handle = (inherited as unknown as { _handle: { fd: number } })._handle;
    const sock = join(scene.dir, "http.sock");
    const srt = start(["--settings", settings, "--listen", "fd:4", "--socks", `unix:${sock}`], handle.fd);
    try {
      const ready = await srt.line((l) => l["kind"] === "ready");
      expect(ready).toMatchObject({ socks: `unix:${sock}` });
      // The parent stops accepting on its copy; the child's accepts every connection.
      inherited.close();
      expect(await get(port, `http://127.0.0.1:${scene.web.port}/e`)).toMatchObject({ status: 201 });
      const socks = await exchange(
        sock,
        Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, scene.web.port >> 8, scene.web.port & 0xff]),
        { until: (r) => r.length >= 12 },
      );
      expect(socks[3]).toBe(0);
    } finally {
      srt.child.kill("SIGTERM");
      expect(await srt.done).toBe(0);
    }
  }, 60_000);

  it("an address it cannot listen on: SRT535, exit 1", async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const srt = start(["--listen", `127.0.0.1:${(busy.address() as net.AddressInfo).port}`]);
    expect(await srt.done).toBe(1);
    expect(srt.stderr()).toMatch(/^srt proxy: error SRT535: --listen 127\.0\.0\.1:\d+: EADDRINUSE/m);
    busy.close();
  });
});
