// The HTTP proxy with real sockets on 127.0.0.1 and real curl processes.
import http from "node:http";
import net from "node:net";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHttpProxy, type NetworkProxy } from "../../src/runtime/proxy/index.js";
import {
  allow,
  basic,
  loopback,
  closedPort,
  deny,
  echoServer,
  eventually,
  exchange,
  httpServer,
  run,
  setup,
  type Server,
} from "./harness.js";

let web: Server;
let echo: Server;
beforeAll(async () => {
  web = await httpServer();
  echo = await echoServer();
});
afterAll(async () => {
  await web.close();
  await echo.close();
});

const proxies: NetworkProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function start(s: ReturnType<typeof setup>): Promise<{ proxy: NetworkProxy; port: number }> {
  const proxy = createHttpProxy(s.deps);
  proxies.push(proxy);
  const a = await proxy.listen({ port: 0 });
  if (a.kind !== "tcp") throw new Error("expected tcp");
  return { proxy, port: a.port };
}

interface Reply {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  proxyPort: number,
  url: string,
  opts: { method?: string; body?: string; headers?: Record<string, string>; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: proxyPort,
        method: opts.method ?? "GET",
        path: url,
        headers: opts.headers ?? {},
        agent: opts.agent ?? false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", headers: res.headers, body }),
        );
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

describe("plain HTTP forwarding", () => {
  it("forwards method, path and body both ways, strips hop-by-hop and proxy headers", async () => {
    const { port } = await start(setup([allow("allowed.test"), loopback]));
    const r = await request(port, `http://allowed.test:${web.port}/a/../b?q=1#frag`, {
      method: "POST",
      body: "hello body",
      headers: {
        "Proxy-Authorization": "Basic eA==",
        "Proxy-Connection": "keep-alive",
        "X-Keep": "yes",
        Connection: "X-Drop, keep-alive",
        "X-Drop": "1",
        "Content-Type": "text/plain",
      },
    });
    expect(r.status).toBe(201);
    expect(r.statusText).toBe("Made");
    expect(r.body).toBe("got:hello body");
    expect(r.headers["x-method"]).toBe("POST");
    expect(r.headers["x-url"]).toBe("/a/../b?q=1"); // forwarded as sent, not normalized
    const seen = (JSON.parse(r.headers["x-headers"] as string) as string[])
      .filter((_, i) => i % 2 === 0)
      .map((h) => h.toLowerCase());
    expect(seen).toContain("x-keep");
    expect(seen).toContain("content-type");
    for (const h of ["proxy-authorization", "proxy-connection", "x-drop"]) expect(seen).not.toContain(h);
    const hostIdx = (JSON.parse(r.headers["x-headers"] as string) as string[]).indexOf("Host");
    expect((JSON.parse(r.headers["x-headers"] as string) as string[])[hostIdx + 1]).toBe(`allowed.test:${web.port}`);
    expect(r.headers["keep-alive"]).not.toBe("timeout=5"); // the upstream's hop-by-hop header is not passed on (Node adds its own)
  });

  it("streams a 4 MiB response", async () => {
    const { port } = await start(setup([allow("allowed.test"), loopback]));
    const r = await request(port, `http://allowed.test:${web.port}/big`);
    expect(r.body.length).toBe(4 << 20);
  });

  it("a client that stops reading holds the upstream back instead of the proxy buffering the body", async () => {
    const total = 64 << 20;
    let written = 0;
    const chunk = Buffer.alloc(64 << 10, 120);
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Length": String(total) });
      const more = (): void => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    try {
      const upstreamPort = (upstream.address() as net.AddressInfo).port;
      const { port } = await start(setup([allow("allowed.test"), loopback]));
      let writtenWhilePaused = 0;
      const received = await new Promise<number>((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, path: `http://allowed.test:${upstreamPort}/` }, (res) => {
          res.pause();
          // Socket buffers on the way hold some megabytes; the proxy must not read on past them.
          setTimeout(() => {
            writtenWhilePaused = written;
            let n = 0;
            res.on("data", (d: Buffer) => (n += d.length));
            res.on("end", () => resolve(n));
            res.resume();
          }, 500);
        });
        req.on("error", reject);
      });
      expect(writtenWhilePaused).toBeLessThan(total / 2);
      expect(received).toBe(total);
    } finally {
      await new Promise((r) => upstream.close(r));
    }
  });

