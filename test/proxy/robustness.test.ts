// Hostile and unlucky clients and upstreams: the proxies keep serving, give
// back every socket and file descriptor, and never throw. The proxies run with
// the limits a real run gets; only the handshake-timeout cases use a pair with
// a short handshake timeout, and nothing else there depends on it. Every wait is
// on an event (a close, an answer, a counter reaching zero), so a loaded
// machine makes these tests slower, never red.
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpProxy, createSocksProxy, type NetworkProxy } from "../../src/runtime/proxy/index.js";
import {
  allow,
  closedPort,
  echoServer,
  eventually,
  exchange,
  fdCount,
  httpServer,
  loopback,
  setup,
  type Server,
} from "./harness.js";

// The default limits, with a smaller header bound so "too many headers" needs few bytes.
const limits = { maxHeaderBytes: 8 * 1024 };
// For the slow-client cases only: a client trickling one byte per 150 ms needs
// seconds to finish its handshake, so a 400 ms deadline must cut it off first.
const impatientLimits = { ...limits, handshakeTimeoutMs: 400 };
let echo: Server;
let web: Server;
let reset: Server & { hits: number };
let httpProxy: NetworkProxy;
let socksProxy: NetworkProxy;
let impatientHttp: NetworkProxy;
let impatientSocks: NetworkProxy;
let hp: number;
let sp: number;
let ihp: number;
let isp: number;
let baseline: number;

beforeAll(async () => {
  echo = await echoServer();
  web = await httpServer();
  // Accepts, then answers the first bytes with a TCP RST (an upstream crashing or a firewall).
  const rs = net.createServer((s) => {
    state.hits++;
    s.on("error", () => undefined);
    s.once("data", () => s.resetAndDestroy());
  });
  const state = { hits: 0 };
  await new Promise<void>((r) => rs.listen(0, "127.0.0.1", r));
  reset = Object.assign(state, {
    port: (rs.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => rs.close(() => r())),
  });
  const s = setup([allow("allowed.test"), loopback], { limits });
  httpProxy = createHttpProxy(s.deps);
  socksProxy = createSocksProxy(s.deps);
  hp = ((await httpProxy.listen({ port: 0 })) as { port: number }).port;
  sp = ((await socksProxy.listen({ port: 0 })) as { port: number }).port;
  const impatient = setup([allow("allowed.test"), loopback], { limits: impatientLimits });
  impatientHttp = createHttpProxy(impatient.deps);
  impatientSocks = createSocksProxy(impatient.deps);
  ihp = ((await impatientHttp.listen({ port: 0 })) as { port: number }).port;
  isp = ((await impatientSocks.listen({ port: 0 })) as { port: number }).port;
  // Warm up once so lazily opened descriptors (libuv, DNS threads) are in the baseline.
  await tunnelRoundTrip("warm-up");
  await eventually(() => httpProxy.openSockets === 0);
  baseline = fdCount();
});

afterAll(async () => {
  await Promise.all([httpProxy, socksProxy, impatientHttp, impatientSocks].map((p) => p.close()));
  await Promise.all([echo.close(), web.close(), reset.close()]);
});

/** A CONNECT through the HTTP proxy to the echo server; resolves with what came back. */
async function tunnelRoundTrip(payload: string): Promise<string> {
  const out = (
    await exchange(hp, `CONNECT allowed.test:${echo.port} HTTP/1.1\r\n\r\n${payload}`, { end: true })
  ).toString();
  return out.slice(out.indexOf("\r\n\r\n") + 4);
}

async function settled(): Promise<void> {
  const proxies = [httpProxy, socksProxy, impatientHttp, impatientSocks];
  expect(await eventually(() => proxies.every((p) => p.openSockets === 0))).toBe(true);
  expect(await eventually(() => fdCount() <= baseline)).toBe(true);
  // …and still serving.
  expect(await tunnelRoundTrip("still alive")).toBe("still alive");
}

