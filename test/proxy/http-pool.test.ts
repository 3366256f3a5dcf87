// Kept-alive upstream connections for plain HTTP (http-pool.ts), with real sockets on loopback:
// reuse never skips a decision, never crosses hosts, never outlives the addresses the guard passed.
import http from "node:http";
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHttpProxy, type NetworkProxy, type ProxyNetworkPolicy } from "../../src/runtime/proxy/index.js";
import { poolIdleMs } from "../../src/runtime/proxy/http-pool.js";
import { createLivePolicy } from "../../src/runtime/proxy/live-policy.js";
import { allow, eventually, loopback, setup, type Setup } from "./harness.js";

/** What the upstream saw of one request: which connection (by the proxy's port), on which of its addresses, for which Host. */
interface Seen {
  readonly conn: string;
  readonly local: string;
  readonly host: string;
  readonly connection: string;
}

let seen: Seen[] = [];
/** Connections the upstream had open, closed ones removed. */
const open = new Set<net.Socket>();
const servers: http.Server[] = [];
let port = 0;

beforeAll(async () => {
  const handler: http.RequestListener = (req, res) => {
    seen.push({
      conn: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      local: req.socket.localAddress ?? "",
      host: req.headers.host ?? "",
      connection: req.headers.connection ?? "",
    });
    req.resume();
    req.on("end", () => res.end(`hello from ${req.socket.localAddress}`));
  };
  // One port on two loopback addresses: a name that moves from one to the other keeps its port.
  for (const address of ["127.0.0.1", "127.0.0.2"]) {
    const server = http.createServer(handler);
    server.on("connection", (s: net.Socket) => {
      open.add(s);
      s.once("close", () => open.delete(s));
    });
    await new Promise<void>((r) => server.listen(port, address, r));
    port = (server.address() as net.AddressInfo).port;
    servers.push(server);
  }
});
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const proxies: NetworkProxy[] = [];
const agents: http.Agent[] = [];
afterEach(async () => {
  agents.splice(0).forEach((a) => a.destroy());
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  seen = [];
});

async function start(s: Setup): Promise<number> {
  const proxy = createHttpProxy(s.deps);
  proxies.push(proxy);
  const a = await proxy.listen({ port: 0 });
  if (a.kind !== "tcp") throw new Error("expected tcp");
  return a.port;
}

/** One client connection to the proxy, kept alive across requests. */
function client(proxyPort: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return (url: string, body?: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: proxyPort, path: url, method: body === undefined ? "GET" : "POST", agent },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
}

const allowBoth = [allow("allowed.test"), allow("other.test"), allow("moving.test"), loopback, allow("127.0.0.2", 98)];

