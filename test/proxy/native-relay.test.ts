// CONNECT and SOCKS tunnels copied by srt's native relay (native/srt-relay), with real loopback sockets.
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createNativeRelay, type TunnelRelay, type TunnelReport } from "../../src/runtime/proxy/native-relay.js";
import { createHttpProxy, createSocksProxy, type NetworkProxy } from "../../src/runtime/proxy/index.js";
import { findNative } from "../../src/runtime/native.js";
import { eventually, giveUpMs, loopback, setup } from "./harness.js";

const relayPath = findNative("srt-relay");
beforeAll(() => {
  // The build (npm test runs it first) produces it; a missing helper is a failure here, not a skip.
  expect(relayPath, "dist/native/srt-relay (npm run build)").toBeDefined();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** Upstream: reads everything until the client's FIN, then answers sha256(input) + `answer` bytes and closes. */
async function upstreamServer(answer: Buffer): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    const h = createHash("sha256");
    s.on("data", (c: Buffer) => h.update(c));
    s.on("error", () => undefined);
    s.on("end", () => {
      s.write(h.digest());
      s.end(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return (server.address() as net.AddressInfo).port;
}

interface Started {
  port: number;
  relay: TunnelRelay;
  reports: TunnelReport[];
  deaths: string[];
}
async function start(kind: "http" | "socks"): Promise<Started> {
  const reports: TunnelReport[] = [];
  const deaths: string[] = [];
  const relay = createNativeRelay({
    path: relayPath!,
    halfCloseTimeoutMs: 60_000,
    onReport: (r) => reports.push(r),
    onDeath: (w) => deaths.push(w),
  });
  const s = setup([loopback], { relay });
  const proxy: NetworkProxy = kind === "http" ? createHttpProxy(s.deps) : createSocksProxy(s.deps);
  cleanups.push(
    () => proxy.close(),
    () => relay.close(),
  );
  const a = await proxy.listen({ port: 0 });
  if (a.kind !== "tcp") throw new Error("expected tcp");
  return { port: a.port, relay, reports, deaths };
}

async function startWithoutRelay(kind: "http" | "socks"): Promise<{ port: number; reports: TunnelReport[] }> {
  const s = setup([loopback]);
  const proxy: NetworkProxy = kind === "http" ? createHttpProxy(s.deps) : createSocksProxy(s.deps);
  cleanups.push(() => proxy.close());
  const a = await proxy.listen({ port: 0 });
  if (a.kind !== "tcp") throw new Error("expected tcp");
  return { port: a.port, reports: [] };
}

/** Opens a tunnel to 127.0.0.1:target; resolves with the socket once the proxy said yes. */
function tunnel(kind: "http" | "socks", proxyPort: number, target: number, early?: Buffer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port: proxyPort, host: "127.0.0.1", allowHalfOpen: true });
    s.on("error", reject);
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const done =
        kind === "http" ? buf.indexOf("\r\n\r\n") : buf.length >= 12 && buf[0] === 5 && buf[2] === 5 ? 12 : -1;
      if (done < 0) return;
      s.removeListener("data", onData);
      const status = kind === "http" ? buf.toString("latin1", 0, 12) : String(buf[3]);
      if (kind === "http" ? !status.includes(" 200") : status !== "0") return reject(new Error(`refused: ${status}`));
      const rest = buf.subarray(kind === "http" ? done + 4 : done);
      if (rest.length > 0) s.unshift(rest);
      resolve(s);
    };
    s.on("data", onData);
    if (kind === "http") s.write(`CONNECT 127.0.0.1:${target} HTTP/1.1\r\nHost: 127.0.0.1:${target}\r\n\r\n`);
    else {
      const p = Buffer.alloc(2);
      p.writeUInt16BE(target);
      s.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1]), p]));
    }
    if (early) s.write(early);
  });
}

/** Sends `data`, half-closes, and collects everything until the upstream's FIN. */
function converse(s: net.Socket, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks)));
    s.on("error", reject);
    s.end(data);
  });
}

const sha = (b: Buffer): Buffer => createHash("sha256").update(b).digest();