describe("bad input", () => {
  it("garbage bytes: HTTP answers 400 and closes, SOCKS closes", async () => {
    const garbage = Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a, 0x80, 0x81]);
    expect((await exchange(hp, garbage)).toString()).toMatch(/^HTTP\/1\.1 400 /);
    expect((await exchange(sp, garbage)).length).toBe(0);
    await settled();
  });

  it("a 1 MB request line and 100,000 headers → 431, read by a client still writing (lingering close)", async () => {
    // The proxy answers after 8 KiB while the client is still writing; closing at once would
    // reset the connection and could take the answer with it.
    for (const head of [
      `GET http://allowed.test/${"a".repeat(1 << 20)} HTTP/1.1\r\n\r\n`,
      `GET http://allowed.test/ HTTP/1.1\r\n${"X-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(100_000)}\r\n`,
    ])
      expect((await exchange(hp, head)).toString()).toMatch(/^HTTP\/1\.1 431 /);
    await settled();
  });

  it("headers that never end: too many → 431; stalled → 408 after the handshake timeout", async () => {
    const many = `GET http://allowed.test/ HTTP/1.1\r\n${"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(400)}`;
    expect((await exchange(hp, many)).toString()).toMatch(/^HTTP\/1\.1 431 /);
    // The client never finishes its head, so only the proxy's deadline can end this exchange.
    const stalled = (await exchange(ihp, "GET http://allowed.test/ HTTP/1.1\r\nHost: a\r\n")).toString();
    expect(stalled).toMatch(/^HTTP\/1\.1 408 [^]*within 400 ms/);
    await settled();
  });

  it.each([
    ["HTTP", () => ihp, "CONNECT allowed.test:80 HTTP/1.1\r\n\r\n"],
    ["SOCKS", () => isp, "\x05\x01\x00\x05\x01\x00\x03\x0callowed.test\x00\x50"],
  ])("a slow client (one byte per 150 ms) is cut off by the %s handshake timeout", async (_name, port, message) => {
    const socket = net.connect(port(), "127.0.0.1");
    socket.on("error", () => undefined);
    let i = 0;
    const timer = setInterval(() => {
      if (i < message.length && socket.writable) socket.write(Buffer.from(message[i++]!, "latin1"));
    }, 150);
    await new Promise((r) => socket.once("close", r));
    clearInterval(timer);
    // It did not get to finish: the deadline, not the end of the message (a
    // refused dial to port 80 would close it too), ended the connection. A
    // late timer on a busy machine only makes the client slower still.
    expect(i).toBeLessThan(message.length);
    await settled();
  });
});

describe("load and failures", () => {
  it("500 concurrent CONNECT tunnels and 300 concurrent SOCKS tunnels all carry their bytes", async () => {
    const viaHttp = Array.from({ length: 500 }, (_, i) => tunnelRoundTrip(`http-${i}`));
    const viaSocks = Array.from({ length: 300 }, (_, i) => {
      const req = Buffer.concat([
        Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, echo.port >> 8, echo.port & 0xff]),
        Buffer.from(`socks-${i}`),
      ]);
      return exchange(sp, req, { end: true }).then((b) => b.subarray(12).toString());
    });
    expect(await Promise.all(viaHttp)).toEqual(Array.from({ length: 500 }, (_, i) => `http-${i}`));
    expect(await Promise.all(viaSocks)).toEqual(Array.from({ length: 300 }, (_, i) => `socks-${i}`));
    await settled();
  });

  it("a client that disconnects mid-download: the upstream is torn down", async () => {
    await new Promise<void>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port: hp, path: `http://allowed.test:${web.port}/big` }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => undefined);
    });
    // Mid-tunnel, to an upstream that would hold its side open forever.
    let upstreamClosed!: () => void;
    const teardown = new Promise<void>((r) => (upstreamClosed = r));
    const sink = net.createServer({ allowHalfOpen: true }, (u) => {
      u.on("error", () => undefined);
      u.resume();
      // The proxy's FIN (or RST) is how the teardown shows here; then let go of our side too.
      u.on("end", () => (upstreamClosed(), u.destroy()));
      u.on("close", () => upstreamClosed());
    });
    await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
    const s = net.connect(hp, "127.0.0.1", () =>
      s.write(`CONNECT allowed.test:${(sink.address() as net.AddressInfo).port} HTTP/1.1\r\n\r\n`),
    );
    s.on("error", () => undefined);
    await new Promise((r) => s.once("data", r));
    s.write("x".repeat(100_000));
    s.destroy();
    // No FIN from the client, so the (60 s) half-close timeout cannot be what ends it.
    await teardown;
    await new Promise<void>((r) => sink.close(() => r()));
    await settled();
  });

  it("upstream refusing (closed port) and resetting", async () => {
    const closed = await closedPort();
    expect((await exchange(hp, `CONNECT 127.0.0.1:${closed} HTTP/1.1\r\n\r\n`)).toString()).toMatch(/^HTTP\/1\.1 502 /);
    const r = await new Promise<number>((resolve) => {
      http
        .get({ host: "127.0.0.1", port: hp, path: `http://127.0.0.1:${reset.port}/` }, (res) =>
          resolve(res.statusCode ?? 0),
        )
        .on("error", () => resolve(-1));
    });
    expect(r).toBe(502);
    // Connected, then the RST ends the tunnel: the client never half-closes, so
    // the exchange can only end (rather than give up) if the proxy passed the reset on.
    const viaTunnel = (await exchange(hp, `CONNECT 127.0.0.1:${reset.port} HTTP/1.1\r\n\r\nhello`)).toString();
    expect(viaTunnel).toMatch(/^HTTP\/1\.1 200 /);
    const socks = await exchange(sp, Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, closed >> 8, closed & 0xff]));
    expect(socks[3]).toBe(0x05);
    expect(reset.hits).toBe(2);
    await settled();
  });
});

