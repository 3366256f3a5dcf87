// Live policy and the ask callback in the proxies, with real sockets on 127.0.0.1:
// a replaced policy decides new requests at once while open tunnels keep going;
// the ask callback is consulted only for destinations no rule decided.
import http from "node:http";
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NetRule } from "../../src/compiler/ir.js";
import {
  createHttpProxy,
  createSocksProxy,
  type AskCallback,
  type AskQuery,
  type NetworkProxy,
  type NetworkViolation,
  type ProxyNetworkPolicy,
} from "../../src/runtime/proxy/index.js";
import { createLivePolicy } from "../../src/runtime/proxy/live-policy.js";
import { allow, deny, echoServer, fakeResolver, httpServer, loopback, type Server } from "../proxy/harness.js";

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

const resolve = fakeResolver({
  "allowed.test": ["127.0.0.1"],
  "other.test": ["127.0.0.1"],
  "asked.test": ["127.0.0.1"],
});
const policyOf = (rules: readonly NetRule[]): ProxyNetworkPolicy => ({ rules, deniedResolvedAddresses: [] });

interface Live {
  set(rules: readonly NetRule[]): void;
  readonly violations: NetworkViolation[];
  readonly port: number;
  readonly socksPort: number;
}

async function start(
  rules: readonly NetRule[],
  extra: { ask?: AskCallback; askTimeoutMs?: number } = {},
): Promise<Live> {
  const live = createLivePolicy(policyOf(rules));
  const violations: NetworkViolation[] = [];
  const deps = {
    network: live.current,
    onViolation: (v: NetworkViolation) => violations.push(v),
    resolve,
    ...(extra.ask ? { ask: extra.ask } : {}),
    ...(extra.askTimeoutMs === undefined ? {} : { limits: { askTimeoutMs: extra.askTimeoutMs } }),
  };
  const httpProxy = createHttpProxy(deps);
  const socksProxy = createSocksProxy(deps);
  proxies.push(httpProxy, socksProxy);
  const a = await httpProxy.listen({ port: 0 });
  const b = await socksProxy.listen({ port: 0 });
  if (a.kind !== "tcp" || b.kind !== "tcp") throw new Error("expected tcp");
  return { set: (r) => live.replace(policyOf(r)), violations, port: a.port, socksPort: b.port };
}

function get(proxyPort: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: proxyPort, path: url, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Opens a CONNECT tunnel; resolves with the status and, when 200, the socket. */
function connect(proxyPort: number, authority: string): Promise<{ status: number; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(proxyPort, "127.0.0.1");
    let head = "";
    s.on("error", reject);
    const onData = (d: Buffer): void => {
      head += d.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      s.off("data", onData);
      resolve({ status: Number(head.split(" ")[1]), socket: s });
    };
    s.on("data", onData);
    s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

const echoOnce = (s: net.Socket, text: string): Promise<string> =>
  new Promise((resolve) => {
    s.once("data", (d) => resolve(d.toString()));
    s.write(text);
  });

/** SOCKS5 CONNECT by name; the reply code. */
function socksConnect(port: number, host: string, destPort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let stage = 0;
    let buf = Buffer.alloc(0);
    s.on("error", reject);
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (stage === 0 && buf.length >= 2) {
        buf = buf.subarray(2);
        stage = 1;
        const name = Buffer.from(host);
        const req = Buffer.concat([
          Buffer.from([5, 1, 0, 3, name.length]),
          name,
          Buffer.from([destPort >> 8, destPort & 0xff]),
        ]);
        s.write(req);
      }
      if (stage === 1 && buf.length >= 2) {
        resolve(buf[1]!);
        s.destroy();
      }
    });
    s.write(Buffer.from([5, 1, 0]));
  });
}

describe("live network policy", () => {
  it("a replaced policy decides the next request: refused before, allowed after, and the reverse", async () => {
    const live = await start([]);
    expect((await get(live.port, `http://allowed.test:${web.port}/a`)).status).toBe(403);
    live.set([allow("allowed.test"), loopback]);
    expect((await get(live.port, `http://allowed.test:${web.port}/b`)).status).toBe(201);
    expect(await socksConnect(live.socksPort, "allowed.test", echo.port)).toBe(0);
    live.set([]);
    expect((await get(live.port, `http://allowed.test:${web.port}/c`)).status).toBe(403);
    expect(await socksConnect(live.socksPort, "allowed.test", echo.port)).toBe(2);
    expect(live.violations.map((v) => `${v.proxy} ${v.host}`)).toEqual([
      "http allowed.test",
      "http allowed.test",
      "socks allowed.test",
    ]);
  });

  it("a tunnel opened under the old policy keeps going; a new one is refused", async () => {
    const live = await start([allow("allowed.test"), loopback]);
    const t = await connect(live.port, `allowed.test:${echo.port}`);
    expect(t.status).toBe(200);
    expect(await echoOnce(t.socket, "one")).toBe("one");
    live.set([deny("allowed.test")]);
    expect(await echoOnce(t.socket, "two")).toBe("two");
    const again = await connect(live.port, `allowed.test:${echo.port}`);
    expect(again.status).toBe(403);
    t.socket.destroy();
    again.socket.destroy();
  });

  it("the resolved-address guard follows the policy too (deniedResolvedAddresses, allowed IP literals)", async () => {
    const live = await start([allow("allowed.test")]);
    // allowed.test resolves to 127.0.0.1, refused by the guard until the address itself is allowed.
    expect((await get(live.port, `http://allowed.test:${web.port}/`)).status).toBe(403);
    live.set([allow("allowed.test"), loopback]);
    expect((await get(live.port, `http://allowed.test:${web.port}/`)).status).toBe(201);
  });
});

