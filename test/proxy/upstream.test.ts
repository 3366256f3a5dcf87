// network.parentProxy in the proxies: srt decides first, then allowed traffic
// leaves through the upstream (CONNECT for tunnels and SOCKS, absolute form for
// plain HTTP, Proxy-Authorization from the credentials' origin), loopback and
// noProxy go direct. The upstream is a loopback test proxy that records what it
// sees and maps *.test names to 127.0.0.1 (srt itself never resolves them).
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNoProxy, parseProxyUrl, proxyAuthorization } from "../../src/compiler/parent-proxy.js";
import { canonicalizeHost } from "../../src/compiler/domains/index.js";
import type { ParentProxy } from "../../src/compiler/ir.js";
import {
  createHttpProxy,
  createSocksProxy,
  type NetworkProxy,
  type ProxyNetworkPolicy,
} from "../../src/runtime/proxy/index.js";
import { authorizationFrom, bypassed } from "../../src/runtime/proxy/upstream.js";
import { allow, deny, echoServer, exchange, httpServer, setup, type Server } from "./harness.js";

interface Upstream {
  readonly port: number;
  readonly seen: { line: string; auth: string | undefined }[];
  close(): Promise<void>;
}

/** A CONNECT + absolute-form proxy mapping *.test to 127.0.0.1; answers 407 without the expected credentials. */
async function recordingUpstream(expectedAuth: string | undefined): Promise<Upstream> {
  const seen: Upstream["seen"] = [];
  const sockets = new Set<net.Socket>();
  const target = (hostPort: string): { host: string; port: number } | undefined => {
    const m = /^([a-z0-9.-]+\.test):(\d+)$/.exec(hostPort);
    return m ? { host: "127.0.0.1", port: Number(m[2]) } : undefined;
  };
  const server = http.createServer((req, res) => {
    const auth = req.headers["proxy-authorization"];
    seen.push({ line: `${req.method} ${req.url}`, auth });
    if (auth !== expectedAuth) return void res.writeHead(407).end();
    const url = /^http:\/\/([^/]+)(\/.*)$/.exec(req.url ?? "");
    const t = url ? target(url[1]!) : undefined;
    if (!url || !t) return void res.writeHead(403).end();
    const up = http.request({ ...t, path: url[2], method: req.method, headers: { host: url[1] } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.on("connection", (s: net.Socket) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const auth = req.headers["proxy-authorization"];
    seen.push({ line: `CONNECT ${req.url}`, auth });
    client.on("error", () => undefined);
    if (auth !== expectedAuth) return void client.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
    const t = target(req.url ?? "");
    if (!t) return void client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
    const up = net.connect(t, () => {
      client.write("HTTP/1.1 200 Connection established\r\n\r\n");
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on("error", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const basic = (pair: string): string => `Basic ${Buffer.from(pair).toString("base64")}`;
const parent = (port: number, credentials = true, noProxy = ""): ParentProxy => {
  const u = {
    scheme: "http" as const,
    host: "127.0.0.1",
    port,
    ...(credentials ? { credentials: "/network/parentProxy/http" as const } : {}),
    origin: "/network/parentProxy/http" as const,
  };
  return { http: u, https: u, noProxy: parseNoProxy(noProxy, "/network/parentProxy/noProxy") };
};

let web: Server;
let echo: Server;
let upstream: Upstream;
const settingsValue = (port: number): unknown => ({
  network: { parentProxy: { http: `http://al%40ice:s3cr%3At@127.0.0.1:${port}` } },
});

beforeAll(async () => {
  web = await httpServer();
  echo = await echoServer();
  upstream = await recordingUpstream(basic("al@ice:s3cr:t"));
});
afterAll(async () => Promise.all([web.close(), echo.close(), upstream.close()]));

describe("parsing", () => {
  it("proxy URLs: scheme, default ports, credentials only as a flag", () => {
    expect(parseProxyUrl("http://u:p@Proxy.Corp:3128")).toEqual({
      ok: true,
      scheme: "http",
      host: "proxy.corp",
      port: 3128,
      auth: true,
    });
    expect(parseProxyUrl("proxy.corp:8080")).toMatchObject({ ok: true, scheme: "http", port: 8080, auth: false });
    expect(parseProxyUrl("https://[::1]")).toMatchObject({ ok: true, scheme: "https", host: "::1", port: 443 });
    expect(parseProxyUrl("socks5://p:1080")).toMatchObject({ ok: false });
    expect(parseProxyUrl("http://p:1/path")).toMatchObject({ ok: false });
    expect(proxyAuthorization("http://al%40ice:s3cr%3At@p:1")).toBe(basic("al@ice:s3cr:t"));
    expect(proxyAuthorization("http://p:1")).toBeUndefined();
  });

  it("noProxy: *, suffixes with or without a dot, IPs and CIDRs, ports ignored; loopback always", () => {
    const np = parseNoProxy(" .corp.example, other.test:8080, 10.0.0.0/8, 192.168.1.7, [::2]:80 ", "default");
    expect(np).toEqual({
      all: false,
      suffixes: ["corp.example", "other.test"],
      cidrs: ["10.0.0.0/8", "192.168.1.7/32", "::2/128"],
      origin: "default",
    });
    const b = (h: string): boolean => bypassed(np, canonicalizeHost(h)!);
    expect(["corp.example", "a.b.corp.example", "other.test", "10.2.3.4", "192.168.1.7", "[::2]"].every(b)).toBe(true);
    expect(["127.0.0.1", "localhost", "x.localhost", "[::1]"].every(b)).toBe(true);
    expect(["notcorp.example", "example", "11.0.0.1", "192.168.1.8", "other.test.evil"].some(b)).toBe(false);
    expect(bypassed(parseNoProxy("*", "default"), canonicalizeHost("anything.example")!)).toBe(true);
  });

  it("credentials are found again only for the same upstream", () => {
    const p = parent(upstream.port).http!;
    expect(authorizationFrom({ env: {}, settings: settingsValue(upstream.port) })(p)).toBe(basic("al@ice:s3cr:t"));
    // The settings now name another host: nothing is sent.
    expect(authorizationFrom({ env: {}, settings: settingsValue(upstream.port + 1) })(p)).toBeUndefined();
    const fromEnv = { ...p, credentials: "env:HTTPS_PROXY" as const };
    expect(authorizationFrom({ env: { HTTPS_PROXY: `http://a:b@127.0.0.1:${upstream.port}` } })(fromEnv)).toBe(
      basic("a:b"),
    );
    expect(
      authorizationFrom({ env: { HTTPS_PROXY: `http://a:b@10.9.9.9:${upstream.port}` } })(fromEnv),
    ).toBeUndefined();
  });
});

describe("through the upstream", () => {
  let hp: number;
  let sp: number;
  let proxies: NetworkProxy[];
  let violations: { host: string }[];
  const resolved: string[] = [];

  beforeAll(async () => {
    const s = setup(
      [allow("web.test"), allow("tunnel.test"), allow("direct.test"), deny("denied.test"), allow("127.0.0.1")],
      { upstreamAuthorization: authorizationFrom({ env: {}, settings: settingsValue(upstream.port) }) },
      async (name) => {
        resolved.push(name);
        return name === "direct.test" ? ["127.0.0.1"] : [];
      },
    );
    violations = s.violations;
    const network = {
      rules: (s.deps.network as ProxyNetworkPolicy).rules,
      deniedResolvedAddresses: [],
      parentProxy: parent(upstream.port, true, "direct.test"),
    };
    proxies = [createHttpProxy({ ...s.deps, network }), createSocksProxy({ ...s.deps, network })];
    hp = ((await proxies[0]!.listen({ port: 0 })) as { port: number }).port;
    sp = ((await proxies[1]!.listen({ port: 0 })) as { port: number }).port;
  });
  afterAll(async () => Promise.all(proxies.map((p) => p.close())));

  it("plain HTTP in absolute form, CONNECT and SOCKS as CONNECT, each with Proxy-Authorization", async () => {
    upstream.seen.length = 0;
    const plain = (
      await exchange(hp, `GET http://web.test:${web.port}/p?q=1 HTTP/1.1\r\nHost: web.test\r\n\r\n`, { end: true })
    ).toString();
    expect(plain).toMatch(/^HTTP\/1\.1 201 /);
    const tunnel = (
      await exchange(hp, `CONNECT tunnel.test:${echo.port} HTTP/1.1\r\n\r\nping`, { end: true })
    ).toString();
    expect(tunnel).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\nping$/);
    const name = Buffer.from("tunnel.test");
    const socks = await exchange(
      sp,
      Buffer.concat([
        Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length]),
        name,
        Buffer.from([echo.port >> 8, echo.port & 0xff]),
        Buffer.from("pong"),
      ]),
      { end: true },
    );
    expect(socks[3]).toBe(0);
    expect(socks.subarray(12).toString()).toBe("pong");
    const auth = basic("al@ice:s3cr:t");
    expect(upstream.seen).toEqual([
      { line: `GET http://web.test:${web.port}/p?q=1`, auth },
      { line: `CONNECT tunnel.test:${echo.port}`, auth },
      { line: `CONNECT tunnel.test:${echo.port}`, auth },
    ]);
    // srt never resolved a name it sent to the upstream.
    expect(resolved).not.toContain("web.test");
    expect(resolved).not.toContain("tunnel.test");
  });

  it("refused hosts never reach the upstream; loopback and noProxy go direct", async () => {
    upstream.seen.length = 0;
    expect((await exchange(hp, `CONNECT denied.test:443 HTTP/1.1\r\n\r\n`)).toString()).toMatch(/^HTTP\/1\.1 403 /);
    expect((await exchange(hp, `CONNECT elsewhere.test:443 HTTP/1.1\r\n\r\n`)).toString()).toMatch(/^HTTP\/1\.1 403 /);
    expect(violations.map((v) => v.host)).toEqual(expect.arrayContaining(["denied.test", "elsewhere.test"]));
    expect((await exchange(hp, `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\nx`, { end: true })).toString()).toMatch(
      /\r\n\r\nx$/,
    );
    // direct.test is in noProxy: resolved by srt itself (to 127.0.0.1, which the allowed literal lets through).
    const direct = (await exchange(hp, `CONNECT direct.test:${echo.port} HTTP/1.1\r\n\r\ny`, { end: true })).toString();
    expect(direct).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\ny$/);
    expect(resolved).toContain("direct.test");
    expect(upstream.seen).toEqual([]);
  });

  it("credentials that are not available: 502, the upstream is not asked, the secret is in no answer", async () => {
    const s = setup([allow("tunnel.test")], {});
    const network = {
      rules: (s.deps.network as ProxyNetworkPolicy).rules,
      deniedResolvedAddresses: [],
      parentProxy: parent(upstream.port),
    };
    const p = createHttpProxy({ ...s.deps, network });
    try {
      const port = ((await p.listen({ port: 0 })) as { port: number }).port;
      upstream.seen.length = 0;
      const out = (await exchange(port, `CONNECT tunnel.test:${echo.port} HTTP/1.1\r\n\r\n`)).toString();
      expect(out).toMatch(
        /^HTTP\/1\.1 502 [^]*credentials of the upstream proxy http:\/\/127\.0\.0\.1:\d+ \(\/network\/parentProxy\/http\) are not available/,
      );
      expect(upstream.seen).toEqual([]);
      const wrong = setup([allow("tunnel.test")], { upstreamAuthorization: () => basic("x:y") });
      const q = createHttpProxy({ ...wrong.deps, network });
      const qport = ((await q.listen({ port: 0 })) as { port: number }).port;
      const refused = (await exchange(qport, `CONNECT tunnel.test:${echo.port} HTTP/1.1\r\n\r\n`)).toString();
      expect(refused).toMatch(/^HTTP\/1\.1 502 [^]*refused CONNECT tunnel\.test:\d+ \(status 407\)/);
      expect(refused).not.toContain("eDp5");
      await q.close();
    } finally {
      await p.close();
    }
  });
});