describe.each(["http", "socks"] as const)("native relay behind the %s proxy", (kind) => {
  it("copies bytes exactly both ways, with the client's half-close passed on", async () => {
    const answer = randomBytes(8 * 1024 * 1024 + 17);
    const target = await upstreamServer(answer);
    const p = await start(kind);
    const sent = randomBytes(5 * 1024 * 1024 + 3);
    const s = await tunnel(kind, p.port, target);
    const got = await converse(s, sent);
    expect(got.subarray(0, 32).equals(sha(sent))).toBe(true);
    expect(got.subarray(32).equals(answer)).toBe(true);
    expect(await eventually(() => p.reports.length === 1)).toBe(true);
    expect(p.reports[0]).toMatchObject({ sent: sent.length, received: answer.length + 32, outcome: "ok" });
    expect(p.relay.open).toBe(0);
  });

  it("keeps bytes the client sent before the proxy answered", async () => {
    const target = await upstreamServer(Buffer.from("bye"));
    const p = await start(kind);
    const early = Buffer.from("sent-before-the-answer");
    const s = await tunnel(kind, p.port, target, early);
    const got = await converse(s, Buffer.from("-and-after"));
    expect(got.subarray(0, 32).equals(sha(Buffer.from("sent-before-the-answer-and-after")))).toBe(true);
  });

  it("carries 100 concurrent tunnels", async () => {
    const answer = randomBytes(64 * 1024);
    const target = await upstreamServer(answer);
    const p = await start(kind);
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const data = randomBytes(1000 + i * 300);
        const got = await converse(await tunnel(kind, p.port, target), data);
        return got.subarray(0, 32).equals(sha(data)) && got.subarray(32).equals(answer);
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    expect(await eventually(() => p.reports.length === 100)).toBe(true);
    expect(p.relay.open).toBe(0);
  });

  it("closes the client's connection when the relay dies mid-transfer, and says so", async () => {
    // An upstream that never ends: only the relay's death can end the client's read.
    const server = net.createServer((u) => {
      u.on("error", () => undefined);
      const chunk = Buffer.alloc(64 * 1024);
      const pump = (): void => {
        while (u.writable && u.write(chunk));
      };
      u.on("drain", pump);
      pump();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const p = await start(kind);
    const s = await tunnel(kind, p.port, (server.address() as net.AddressInfo).port);
    let received = 0;
    // allowHalfOpen: the relay's death shows as the end of what the client reads (FIN or reset).
    const ended = new Promise<void>((resolve) => {
      s.on("end", () => resolve());
      s.on("close", () => resolve());
      s.on("error", () => undefined);
    });
    await new Promise<void>((resolve) =>
      s.on("data", (c: Buffer) => {
        received += c.length;
        if (received > 1024 * 1024) resolve();
      }),
    );
    const pid = Number(
      (await import("node:child_process"))
        .execFileSync("pgrep", ["-P", String(process.pid), "-f", "srt-relay"])
        .toString()
        .trim()
        .split("\n")[0],
    );
    process.kill(pid, "SIGKILL");
    const closed = await Promise.race([
      ended.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), giveUpMs)),
    ]);
    expect(closed).toBe(true);
    expect(await eventually(() => p.deaths.length === 1)).toBe(true);
    expect(p.deaths[0]).toMatch(/native relay exited \(SIGKILL\); 1 tunnel/);
    // The next tunnel gets a new relay.
    const target = await upstreamServer(Buffer.from("again"));
    const got = await converse(await tunnel(kind, p.port, target), Buffer.from("x"));
    expect(got.subarray(32).toString()).toBe("again");
  });
});

describe("hand-over in a burst", () => {
  it("1,000 tunnels handed over in one go all carry their bytes, and the relay lives", async () => {
    // 1,000 pairs handed over in one synchronous loop, each frame carrying 4 KiB the client sent
    // early: the socketpair fills, so most frames wait in libuv's queue. srt used to close its
    // sockets before libuv sent their descriptors: libuv aborted srt (uv__try_write assertion).
    const early = 4096;
    const echo = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on("error", () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => echo.close(r)));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const reports: TunnelReport[] = [];
    const deaths: string[] = [];
    const relay = createNativeRelay({
      path: relayPath!,
      halfCloseTimeoutMs: 60_000,
      onReport: (r) => reports.push(r),
      onDeath: (w) => deaths.push(w),
    });
    cleanups.push(() => relay.close());
    const pairs: [net.Socket, net.Socket][] = [];
    const front = net.createServer({ allowHalfOpen: true }, (c) => {
      c.on("error", () => undefined);
      const u = net.connect({ host: "127.0.0.1", port: echoPort, allowHalfOpen: true });
      u.on("error", () => undefined);
      u.on("connect", () => pairs.push([c, u]));
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", 1024, r));
    cleanups.push(() => new Promise((r) => front.close(r)));
    const port = (front.address() as net.AddressInfo).port;
    const n = 1000;
    const clients = await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<net.Socket>((resolve, reject) => {
            const s = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => resolve(s));
            s.on("error", reject);
          }),
      ),
    );
    expect(await eventually(() => pairs.length === n)).toBe(true);
    for (const [c, u] of pairs) relay.take(c, u, Buffer.alloc(early, 0x61));
    const got = await Promise.all(
      clients.map(
        (s) =>
          new Promise<number>((resolve) => {
            let bytes = 0;
            s.on("data", (d: Buffer) => (bytes += d.length));
            s.on("close", () => resolve(bytes));
            s.on("error", () => undefined);
            s.end("hello");
          }),
      ),
    );
    expect(got.filter((b) => b !== early + 5)).toEqual([]);
    expect(deaths).toEqual([]);
    expect(await eventually(() => reports.length === n)).toBe(true);
    expect(reports.filter((r) => r.outcome !== "ok")).toEqual([]);
    expect(relay.open).toBe(0);
  });
});

describe.each([
  ["http", "native relay"],
  ["socks", "native relay"],
  ["http", "Node's copy"],
  ["socks", "Node's copy"],
] as const)("an upstream reset through the %s proxy, copied by %s", (kind, copier) => {
  it("reaches the client as a reset after the bytes before it, not as a clean end", async () => {
    // The upstream sends 64 KiB of a longer body, then resets (RST).
    const server = net.createServer((u) => {
      u.on("error", () => undefined);
      u.write(Buffer.alloc(64 * 1024, 0x62), () => setTimeout(() => u.resetAndDestroy(), 100));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const p = copier === "native relay" ? await start(kind) : await startWithoutRelay(kind);
    const s = await tunnel(kind, p.port, (server.address() as net.AddressInfo).port);
    const how = await new Promise<string>((resolve) => {
      s.on("data", () => undefined);
      s.on("end", () => resolve("end"));
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(how).toBe("ECONNRESET");
    if (copier !== "native relay") return;
    expect(await eventually(() => p.reports.length === 1)).toBe(true);
    expect(p.reports[0]?.outcome).toBe("error");
  });
});