describe("ask callback", () => {
  it("allows with true; asked with the canonical host and port, only for hosts no rule decides", async () => {
    const asked: AskQuery[] = [];
    const live = await start([loopback, deny("other.test")], { ask: (q) => (asked.push(q), true) });
    expect((await get(live.port, `http://Asked.TEST:${web.port}/x`)).status).toBe(201);
    expect(await socksConnect(live.socksPort, "asked.test", echo.port)).toBe(0);
    // An explicit deny is final: the callback is not asked.
    expect((await get(live.port, `http://other.test:${web.port}/x`)).status).toBe(403);
    expect(asked).toEqual([
      { host: "asked.test", port: web.port },
      { host: "asked.test", port: echo.port },
    ]);
  });

  it("an approved name still passes the resolved-address guard; an approved IP literal counts as allowed", async () => {
    const live = await start([], { ask: () => true });
    const r = await get(live.port, `http://asked.test:${web.port}/x`);
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/loopback/);
    expect((await get(live.port, `http://127.0.0.1:${web.port}/x`)).status).toBe(201);
  });

  it("denies with false and with {allow:false, reason}; the reason is recorded, made one line and bounded", async () => {
    const live = await start([loopback], {
      ask: async (q) =>
        q.port === web.port ? false : { allow: false, reason: "not\nnow <b>please</b>" + "x".repeat(600) },
    });
    expect((await get(live.port, `http://asked.test:${web.port}/x`)).status).toBe(403);
    const r = await get(live.port, `http://asked.test:${echo.port}/x`);
    expect(r.status).toBe(403);
    expect(live.violations[0]!.reason).toBe(`asked.test:${web.port} was denied by the ask callback`);
    const reason = live.violations[1]!.reason;
    expect(reason.startsWith("not now bplease/b")).toBe(true);
    expect(reason.length).toBe(500);
    expect(r.body).toContain("not now bplease/b");
  });

  it("anything but true denies (a truthy object, 1, {allow: true})", async () => {
    for (const answer of [{ allow: true, reason: "x" }, 1, "yes", {}] as unknown[]) {
      const live = await start([loopback], { ask: () => answer as boolean });
      expect((await get(live.port, `http://asked.test:${web.port}/x`)).status).toBe(403);
    }
  });

  it("denies when the callback throws (sync or async) or rejects", async () => {
    const sync = await start([loopback], {
      ask: () => {
        throw new Error("boom");
      },
    });
    expect((await get(sync.port, `http://asked.test:${web.port}/x`)).status).toBe(403);
    expect(sync.violations[0]!.reason).toMatch(/ask callback failed: boom/);
    const rejects = await start([loopback], { ask: () => Promise.reject(new Error("later boom")) });
    expect(await socksConnect(rejects.socksPort, "asked.test", echo.port)).toBe(2);
    expect(rejects.violations[0]!.reason).toMatch(/later boom/);
  });

  it("denies when the callback does not answer within the timeout", async () => {
    const live = await start([loopback], { ask: () => new Promise<boolean>(() => undefined), askTimeoutMs: 150 });
    const t0 = performance.now();
    expect((await get(live.port, `http://asked.test:${web.port}/x`)).status).toBe(403);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(3000);
    expect(live.violations[0]!.reason).toMatch(/no answer within 150 ms/);
  });

  it("the default timeout is 30 s", async () => {
    const { defaultLimits } = await import("../../src/runtime/proxy/index.js");
    expect(defaultLimits.askTimeoutMs).toBe(30_000);
  });

  it("without a callback a host on neither list is refused as before", async () => {
    const live = await start([loopback]);
    expect((await get(live.port, `http://asked.test:${web.port}/x`)).status).toBe(403);
    expect(live.violations[0]!.reason).toBe(`asked.test:${web.port} is not in allowedDomains`);
  });
});
