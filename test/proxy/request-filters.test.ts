// The request filters on the HTTP and SOCKS proxies, with raw requests on
// 127.0.0.1 (spellings no HTTP client library would send) and a server that
// echoes what it received.
import http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RequestFilters } from "../../src/compiler/ir.js";
import { createHttpProxy, createSocksProxy, type NetworkProxy, type ProxyDeps } from "../../src/runtime/proxy/index.js";
import {
  hostMismatch,
  readRequestTarget,
  type FilterRequestCallback,
} from "../../src/runtime/proxy/request-filters.js";
import { exchange, loopback, setup, type Server } from "./harness.js";
import net from "node:net";

let web: Server & { seen: { url: string; headers: string[]; body: string }[] };
beforeAll(async () => {
  const seen: { url: string; headers: string[]; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const got = { url: req.url ?? "", headers: req.rawHeaders, body: "" };
    seen.push(got);
    req.on("data", (d: Buffer) => (got.body += d.toString("latin1")));
    req.on("end", () => {
      res.writeHead(200, { "Set-Cookie": "id=1", "X_Internal.Token": "t", "X-Kept": "yes", "Content-Length": "2" });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  web = {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
});
afterAll(() => web.close());
const proxies: NetworkProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function start(
  filters: RequestFilters,
  extra: Partial<ProxyDeps> = {},
  make = createHttpProxy,
): Promise<{ port: number; violations: ReturnType<typeof setup>["violations"] }> {
  const s = setup([loopback], extra);
  const proxy = make({ ...s.deps, network: { ...(s.deps.network as object), requestFilters: filters } as never });
  proxies.push(proxy);
  const a = await proxy.listen({ port: 0 });
  if (a.kind !== "tcp") throw new Error("expected tcp");
  return { port: a.port, violations: s.violations };
}
const get = (port: number, target: string, host: string, more = ""): Promise<string> =>
  exchange(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${more}Connection: close\r\n\r\n`).then((b) =>
    b.toString("latin1"),
  );
const status = (reply: string): number => Number(reply.slice(9, 12));

describe("request target readings", () => {
  it("normalizes dot segments, %2e, backslashes and leading slashes; keeps inner // and the query", () => {
    expect(readRequestTarget("/a/../b")).toEqual({ spelled: "/a/../b", normalized: "/b", ambiguous: true });
    expect(readRequestTarget("/a/%2E%2e/b?x=/../")).toMatchObject({ normalized: "/b?x=/../", ambiguous: true });
    expect(readRequestTarget("/a\\b/../c")).toMatchObject({ normalized: "/a/c", ambiguous: true });
    expect(readRequestTarget("//evil/x")).toMatchObject({ normalized: "/evil/x", ambiguous: true });
    expect(readRequestTarget("/a//b;p?q#frag")).toEqual({
      spelled: "/a//b;p?q",
      normalized: "/a//b;p?q",
      ambiguous: false,
    });
    expect(readRequestTarget("/caf\u00e9")).toHaveProperty("refusal");
    expect(readRequestTarget("*")).toHaveProperty("refusal");
  });
  it("host match: the target's host and port, the default port optional, one Host header only", () => {
    const t = { host: { kind: "name", name: "api.test" } as const, port: 80, defaultPort: 80 };
    expect(hostMismatch(["api.test"], t)).toBeUndefined();
    expect(hostMismatch(["API.test:80"], t)).toBeUndefined();
    expect(hostMismatch(["other.test"], t)).toMatch(/does not name api.test:80/);
    expect(hostMismatch(["api.test:81"], t)).toBeDefined();
    expect(hostMismatch(["api.test."], t)).toBeDefined();
    expect(hostMismatch(["[api.test]"], t)).toBeDefined();
    expect(hostMismatch(["api.test", "api.test"], t)).toMatch(/2 Host headers/);
    expect(hostMismatch([], t, "other.test")).toMatch(/TLS server name/);
  });
});

describe("the HTTP proxy with request filters", () => {
  it("requireHostMatch: a Host naming another host gets 421 and a violation; the server sees nothing", async () => {
    const p = await start({ requireHostMatch: { value: true, origin: "/network/requireHostMatch" } });
    const before = web.seen.length;
    const bad = await get(p.port, `http://127.0.0.1:${web.port}/spoof`, "internal.example");
    expect(status(bad)).toBe(421);
    expect(web.seen.length).toBe(before);
    expect(p.violations).toEqual([
      expect.objectContaining({ host: "127.0.0.1", port: web.port, rule: "/network/requireHostMatch" }),
    ]);
    const good = await get(p.port, `http://127.0.0.1:${web.port}/fine`, `127.0.0.1:${web.port}`);
    expect(status(good)).toBe(200);
    expect(web.seen.at(-1)?.url).toBe("/fine");
  });

  it("without requireHostMatch a mismatched Host is forwarded (the check is the filter's)", async () => {
    const p = await start({});
    expect(status(await get(p.port, `http://127.0.0.1:${web.port}/x`, "internal.example"))).toBe(200);
  });

  it("ambiguousRequestTarget: refuse (400 + violation), asSpelled, normalize", async () => {
    const url = `http://127.0.0.1:${web.port}/public/../admin`;
    const host = `127.0.0.1:${web.port}`;
    const r = await start({ ambiguousRequestTarget: { value: "refuse", origin: "/network/ambiguousRequestTarget" } });
    const before = web.seen.length;
    expect(status(await get(r.port, url, host))).toBe(400);
    expect(web.seen.length).toBe(before);
    expect(r.violations[0]).toMatchObject({ rule: "/network/ambiguousRequestTarget" });
    expect(r.violations[0]!.reason).toContain("ambiguous request target");
    const s = await start({
      ambiguousRequestTarget: { value: "asSpelled", origin: "/network/ambiguousRequestTarget" },
    });
    expect(status(await get(s.port, url, host))).toBe(200);
    expect(web.seen.at(-1)?.url).toBe("/public/../admin");
    const n = await start({
      ambiguousRequestTarget: { value: "normalize", origin: "/network/ambiguousRequestTarget" },
    });
    expect(status(await get(n.port, url, host))).toBe(200);
    expect(web.seen.at(-1)?.url).toBe("/admin");
  });

  it("stripResponseHeaders drops every spelling of the named headers", async () => {
    const p = await start({
      stripResponseHeaders: { names: ["set-cookie", "x-internal-token"], origin: "/network/stripResponseHeaders" },
    });
    const reply = await get(p.port, `http://127.0.0.1:${web.port}/h`, `127.0.0.1:${web.port}`);
    expect(status(reply)).toBe(200);
    expect(reply.toLowerCase()).not.toContain("set-cookie");
    expect(reply.toLowerCase()).not.toContain("x_internal.token");
    expect(reply).toContain("X-Kept: yes");
  });

  it("refuseOpaqueTunnels: CONNECT without TLS termination gets 403 and a violation", async () => {
    const p = await start({ refuseOpaqueTunnels: { value: true, origin: "/network/refuseOpaqueTunnels" } });
    const reply = (
      await exchange(p.port, `CONNECT 127.0.0.1:${web.port} HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\n\r\n`)
    ).toString("latin1");
    expect(status(reply)).toBe(403);
    expect(p.violations[0]).toMatchObject({ proxy: "http", rule: "/network/refuseOpaqueTunnels" });
  });

  it("refuseOpaqueTunnels: every SOCKS connection is refused (reply 0x02) and recorded", async () => {
    const p = await start(
      { refuseOpaqueTunnels: { value: true, origin: "/network/refuseOpaqueTunnels" } },
      {},
      createSocksProxy,
    );
    const req = Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, web.port >> 8, web.port & 0xff]);
    const reply = await exchange(p.port, req);
    expect([...reply.subarray(0, 4)]).toEqual([5, 0, 5, 2]);
    expect(p.violations[0]).toMatchObject({ proxy: "socks", rule: "/network/refuseOpaqueTunnels" });
  });
});