  it("decides every request on a kept-alive connection on its own", async () => {
    const s = setup([allow("allowed.test"), loopback]);
    const { port } = await start(s);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<net.Socket>();
    const first = await new Promise<number>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: `http://allowed.test:${web.port}/1`, agent }, (res) => {
        sockets.add(res.socket);
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", () => resolve(-1));
    });
    const second = await new Promise<{ status: number; refused: unknown }>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: `http://other.test:${web.port}/2`, agent }, (res) => {
        sockets.add(res.socket);
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, refused: res.headers["x-srt-refused"] }));
      });
      req.on("error", () => resolve({ status: -1, refused: undefined }));
    });
    agent.destroy();
    expect(first).toBe(201);
    expect(second.status).toBe(403);
    expect(String(second.refused)).toMatch(/other\.test/);
    expect(sockets.size).toBe(1); // both went over the same client connection
    expect(s.violations.map((v) => v.host)).toEqual(["other.test"]);
  });

  it("refuses with 403, a reason in status text, body and X-Srt-Refused, and records the deciding rule", async () => {
    const s = setup([allow("*.srt.test"), deny("evil.srt.test", 3), loopback]);
    const { port } = await start(s);
    const r = await request(port, `http://evil.srt.test:${web.port}/`);
    expect(r.status).toBe(403);
    expect(r.statusText).toMatch(/^Forbidden by srt: .*evil\.srt\.test.*denied/);
    expect(r.body).toMatch(/srt proxy: refused: .*evil\.srt\.test/);
    expect(r.headers["x-srt-refused"]).toMatch(/evil\.srt\.test/);
    expect(s.violations).toHaveLength(1);
    expect(s.violations[0]).toMatchObject({
      kind: "network",
      proxy: "http",
      host: "evil.srt.test",
      port: web.port,
      rule: "/network/deniedDomains/3",
    });
    expect(Date.parse(s.violations[0]!.time)).not.toBeNaN();
  });

  it("answers 502 for names that do not resolve and for closed ports, 400 for origin-form", async () => {
    const s = setup([allow("*.srt.test"), loopback]);
    const { port } = await start(s);
    expect((await request(port, "http://nowhere.srt.test/")).status).toBe(502);
    const closed = await closedPort();
    const r = await request(port, `http://127.0.0.1:${closed}/`);
    expect(r.status).toBe(502);
    expect(r.body).toMatch(/ECONNREFUSED|refused/);
    expect((await request(port, "/not-a-proxy-request")).status).toBe(400);
    expect((await request(port, "ftp://allowed.test/")).status).toBe(400);
    expect(s.violations).toHaveLength(0); // none of these is a policy refusal
  });
});

describe("CONNECT", () => {
  it("tunnels raw bytes, including bytes sent right after the CONNECT head", async () => {
    const { port } = await start(setup([allow(`allowed.test:${echo.port}`), loopback]));
    const out = await exchange(
      port,
      Buffer.from(`CONNECT allowed.test:${echo.port} HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01binary\xff`, "latin1"),
      { end: true },
    );
    const text = out.toString("latin1");
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text.slice(text.indexOf("\r\n\r\n") + 4)).toBe("\x00\x01binary\xff");
  });

  it("the port in a rule limits the port", async () => {
    const s = setup([allow(`allowed.test:${echo.port + 1}`)]);
    const { port } = await start(s);
    const out = (await exchange(port, `CONNECT allowed.test:${echo.port} HTTP/1.1\r\n\r\n`)).toString();
    expect(out).toMatch(/^HTTP\/1\.1 403 Forbidden by srt: /);
    expect(out).toMatch(/\r\nX-Srt-Refused: /);
    expect(s.violations[0]?.rule).toBeUndefined(); // nothing matched: default deny
  });

  it("resolved-address guard: a name resolving to 127.0.0.1 is refused unless that address is allowed too", async () => {
    const s = setup([allow("allowed.test")]);
    const { port } = await start(s);
    const out = (await exchange(port, `CONNECT allowed.test:${echo.port} HTTP/1.1\r\n\r\n`)).toString();
    expect(out).toMatch(/^HTTP\/1\.1 403 .*loopback/);
    expect(s.violations[0]).toMatchObject({ host: "allowed.test", rule: "default:resolved-address-guard" });

    const ok = setup([allow("allowed.test"), allow("127.0.0.1", 1)]);
    const p2 = await start(ok);
    const out2 = await exchange(p2.port, `CONNECT allowed.test:${echo.port} HTTP/1.1\r\n\r\nping`, { end: true });
    expect(out2.toString()).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\nping$/);
  });

  it("IPv6 literal targets", async () => {
    const echo6 = await echoServer("::1");
    try {
      const { port } = await start(setup([allow("[::1]")]));
      const out = await exchange(port, `CONNECT [::1]:${echo6.port} HTTP/1.1\r\n\r\nsix`, { end: true });
      expect(out.toString()).toMatch(/200 [^]*\r\n\r\nsix$/);
    } finally {
      await echo6.close();
    }
  });

  it("CONNECT to a closed port → 502, and the client connection is closed", async () => {
    const { proxy, port } = await start(setup([allow("127.0.0.1")]));
    const out = (await exchange(port, `CONNECT 127.0.0.1:${await closedPort()} HTTP/1.1\r\n\r\n`)).toString();
    expect(out).toMatch(/^HTTP\/1\.1 502 /);
    expect(await eventually(() => proxy.openSockets === 0)).toBe(true);
  });
});

describe("no proxy credentials", () => {
  it("a client that sends Proxy-Authorization anyway is served, and the header is not forwarded", async () => {
    const s = setup([allow("127.0.0.1", 1)]);
    const { port } = await start(s);
    const tunnel = await exchange(
      port,
      `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\nProxy-Authorization: ${basic("srt", "anything")}\r\n\r\nok`,
      { end: true },
    );
    expect(tunnel.toString()).toMatch(/^HTTP\/1\.1 200 [^]*ok$/);
    expect(
      (
        await request(port, `http://127.0.0.1:${web.port}/`, {
          headers: { "Proxy-Authorization": basic("srt", "anything") },
        })
      ).status,
    ).toBe(201);
  });
});

describe("listening on a unix socket", () => {
  it("serves CONNECT over a unix socket, and close() removes the socket file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "srt-proxy-"));
    try {
      const proxy = createHttpProxy(setup([allow("127.0.0.1")]).deps);
      const path = join(dir, "http.sock");
      expect(await proxy.listen({ path })).toEqual({ kind: "unix", path });
      const out = await exchange(path, `CONNECT 127.0.0.1:${echo.port} HTTP/1.1\r\n\r\nunix`, { end: true });
      expect(out.toString()).toMatch(/200 [^]*unix$/);
      await proxy.close();
      expect(existsSync(path)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
