// The SOCKS5 proxy with real sockets on 127.0.0.1/::1, curl and netcat-openbsd.
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSocksProxy, socksReply, type NetworkProxy } from "../../src/runtime/proxy/index.js";
import {
  allow,
  closedPort,
  deny,
  echoServer,
  eventually,
  giveUpMs,
  httpServer,
  loopback,
  run,
  setup,
  type Server,
} from "./harness.js";

let echo: Server;
let echo6: Server;
let web: Server;
beforeAll(async () => {
  echo = await echoServer();
  echo6 = await echoServer("::1");
  web = await httpServer();
});
afterAll(async () => {
  await Promise.all([echo.close(), echo6.close(), web.close()]);
});
const proxies: NetworkProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});
async function start(s: ReturnType<typeof setup>): Promise<{ proxy: NetworkProxy; port: number }> {
  const proxy = createSocksProxy(s.deps);
  proxies.push(proxy);
  const a = await proxy.listen({ port: 0 });
  if (a.kind !== "tcp") throw new Error("expected tcp");
  return { proxy, port: a.port };
}

/** A client that reads exact byte counts, independent of the proxy's own reader. */
class Conversation {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;
  readonly socket: net.Socket;
  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.on("error", () => undefined);
    this.socket.on("data", (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.waiting?.();
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
  }
  send(bytes: number[] | Buffer): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }
  /** n bytes, or fewer if the peer closed first. */
  async read(n: number, ms = giveUpMs): Promise<Buffer> {
    const end = Date.now() + ms;
    while (this.buf.length < n && !this.closed && Date.now() < end)
      await new Promise<void>((r) => ((this.waiting = r), setTimeout(r, 50)));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }
  async waitClosed(ms = giveUpMs): Promise<boolean> {
    return eventually(() => this.closed, ms);
  }
}

const portBytes = (p: number): number[] => [p >> 8, p & 0xff];
const domain = (name: string, port: number): number[] => [
  5,
  1,
  0,
  3,
  name.length,
  ...Buffer.from(name),
  ...portBytes(port),
];
const ipv4 = (a: string, port: number): number[] => [5, 1, 0, 1, ...a.split(".").map(Number), ...portBytes(port)];
const ipv6Loopback = (port: number): number[] => [5, 1, 0, 4, ...new Array<number>(15).fill(0), 1, ...portBytes(port)];

async function connectThrough(port: number, request: number[]): Promise<{ c: Conversation; code: number | undefined }> {
  const c = new Conversation(port);
  c.send([5, 1, 0]);
  expect([...(await c.read(2))]).toEqual([5, 0]);
  c.send(request);
  const head = await c.read(4);
  if (head.length === 4) await c.read(head[3] === 4 ? 18 : 6);
  return { c, code: head[1] };
}

