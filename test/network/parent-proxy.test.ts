/**
 * network.parentProxy through a real sandbox: curl inside reaches allowed
 * names only through srt's proxies and then the upstream (a loopback test
 * proxy that maps *.test names to 127.0.0.1 and records every request with its
 * Proxy-Authorization). Refused names never reach it; the password is in
 * neither the command's environment nor srt's output.
 */
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, useBox } from "../linux/support.js";
import {
  makeScratch,
  networkSkipReason,
  networkSupported,
  runScript,
  shown,
  tools,
  values,
  type Scratch,
} from "./support.js";
import { startEchoServer, startHttpServer, type TestServer } from "./servers.js";

const marker = `pp${process.pid}`;

interface Upstream {
  readonly port: number;
  readonly seen: string[];
  close(): Promise<void>;
}

async function recordingUpstream(): Promise<Upstream> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const target = (authority: string): { host: string; port: number } | undefined => {
    const m = /^([a-z0-9.-]+\.test):(\d+)$/.exec(authority);
    return m ? { host: "127.0.0.1", port: Number(m[2]) } : undefined;
  };
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} auth=${req.headers["proxy-authorization"] ?? "-"}`);
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
    seen.push(`CONNECT ${req.url} auth=${req.headers["proxy-authorization"] ?? "-"}`);
    client.on("error", () => undefined);
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

describe.skipIf(lacking(!networkSupported || !tools.curl, networkSkipReason))("parentProxy through the sandbox", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  let scratch: Scratch;
  let web: TestServer;
  let echo: TestServer;
  let upstream: Upstream;

  beforeAll(async () => {
    scratch = makeScratch();
    web = await startHttpServer(marker);
    echo = await startEchoServer();
    upstream = await recordingUpstream();
  });
  afterAll(async () => {
    await Promise.all([web?.close(), echo?.close(), upstream?.close()]);
    scratch?.remove();
  });

  describe.each(runners)("as %s", (runner) => {
    it("plain HTTP, CONNECT and SOCKS5 leave through the upstream with credentials; refusals never reach it", async (ctx) => {
      const box = useBox(ctx, runner);
      upstream.seen.length = 0;
      const url = `http://web.test:${web.port}`;
      const out = await runScript(
        scratch,
        box,
        {
          network: {
            allowedDomains: ["web.test"],
            deniedDomains: ["denied.test"],
            parentProxy: { http: `http://alice:s3cret-${marker}@127.0.0.1:${upstream.port}` },
          },
        },
        [
          `echo "plain=$(curl -sS --max-time 10 ${url}/plain-${runner})"`,
          `echo "tunnel=$(curl -sS --max-time 10 -p -x "$HTTPS_PROXY" ${url}/tunnel-${runner})"`,
          `echo "socks=$(curl -sS --max-time 10 --socks5-hostname "\${ALL_PROXY#socks5h://}" ${url}/socks-${runner})"`,
          `echo "denied=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://denied.test:${web.port}/x)"`,
          `echo "secretInEnv=$(env | grep -c s3cret)"`,
        ].join("\n"),
        { timeoutMs: 60_000 },
      );
      const v = values(out);
      expect(out.status, shown(out)).toBe(0);
      expect(v["plain"], shown(out)).toBe(`hello ${marker} GET /plain-${runner}`);
      expect(v["tunnel"], shown(out)).toBe(`hello ${marker} GET /tunnel-${runner}`);
      expect(v["socks"], shown(out)).toBe(`hello ${marker} GET /socks-${runner}`);
      expect(v["denied"]).toBe("403");
      expect(v["secretInEnv"]).toBe("0");
      const auth = `auth=Basic ${Buffer.from(`alice:s3cret-${marker}`).toString("base64")}`;
      expect(upstream.seen).toEqual([
        `GET ${url}/plain-${runner} ${auth}`,
        `CONNECT web.test:${web.port} ${auth}`,
        `CONNECT web.test:${web.port} ${auth}`,
      ]);
      expect(out.stderr).toMatch(/denied\.test/);
      expect(out.stdout + out.stderr).not.toContain("s3cret");
    }, 90_000);
  });
});
