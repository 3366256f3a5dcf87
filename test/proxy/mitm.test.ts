/**
 * mitmProxy: requests for its domains go to the user's MITM proxy over its
 * unix socket (CONNECT for tunnels and SOCKS, absolute-form for plain HTTP);
 * everything else goes direct; the policy still decides first, so a MITM
 * domain that is not allowed never reaches the MITM proxy.
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHttpProxy, createSocksProxy, type NetworkProxy } from "../../src/runtime/proxy/index.js";
import { allow, exchange, httpServer, loopback, setup, type Server } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "srt-mitm-"));
const mitmSocket = join(dir, "mitm.sock");

/** A fake MITM proxy: answers CONNECT with 200 then prefixes echoed bytes, or answers absolute-form requests itself. */
interface Mitm {
  readonly seen: string[];
  refuse: boolean;
  close(): Promise<void>;
}
async function startMitm(): Promise<Mitm> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const state = { refuse: false };
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    let head = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      head = Buffer.concat([head, c]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      s.removeListener("data", onData);
      const line = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
      seen.push(line);
      if (state.refuse) return void s.end("HTTP/1.1 403 No\r\nContent-Length: 0\r\n\r\n");
      if (line.startsWith("CONNECT ")) {
        s.write("HTTP/1.1 200 Connection established\r\n\r\n");
        const rest = head.subarray(end + 4);
        if (rest.length > 0) s.write(Buffer.concat([Buffer.from("mitm:"), rest]));
        s.on("data", (d: Buffer) => s.write(Buffer.concat([Buffer.from("mitm:"), d])));
      } else {
        const body = `via-mitm ${line}`;
        s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      }
    };
    s.on("data", onData);
  });
  await new Promise<void>((r) => server.listen(mitmSocket, r));
  return {
    seen,
    get refuse() {
      return state.refuse;
    },
    set refuse(v: boolean) {
      state.refuse = v;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let mitm: Mitm;
let web: Server;
beforeAll(async () => {
  mitm = await startMitm();
  web = await httpServer();
});
afterAll(async () => {
  await mitm.close();
  await web.close();
  rmSync(dir, { recursive: true, force: true });
});
const proxies: NetworkProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  mitm.seen.length = 0;
  mitm.refuse = false;
});

const mitmRules = [allow("mitm.test"), allow("allowed.test", 1), loopback];
const deps = (rules = mitmRules) => {
  const s = setup(rules);
  const network = {
    rules,
    deniedResolvedAddresses: [],
    mitmProxy: {
      socketPath: mitmSocket,
      domains: [allow("mitm.test"), allow("blocked.test")],
      origin: "/network/mitmProxy" as const,
    },
  };
  return { ...s, deps: { ...s.deps, network } };
};
async function listen(p: NetworkProxy): Promise<number> {
  proxies.push(p);
  const a = await p.listen({ port: 0 });
  if (a.kind !== "tcp") throw new Error("tcp expected");
  return a.port;
}

describe("mitmProxy routing", () => {
  it("CONNECT to a MITM domain is tunnelled through the MITM proxy's unix socket", async () => {
    const port = await listen(createHttpProxy(deps().deps));
    const out = (
      await exchange(port, "CONNECT mitm.test:443 HTTP/1.1\r\nHost: mitm.test:443\r\n\r\nhello", {
        until: (r) => r.includes("mitm:hello"),
      })
    ).toString();
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    expect(out).toContain("mitm:hello");
    expect(mitm.seen).toEqual(["CONNECT mitm.test:443 HTTP/1.1"]);
  });

  it("plain HTTP to a MITM domain is sent to the MITM proxy in absolute form", async () => {
    const port = await listen(createHttpProxy(deps().deps));
    const out = (
      await exchange(port, "GET http://mitm.test/path?q=1 HTTP/1.1\r\nHost: mitm.test\r\nConnection: close\r\n\r\n")
    ).toString();
    expect(out).toContain("via-mitm GET http://mitm.test/path?q=1 HTTP/1.1");
  });

  it("SOCKS5 to a MITM domain goes through the MITM proxy too", async () => {
    const port = await listen(createSocksProxy(deps().deps));
    const name = Buffer.from("mitm.test");
    const req = Buffer.concat([
      Buffer.from([5, 1, 0]),
      Buffer.from([5, 1, 0, 3, name.length]),
      name,
      Buffer.from([1, 187]),
      Buffer.from("ping"),
    ]);
    const out = await exchange(port, req, { until: (r) => r.includes("mitm:ping") });
    expect(out.subarray(0, 2)).toEqual(Buffer.from([5, 0]));
    expect(out[3]).toBe(0); // reply: succeeded
    expect(out.toString("latin1")).toContain("mitm:ping");
    expect(mitm.seen).toEqual(["CONNECT mitm.test:443 HTTP/1.1"]);
  });

  it("an allowed domain that is not a MITM domain goes direct; the MITM proxy sees nothing", async () => {
    const port = await listen(createHttpProxy(deps().deps));
    const out = (
      await exchange(
        port,
        `GET http://allowed.test:${web.port}/x HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n`,
      )
    ).toString();
    expect(out).toMatch(/^HTTP\/1\.1 201/);
    expect(mitm.seen).toEqual([]);
  });

  it("a MITM domain the policy does not allow is refused before the MITM proxy is asked", async () => {
    const s = deps();
    const port = await listen(createHttpProxy(s.deps));
    const out = (
      await exchange(port, "CONNECT blocked.test:443 HTTP/1.1\r\nHost: blocked.test:443\r\n\r\n")
    ).toString();
    expect(out).toMatch(/^HTTP\/1\.1 403/);
    expect(mitm.seen).toEqual([]);
    expect(s.violations.map((v) => v.host)).toEqual(["blocked.test"]);
  });

  it("a MITM proxy that refuses the CONNECT gives the client a 502, not a tunnel", async () => {
    mitm.refuse = true;
    const port = await listen(createHttpProxy(deps().deps));
    const out = (await exchange(port, "CONNECT mitm.test:443 HTTP/1.1\r\nHost: mitm.test:443\r\n\r\n")).toString();
    expect(out).toMatch(/^HTTP\/1\.1 502/);
  });
});