describe("filterRequest", () => {
  const host = (): string => `127.0.0.1:${web.port}`;
  it("sees the request and its readings; deny answers its status with the reason and records it", async () => {
    const seen: string[] = [];
    const filterRequest: FilterRequestCallback = async (request, info) => {
      seen.push(`${request.method} ${request.url} ${info.requestTarget} ${info.scheme} ${info.target.host}`);
      return new URL(request.url).pathname.startsWith("/admin")
        ? { action: "deny", reason: "no admin", status: 451 }
        : { action: "allow", removeHeaders: ["x-secret"] };
    };
    const p = await start({}, { filterRequest });
    const before = web.seen.length;
    const denied = await get(p.port, `http://${host()}/admin/x`, host());
    expect(status(denied)).toBe(451);
    expect(denied).toContain("no admin");
    expect(web.seen.length).toBe(before);
    expect(p.violations[0]!.reason).toContain("filterRequest denied GET");
    const ok = await get(p.port, `http://${host()}/ok`, host(), "X_Secret: s\r\nX-Other: o\r\n");
    expect(status(ok)).toBe(200);
    const headers = web.seen.at(-1)!.headers.map((h) => h.toLowerCase());
    expect(headers).not.toContain("x_secret");
    expect(headers).toContain("x-other");
    expect(seen[0]).toBe(`GET http://${host()}/admin/x /admin/x http 127.0.0.1`);
  });

  it("throwing or a malformed answer denies; an ambiguous target is refused before it is asked", async () => {
    let asked = 0;
    const p = await start(
      {},
      {
        filterRequest: (req) => {
          asked++;
          if (req.url.endsWith("/throw")) throw new Error("bug");
          return { action: "maybe" } as never;
        },
      },
    );
    expect(status(await get(p.port, `http://${host()}/throw`, host()))).toBe(403);
    expect(status(await get(p.port, `http://${host()}/odd`, host()))).toBe(403);
    expect(asked).toBe(2);
    expect(status(await get(p.port, `http://${host()}/a/%2e%2e/b`, host()))).toBe(400);
    expect(asked).toBe(2);
    expect(p.violations.map((v) => v.reason)).toEqual([
      expect.stringContaining("filterRequest failed: bug"),
      expect.stringContaining("malformed decision"),
      expect.stringContaining("ambiguous request target"),
    ]);
  });

  it("setHeaders on plain HTTP is refused unless allowPlaintextHeaderSet; the body reaches the callback and the server", async () => {
    const bodies: string[] = [];
    const filterRequest: FilterRequestCallback = async (request) => {
      bodies.push(await request.text());
      return { action: "allow", setHeaders: [["X-Added", "v"]] };
    };
    const off = await start({}, { filterRequest });
    const post = (port: number): Promise<string> =>
      exchange(
        port,
        `POST http://${host()}/p HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
      ).then((b) => b.toString("latin1"));
    expect(status(await post(off.port))).toBe(403);
    expect(off.violations[0]!.reason).toContain("allowPlaintextHeaderSet");
    const on = await start(
      { allowPlaintextHeaderSet: { value: true, origin: "/network/allowPlaintextHeaderSet" } },
      { filterRequest },
    );
    expect(status(await post(on.port))).toBe(200);
    expect(web.seen.at(-1)!.headers).toEqual(expect.arrayContaining(["X-Added", "v"]));
    expect(bodies).toEqual(["hello", "hello"]);
  });

  it("unshownBody: set only for a GET/HEAD/OPTIONS that declares a body; true when it carries bytes, false when empty", async () => {
    const hints: string[] = [];
    const filterRequest: FilterRequestCallback = async (request, info) => {
      const unshown = info.unshownBody === undefined ? "unset" : String(await info.unshownBody());
      hints.push(`${request.method} ${new URL(request.url).pathname} ${unshown}`);
      // A policy that must see the whole request refuses a body it was not shown.
      return unshown === "true" ? { action: "deny", reason: "body not shown" } : { action: "allow" };
    };
    const p = await start({}, { filterRequest });
    const send = (head: string, rest = ""): Promise<number> =>
      exchange(p.port, `${head}\r\nHost: ${host()}\r\nConnection: close\r\n${rest}`).then((b) =>
        status(b.toString("latin1")),
      );
    const url = (path: string): string => `http://${host()}${path}`;
    const before = web.seen.length;
    expect(await send(`GET ${url("/plain")} HTTP/1.1`, "\r\n")).toBe(200);
    expect(await send(`GET ${url("/cl")} HTTP/1.1`, "Content-Length: 5\r\n\r\nhello")).toBe(403);
    expect(await send(`GET ${url("/cl0")} HTTP/1.1`, "Content-Length: 0\r\n\r\n")).toBe(200);
    expect(
      await send(`OPTIONS ${url("/chunked")} HTTP/1.1`, "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
    ).toBe(403);
    expect(await send(`GET ${url("/empty")} HTTP/1.1`, "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).toBe(200);
    expect(await send(`POST ${url("/post")} HTTP/1.1`, "Content-Length: 5\r\n\r\nhello")).toBe(200);
    expect(hints).toEqual([
      "GET /plain unset",
      "GET /cl true",
      "GET /cl0 false",
      "OPTIONS /chunked true",
      "GET /empty false",
      // The callback is shown a POST's body itself.
      "POST /post unset",
    ]);
    expect(p.violations.map((v) => v.reason)).toEqual([
      expect.stringContaining("body not shown"),
      expect.stringContaining("body not shown"),
    ]);
    // What was allowed went upstream with its body; what was refused did not go at all.
    expect(web.seen.slice(before).map((s) => `${s.url} ${JSON.stringify(s.body)}`)).toEqual([
      '/plain ""',
      '/cl0 ""',
      '/empty ""',
      '/post "hello"',
    ]);
  });

  it("unshownBody: a GET whose chunked body is allowed is forwarded whole after the peek", async () => {
    let told: boolean | undefined;
    const p = await start(
      {},
      {
        filterRequest: async (_request, info) => {
          told = await info.unshownBody?.();
          return { action: "allow" };
        },
      },
    );
    const reply = await exchange(
      p.port,
      `GET http://${host()}/g HTTP/1.1\r\nHost: ${host()}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n`,
    );
    expect(status(reply.toString("latin1"))).toBe(200);
    expect(told).toBe(true);
    expect(web.seen.at(-1)).toMatchObject({ url: "/g", body: "abcdefg" });
  });

  it("a GET's chunked body stays framed upstream: a request inside it is never read as a request of its own", async () => {
    const p = await start(
      {},
      {
        filterRequest: (request) =>
          new URL(request.url).pathname.startsWith("/admin") ? { action: "deny" } : { action: "allow" },
      },
    );
    const inner = `GET /admin HTTP/1.1\r\nHost: ${host()}\r\n\r\n`;
    const body = `${Buffer.byteLength(inner).toString(16)}\r\n${inner}\r\n0\r\n\r\n`;
    const before = web.seen.length;
    const reply = await exchange(
      p.port,
      `GET http://${host()}/ok HTTP/1.1\r\nHost: ${host()}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(status(reply.toString("latin1"))).toBe(200);
    // One request upstream, the other one only its body: /admin, which the filter denies, was never asked for.
    expect(web.seen.slice(before)).toEqual([expect.objectContaining({ url: "/ok", body: inner })]);
  });
});