describe("kept-alive upstream connections", () => {
  it("sequential requests for one host share one upstream connection, and each is still decided", async () => {
    const s = setup(allowBoth);
    const get = client(await start(s));
    for (let i = 0; i < 3; i++) expect((await get(`http://allowed.test:${port}/${i}`)).status).toBe(200);
    expect((await get(`http://denied.test:${port}/x`)).status).toBe(403);
    expect((await get(`http://allowed.test:${port}/4`)).status).toBe(200);
    expect(new Set(seen.map((r) => r.conn)).size).toBe(1);
    expect(seen).toHaveLength(4);
    expect(seen.every((r) => r.connection === "keep-alive")).toBe(true);
    expect(s.violations.map((v) => v.host)).toEqual(["denied.test"]);
  });

  it("a connection opened for one host never carries another host's request, even at the same address", async () => {
    const get = client(await start(setup(allowBoth)));
    for (const name of ["allowed.test", "other.test", "allowed.test", "other.test"])
      expect((await get(`http://${name}:${port}/`)).status).toBe(200);
    const hostsOf = new Map<string, Set<string>>();
    for (const r of seen) hostsOf.set(r.conn, (hostsOf.get(r.conn) ?? new Set()).add(r.host));
    expect(hostsOf.size).toBe(2);
    for (const hosts of hostsOf.values()) expect(hosts.size).toBe(1);
  });

  it("a name whose DNS answer changed goes to the new address on a new connection", async () => {
    let answer = ["127.0.0.1"];
    const s = setup(allowBoth, {}, async (name) => (name === "moving.test" ? answer : ["127.0.0.1"]));
    const get = client(await start(s));
    expect((await get(`http://moving.test:${port}/`)).body).toBe("hello from 127.0.0.1");
    answer = ["127.0.0.2"];
    expect((await get(`http://moving.test:${port}/`)).body).toBe("hello from 127.0.0.2");
    expect(seen.map((r) => r.local)).toEqual(["127.0.0.1", "127.0.0.2"]);
    expect(new Set(seen.map((r) => r.conn)).size).toBe(2);
  });

  it("a live policy that no longer allows the address refuses the next request although its connection is idle in the pool", async () => {
    let policy: ProxyNetworkPolicy = { rules: allowBoth, deniedResolvedAddresses: [] };
    const s = setup([]);
    const get = client(await start({ ...s, deps: { ...s.deps, network: () => policy } }));
    expect((await get(`http://allowed.test:${port}/`)).status).toBe(200);
    expect(open.size).toBe(1);
    // The same names, without the explicit allow for 127.0.0.1: the guard refuses the loopback address again.
    policy = { rules: allowBoth.filter((r) => r !== loopback), deniedResolvedAddresses: [] };
    const refused = await get(`http://allowed.test:${port}/`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/127\.0\.0\.1/);
    expect(seen).toHaveLength(1);
  });

  it("a live update refuses the very next request to an address literal that the old policy allowed", async () => {
    // An address literal and an explicit allow: a decision the gate keeps for its policy (gate.ts), and must drop with it.
    const live = createLivePolicy({ rules: allowBoth, deniedResolvedAddresses: [] });
    const s = setup([]);
    const get = client(await start({ ...s, deps: { ...s.deps, network: live.current } }));
    for (let i = 0; i < 3; i++) expect((await get(`http://127.0.0.1:${port}/${i}`)).status).toBe(200);
    live.replace({ rules: allowBoth.filter((r) => r !== loopback), deniedResolvedAddresses: [] });
    for (let i = 0; i < 2; i++) expect((await get(`http://127.0.0.1:${port}/x`)).status).toBe(403);
    // Each refusal is recorded, never answered from a cache.
    expect(s.violations.map((v) => v.host)).toEqual(["127.0.0.1", "127.0.0.1"]);
    live.replace({ rules: allowBoth, deniedResolvedAddresses: [] });
    expect((await get(`http://127.0.0.1:${port}/y`)).status).toBe(200);
    expect(seen).toHaveLength(4);
  });

  it("an idle upstream connection is closed once its idle time is up", async () => {
    const get = client(await start(setup(allowBoth)));
    expect((await get(`http://allowed.test:${port}/`)).status).toBe(200);
    expect(open.size).toBe(1);
    await new Promise((r) => setTimeout(r, poolIdleMs / 2));
    expect(open.size).toBe(1);
    // Well before the server's own keep-alive timeout (Node's 5 s) would close it.
    expect(await eventually(() => open.size === 0, poolIdleMs)).toBe(true);
  });

  it("after a burst, at most 256 idle connections per host stay (Node's Agent's maxFreeSockets)", async () => {
    const burst = 300;
    const held: http.ServerResponse[] = [];
    const upstreamOpen = new Set<net.Socket>();
    // Answers once the whole burst is in, so that every request needs a connection of its own.
    const wide = http.createServer((_req, res) => {
      held.push(res);
      if (held.length === burst) for (const r of held) r.end("ok");
    });
    wide.on("connection", (c: net.Socket) => {
      upstreamOpen.add(c);
      c.once("close", () => upstreamOpen.delete(c));
    });
    await new Promise<void>((r) => wide.listen(0, "127.0.0.1", r));
    try {
      const widePort = (wide.address() as net.AddressInfo).port;
      const proxyPort = await start(setup(allowBoth));
      const agent = new http.Agent({ keepAlive: true, maxSockets: burst });
      agents.push(agent);
      const statuses = await Promise.all(
        Array.from(
          { length: burst },
          () =>
            new Promise<number>((resolve) => {
              const req = http.get(
                { host: "127.0.0.1", port: proxyPort, path: `http://allowed.test:${widePort}/`, agent },
                (res) => {
                  res.resume();
                  res.on("end", () => resolve(res.statusCode ?? 0));
                },
              );
              req.on("error", () => resolve(-1));
            }),
        ),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(await eventually(() => upstreamOpen.size === 256)).toBe(true);
    } finally {
      await Promise.all(proxies.splice(0).map((p) => p.close()));
      wide.closeAllConnections();
      await new Promise((r) => wide.close(r));
    }
  });

  it("a server whose Keep-Alive timeout leaves no margin gets a connection per request", async () => {
    // Node's Agent margin: a connection the server may close within a second is not reused (it would race the next request).
    const short = http.createServer((req, res) => res.end("ok"));
    short.keepAliveTimeout = 1000;
    let connections = 0;
    short.on("connection", () => connections++);
    await new Promise<void>((r) => short.listen(0, "127.0.0.1", r));
    try {
      const shortPort = (short.address() as net.AddressInfo).port;
      const get = client(await start(setup(allowBoth)));
      for (let i = 0; i < 3; i++) expect((await get(`http://allowed.test:${shortPort}/`)).status).toBe(200);
      expect(connections).toBe(3);
    } finally {
      await Promise.all(proxies.splice(0).map((p) => p.close()));
      short.closeAllConnections();
      await new Promise((r) => short.close(r));
    }
  });

  it("a request with a body gets a connection of its own, closed after the response", async () => {
    const get = client(await start(setup(allowBoth)));
    expect((await get(`http://allowed.test:${port}/`)).status).toBe(200);
    expect((await get(`http://allowed.test:${port}/`, "a body")).status).toBe(200);
    expect(seen.map((r) => r.connection)).toEqual(["keep-alive", "close"]);
    expect(new Set(seen.map((r) => r.conn)).size).toBe(2);
  });

  it("close() ends idle upstream connections at once instead of waiting out the grace period", async () => {
    const s = setup(allowBoth);
    const proxy = createHttpProxy(s.deps);
    const a = await proxy.listen({ port: 0 });
    if (a.kind !== "tcp") throw new Error("expected tcp");
    const get = client(a.port);
    expect((await get(`http://allowed.test:${port}/`)).status).toBe(200);
    agents.splice(0).forEach((x) => x.destroy()); // the client leaves; only the pooled upstream connection stays
    expect(await eventually(() => proxy.openSockets === 1)).toBe(true);
    const closed = await Promise.race([
      proxy.close(60_000).then(() => "closed"),
      new Promise((r) => setTimeout(() => r("still waiting"), 10_000)),
    ]);
    expect(closed).toBe("closed");
    expect(proxy.openSockets).toBe(0);
    expect(await eventually(() => open.size === 0)).toBe(true);
  });
});

describe("an upstream that drops a kept-alive connection", () => {
  it("a bodyless request that meets a reset on a reused connection is sent once more on a new one", async () => {
    // Answers the first request of each connection (keep-alive) and resets the connection on the second.
    let connections = 0;
    const flaky = net.createServer((sock) => {
      connections++;
      let count = 0;
      sock.on("error", () => undefined);
      sock.on("data", (d: Buffer) => {
        if (!d.toString("latin1").includes("\r\n\r\n")) return;
        if (++count === 1) sock.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");
        else sock.resetAndDestroy();
      });
    });
    await new Promise<void>((r) => flaky.listen(0, "127.0.0.1", r));
    try {
      const flakyPort = (flaky.address() as net.AddressInfo).port;
      const get = client(await start(setup(allowBoth)));
      for (let i = 0; i < 3; i++)
        expect(await get(`http://allowed.test:${flakyPort}/${i}`)).toEqual({ status: 200, body: "ok" });
      // 1st on connection 1; 2nd meets the reset there and goes on connection 2; 3rd likewise on 3.
      expect(connections).toBe(3);
    } finally {
      await Promise.all(proxies.splice(0).map((p) => p.close()));
      await new Promise((r) => flaky.close(r));
    }
  });
});