describe("half-closes and silent upstreams", () => {
  it("a client that half-closes after a plain-HTTP request still gets the response", async () => {
    const out = (
      await exchange(hp, `GET http://allowed.test:${web.port}/x HTTP/1.1\r\nHost: allowed.test\r\n\r\n`, { end: true })
    ).toString();
    expect(out).toMatch(/^HTTP\/1\.1 201 Made\r\n[^]*\r\n\r\n[^]*got:/);
    await settled();
  });

  it("plain HTTP to an upstream that accepts and never answers gets 504 after the response timeout", async () => {
    // Reads (so it sees the proxy's FIN and lets go) but never writes.
    const silent = net.createServer((s) => s.on("error", () => undefined).resume());
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const s = setup([allow("allowed.test"), loopback], { limits: { ...limits, responseTimeoutMs: 500 } });
    const proxy = createHttpProxy(s.deps);
    try {
      const port = ((await proxy.listen({ port: 0 })) as { port: number }).port;
      const silentPort = (silent.address() as net.AddressInfo).port;
      const out = (
        await exchange(port, `GET http://allowed.test:${silentPort}/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n`)
      ).toString();
      expect(out).toMatch(/^HTTP\/1\.1 504 [^]*no response within 500 ms/);
      expect(await eventually(() => proxy.openSockets === 0)).toBe(true);
    } finally {
      await proxy.close();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe("close()", () => {
  it("destroys listeners, clients, tunnels and pending dials", async () => {
    const hanging = async (name: string): Promise<readonly string[]> =>
      name === "slow.test" ? new Promise(() => undefined) : ["127.0.0.1"];
    const s = setup([allow("allowed.test"), allow("slow.test"), loopback], { limits }, hanging);
    const proxy = createHttpProxy(s.deps);
    const port = ((await proxy.listen({ port: 0 })) as { port: number }).port;
    const closes: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      const c = net.connect(port, "127.0.0.1", () => c.write(`CONNECT allowed.test:${echo.port} HTTP/1.1\r\n\r\n`));
      c.on("error", () => undefined);
      closes.push(new Promise((r) => c.once("close", r)));
      await new Promise((r) => c.once("data", r));
    }
    // An idle client and one whose name resolution never finishes.
    const idle = net.connect(port, "127.0.0.1");
    const pending = net.connect(port, "127.0.0.1", () => pending.write("CONNECT slow.test:80 HTTP/1.1\r\n\r\n"));
    for (const c of [idle, pending]) {
      c.on("error", () => undefined);
      closes.push(new Promise((r) => c.once("close", r)));
    }
    await eventually(() => proxy.openSockets >= 12);
    expect(proxy.openSockets).toBe(12); // 5 clients + 5 upstreams + idle + pending
    await proxy.close();
    expect(proxy.openSockets).toBe(0);
    await Promise.all(closes);
    await expect(proxy.listen({ port: 0 })).rejects.toThrow(/closed/);
    expect(await exchange(port, "CONNECT x:1 HTTP/1.1\r\n\r\n")).toHaveLength(0);
  });
});