describe("SOCKS5 CONNECT", () => {
  it.each([
    ["domain", () => domain("allowed.test", echo.port)],
    ["IPv4", () => ipv4("127.0.0.1", echo.port)],
    ["IPv6", () => ipv6Loopback(echo6.port)],
  ])("%s address type: bytes arrive both ways", async (_kind, request) => {
    const { port } = await start(setup([allow("allowed.test"), loopback, allow("[::1]", 2)]));
    const { c, code } = await connectThrough(port, request());
    expect(code).toBe(socksReply.succeeded);
    c.send(Buffer.from("ping\x00\xff", "latin1"));
    expect((await c.read(6)).toString("latin1")).toBe("ping\x00\xff");
    c.socket.destroy();
  });

  it("refused → 0x02 and a violation naming the deciding rule", async () => {
    const s = setup([allow("allowed.test"), deny("allowed.test:443", 4), loopback]);
    const { port } = await start(s);
    const { c, code } = await connectThrough(port, domain("allowed.test", 443));
    expect(code).toBe(socksReply.notAllowed);
    expect(await c.waitClosed()).toBe(true);
    expect(s.violations).toEqual([
      expect.objectContaining({ proxy: "socks", host: "allowed.test", port: 443, rule: "/network/deniedDomains/4" }),
    ]);
  });

  it("the resolved-address guard applies to SOCKS too", async () => {
    const s = setup([allow("allowed.test")]);
    const { port } = await start(s);
    expect((await connectThrough(port, domain("allowed.test", echo.port))).code).toBe(socksReply.notAllowed);
    expect(s.violations[0]?.rule).toBe("default:resolved-address-guard");
  });

  it("unresolvable → 0x04, connection refused → 0x05, BIND / UDP ASSOCIATE → 0x07, bad address type → 0x08", async () => {
    const { port } = await start(setup([allow("nowhere.test"), loopback]));
    expect((await connectThrough(port, domain("nowhere.test", 80))).code).toBe(socksReply.hostUnreachable);
    expect((await connectThrough(port, ipv4("127.0.0.1", await closedPort()))).code).toBe(socksReply.connectionRefused);
    const bind = ipv4("127.0.0.1", echo.port);
    bind[1] = 2;
    expect((await connectThrough(port, bind)).code).toBe(socksReply.commandNotSupported);
    bind[1] = 3;
    expect((await connectThrough(port, bind)).code).toBe(socksReply.commandNotSupported);
    expect((await connectThrough(port, [5, 1, 0, 9, 1, 2, 3, 4, 0, 80])).code).toBe(socksReply.addressTypeNotSupported);
  });

  it("SOCKS4 and garbage are closed without an answer", async () => {
    const { port } = await start(setup([loopback]));
    for (const bytes of [
      [4, 1, ...portBytes(echo.port), 127, 0, 0, 1, 0],
      [...Buffer.from("GET / HTTP/1.1\r\n\r\n")],
    ]) {
      const c = new Conversation(port);
      c.send(bytes);
      expect(await c.waitClosed()).toBe(true);
      expect((await c.read(1)).length).toBe(0);
    }
  });
});

describe("SOCKS5 authentication", () => {
  const userpass = (u: string, p: string): number[] => [1, u.length, ...Buffer.from(u), p.length, ...Buffer.from(p)];

  it("no-auth is chosen when offered; a client that offers only RFC 1929 is accepted with any username and password", async () => {
    const { port } = await start(setup([loopback]));
    const plain = new Conversation(port);
    plain.send([5, 2, 2, 0]);
    expect([...(await plain.read(2))]).toEqual([5, 0]);
    plain.socket.destroy();

    const c = new Conversation(port);
    // Pipelined: greeting, credentials and request in one write.
    c.send([5, 1, 2, ...userpass("srt", "whatever"), ...ipv4("127.0.0.1", echo.port)]);
    expect([...(await c.read(2))]).toEqual([5, 2]);
    expect([...(await c.read(2))]).toEqual([1, 0]);
    expect((await c.read(10))[1]).toBe(socksReply.succeeded);
    c.send(Buffer.from("authed"));
    expect((await c.read(6)).toString()).toBe("authed");
    c.socket.destroy();
  });

  it("a client that offers no method the proxy knows gets 0xFF and is closed", async () => {
    const { port } = await start(setup([loopback]));
    const c = new Conversation(port);
    c.send([5, 1, 1]);
    expect([...(await c.read(2))]).toEqual([5, 0xff]);
    expect(await c.waitClosed()).toBe(true);
  });
});

describe("real clients", () => {
  it("curl --socks5-hostname sends the name to the proxy", async () => {
    const s = setup([allow("allowed.test"), loopback]);
    const { port } = await start(s);
    const ok = await run("curl", [
      "-sS",
      "--socks5-hostname",
      `127.0.0.1:${port}`,
      "-d",
      "x",
      `http://allowed.test:${web.port}/s`,
    ]);
    expect(ok.stdout).toBe("got:x");
    const denied = await run("curl", [
      "-sS",
      "--socks5-hostname",
      `127.0.0.1:${port}`,
      `http://denied.test:${web.port}/`,
    ]);
    expect(denied.code).not.toBe(0);
    expect(s.violations.map((v) => v.host)).toEqual(["denied.test"]);
  });

  it("nc -X 5 (netcat-openbsd) tunnels to an echo server by name", async () => {
    const { port } = await start(setup([allow("allowed.test"), loopback]));
    const r = await run("nc", ["-N", "-X", "5", "-x", `127.0.0.1:${port}`, "allowed.test", String(echo.port)], {
      input: "through nc\n",
    });
    expect(r.stdout).toBe("through nc\n");
  });
});
