/**
 * The library's proxies in a worker thread (src/runtime/linux/proxy-thread.ts),
 * spoken to over their unix socket as a sandbox's bridge does: they decide
 * with the policy sent to them, refusals and ask questions come back to this
 * thread, and once the thread is gone — closed or crashed — a request gets a
 * refusal, never the destination. Needs the built CLI (the thread runs it).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/api/compile.js";
import { proxySocketsIn } from "../../src/runtime/linux/network.js";
import { createProxyHost, startProxyThread } from "../../src/runtime/linux/proxy-thread.js";
import type { NetworkViolation } from "../../src/runtime/proxy/index.js";
import { lacking } from "../support/requirements.js";
import { srtBin } from "../api/support.js";

const networkOf = (settings: object) => {
  const ir = compile(settings, { target: "linux" }).ir;
  if (ir === undefined) throw new Error("invalid settings");
  return ir.network;
};

/** GET through the HTTP proxy's socket: the status and body, or the error code of the connection. */
function viaProxy(socketPath: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    // A new connection each time (agent: false): Node 20's global agent keeps connections alive, and
    // a request after close() could reuse one the proxy had just destroyed (EPIPE), never testing
    // whether the closed socket still accepts.
    const req = http.request({
      socketPath,
      agent: false,
      path: `http://127.0.0.1:${port}/`,
      headers: { host: `127.0.0.1:${port}` },
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve(`${res.statusCode} ${body}`));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    req.end();
  });
}

describe.skipIf(lacking(!existsSync(srtBin), `${srtBin} is missing (npm run build)`))("proxy thread", () => {
  let server: http.Server;
  let port: number;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "srt-proxy-thread-"));
    server = http.createServer((_q, r) => r.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("decides with the policy it is sent, reports refusals here, asks this thread; close() ends it", async () => {
    const seen: NetworkViolation[] = [];
    const asked: number[] = [];
    const sockets = proxySocketsIn(mkdtempSync(join(dir, "a-")));
    const t = await startProxyThread({
      srtBin,
      sockets,
      policy: networkOf({ network: { allowedDomains: [`127.0.0.1:${port}`] } }),
      onViolation: (v) => seen.push(v),
      ask: (q) => (asked.push(q.port), q.port === port),
    });
    expect(await viaProxy(sockets.http, port)).toBe("200 ok");
    t.replace(networkOf({ network: { allowedDomains: [], deniedDomains: ["127.0.0.1"] } }));
    expect(await viaProxy(sockets.http, port)).toMatch(/^403 /);
    // A message from the thread: it may arrive after the response did.
    for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen.map((v) => `${v.host}:${v.port}`)).toEqual([`127.0.0.1:${port}`]);
    t.replace(networkOf({ network: { allowedDomains: [] } }));
    expect(await viaProxy(sockets.http, port)).toBe("200 ok");
    expect(asked).toEqual([port]);
    await t.close();
    expect(t.alive).toBe(false);
    expect(await viaProxy(sockets.http, port)).toMatch(/^error (ECONNREFUSED|ENOENT)$/);
  });

  it("fails closed: a thread that dies leaves refusals behind, and says so", async () => {
    const deaths: string[] = [];
    const sockets = proxySocketsIn(mkdtempSync(join(dir, "b-")));
    const t = await startProxyThread({
      srtBin,
      sockets,
      policy: networkOf({ network: { allowedDomains: [`127.0.0.1:${port}`] } }),
      onViolation: () => undefined,
      onDeath: (why) => deaths.push(why),
    });
    expect(await viaProxy(sockets.http, port)).toBe("200 ok");
    await t.kill();
    expect(t.alive).toBe(false);
    expect(deaths).toHaveLength(1);
    expect(await viaProxy(sockets.http, port)).toMatch(/^error (ECONNREFUSED|ENOENT)$/);
    expect(await viaProxy(sockets.socks, port)).toMatch(/^error (ECONNREFUSED|ENOENT)$/);
    await t.close(); // idempotent after a death
  });

  it("one thread serves many sandboxes' proxies, each with its own policy; a dead thread is replaced on the next open", async () => {
    const host = createProxyHost({ srtBin });
    const allow = networkOf({ network: { allowedDomains: [`127.0.0.1:${port}`] } });
    const deny = networkOf({ network: { allowedDomains: [] } });
    const a = proxySocketsIn(mkdtempSync(join(dir, "c-")));
    const b = proxySocketsIn(mkdtempSync(join(dir, "d-")));
    const ta = await host.open({ sockets: a, policy: allow, onViolation: () => undefined });
    const tb = await host.open({ sockets: b, policy: deny, onViolation: () => undefined });
    expect(await viaProxy(a.http, port)).toBe("200 ok");
    expect(await viaProxy(b.http, port)).toMatch(/^403 /);
    await tb.close();
    expect([ta.alive, tb.alive, host.running]).toEqual([true, false, true]);
    expect(await viaProxy(b.http, port)).toMatch(/^error (ECONNREFUSED|ENOENT)$/);
    expect(await viaProxy(a.http, port)).toBe("200 ok");
    await ta.kill();
    expect([ta.alive, host.running]).toEqual([false, false]);
    expect(await viaProxy(a.http, port)).toMatch(/^error (ECONNREFUSED|ENOENT)$/);
    const again = await host.open({ sockets: a, policy: allow, onViolation: () => undefined });
    expect(await viaProxy(a.http, port)).toBe("200 ok");
    await host.close();
    expect([again.alive, host.running]).toEqual([false, false]);
    expect(await viaProxy(a.http, port)).toMatch(/^error (ECONNREFUSED|ENOENT)$/);
  });

  it("a policy the thread cannot serve fails at start, with why", async () => {
    const long = join(dir, "x".repeat(120));
    await expect(
      startProxyThread({ srtBin, sockets: proxySocketsIn(long), policy: networkOf({}), onViolation: () => undefined }),
    ).rejects.toThrow(/more than a unix socket allows/);
  });
});
