/**
 * Loopback-only servers for the in-sandbox network tests, started in the
 * test process: HTTP (with a bulk body, or a body cut by a reset), a line
 * echo, a static file server for a dumb git remote, and a recording CONNECT /
 * SOCKS5 proxy standing in for the user's own (`httpProxyPort` /
 * `socksProxyPort`).
 *
 * Every server listens on 127.0.0.1 or ::1 only, on a port the kernel picks,
 * and the recording proxies refuse any target that is not loopback: nothing
 * here can reach another machine, whatever the code under test does.
 */
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join, normalize } from "node:path";

const isLoopback = (host: string): boolean =>
  /^127\./.test(host) || host === "::1" || host === "[::1]" || host === "localhost";

/** Sockets a server accepted, destroyed on close so close() never waits for a stuck client. */
function tracked(server: net.Server): { close: () => Promise<void>; open: () => number } {
  const sockets = new Set<net.Socket>();
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return {
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function listen(server: net.Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  return (server.address() as net.AddressInfo).port;
}

export interface TestServer {
  readonly host: string;
  readonly port: number;
  /** What the server saw: request lines, connection targets, echoed lines. */
  readonly seen: string[];
  /** Connections currently open. */
  open(): number;
  close(): Promise<void>;
}

/** N bytes that differ at every position (so a dropped, repeated or reordered chunk changes the hash). */
export function bulk(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i + 4 <= n; i += 4) b.writeUInt32LE(i, i);
  return b;
}

/**
 * Plain HTTP: answers `hello <marker> <METHOD> <url>` and records `METHOD
 * url`; `/bulk/N` answers bulk(N) instead (N at most 64 MiB).
 */
export async function startHttpServer(marker: string, host = "127.0.0.1"): Promise<TestServer> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const m = /^\/bulk\/(\d+)$/.exec(req.url ?? "");
    if (m && Number(m[1]) <= 64 << 20) res.end(bulk(Number(m[1])));
    else res.end(`hello ${marker} ${req.method} ${req.url}\n`);
  });
  const t = tracked(server);
  return { host, port: await listen(server, host), seen, ...t };
}

/**
 * Raw HTTP: answers any request with a 1 MiB body, and either sends 256 KiB of it and resets the
 * connection (`reset`, with a Content-Length so a clean close would also be short), or sends all
 * of it without a length and closes cleanly (only the clean end says the body is whole).
 */
export async function startBodyServer(reset: boolean): Promise<TestServer> {
  const server = net.createServer((s) => {
    s.on("error", () => undefined);
    s.once("data", () => {
      s.write(`HTTP/1.1 200 OK\r\nConnection: close\r\n${reset ? "Content-Length: 1048576\r\n" : ""}\r\n`);
      s.write(Buffer.alloc(256 * 1024, 0x61), () =>
        setTimeout(() => (reset ? s.resetAndDestroy() : s.end(Buffer.alloc(768 * 1024, 0x62))), 100),
      );
    });
  });
  const t = tracked(server);
  return { host: "127.0.0.1", port: await listen(server, "127.0.0.1"), seen: [], ...t };
}

/**
 * Echoes every byte back; ends the connection after a line `BYE`, so clients
 * that never half-close (BSD nc, an ssh ProxyCommand) still finish. Records
 * each received line.
 */
export async function startEchoServer(host = "127.0.0.1"): Promise<TestServer> {
  const seen: string[] = [];
  const server = net.createServer((s) => {
    let text = "";
    s.on("error", () => s.destroy());
    s.on("data", (d) => {
      s.write(d);
      text += d.toString("latin1");
      let nl: number;
      while ((nl = text.indexOf("\n")) >= 0) {
        const line = text.slice(0, nl).replace(/\r$/, "");
        text = text.slice(nl + 1);
        seen.push(line);
        if (line === "BYE") s.end();
      }
    });
  });
  const t = tracked(server);
  return { host, port: await listen(server, host), seen, ...t };
}

/** Serves files below root (GET only), as a dumb-HTTP git remote needs. Records request paths. */
export async function startStaticServer(root: string): Promise<TestServer> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    seen.push(path);
    const file = join(root, path);
    if (req.method !== "GET" || !file.startsWith(root + "/") || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    try {
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  const t = tracked(server);
  return { host: "127.0.0.1", port: await listen(server, "127.0.0.1"), seen, ...t };
}

function pipeBoth(a: net.Socket, b: net.Socket): void {
  a.on("error", () => b.destroy());
  b.on("error", () => a.destroy());
  a.pipe(b).pipe(a);
  a.on("close", () => b.destroy());
  b.on("close", () => a.destroy());
}

/**
 * The user's own HTTP proxy (for `httpProxyPort`): CONNECT tunnels and
 * absolute-URI GETs, to loopback targets only; records `CONNECT host:port` /
 * `GET url`.
 */
export async function startRecordingHttpProxy(): Promise<TestServer> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? "", "http://invalid");
    if (!isLoopback(url.hostname)) {
      res.writeHead(403).end("test proxy: loopback only\n");
      return;
    }
    const up = http.request(
      {
        host: url.hostname,
        port: url.port || 80,
        path: url.pathname + url.search,
        method: req.method,
        headers: { host: url.host },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? "");
    if (!m || !isLoopback(m[1]!)) {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const up = net.connect({ host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) }, () => {
      client.write("HTTP/1.1 200 Connection established\r\nProxy-Agent: test-proxy\r\n\r\n");
      if (head.length > 0) up.write(head);
      pipeBoth(client, up);
    });
    up.on("error", () => client.destroy());
  });
  const t = tracked(server);
  return { host: "127.0.0.1", port: await listen(server, "127.0.0.1"), seen, ...t };
}

/** The user's own SOCKS5 proxy (for `socksProxyPort`): no auth, CONNECT to loopback only; records `host:port`. */
export async function startRecordingSocksProxy(): Promise<TestServer> {
  const seen: string[] = [];
  const server = net.createServer((client) => {
    client.on("error", () => client.destroy());
    let buf = Buffer.alloc(0);
    let stage: "greeting" | "request" | "done" = "greeting";
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (stage === "greeting") {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
        buf = buf.subarray(2 + buf[1]!);
        client.write(Buffer.from([5, 0]));
        stage = "request";
      }
      if (stage !== "request" || buf.length < 5) return;
      const atyp = buf[3]!;
      const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + buf[4]!;
      if (buf.length < 4 + addrLen + 2) return;
      const addr = buf.subarray(4, 4 + addrLen);
      const host = atyp === 1 ? [...addr].join(".") : atyp === 4 ? "::1" : addr.subarray(1).toString("latin1");
      const port = buf.readUInt16BE(4 + addrLen);
      const rest = buf.subarray(4 + addrLen + 2);
      stage = "done";
      client.off("data", onData);
      seen.push(`${host}:${port}`);
      const reply = (code: number): Buffer => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
      if (
        buf[1] !== 1 ||
        !isLoopback(host) ||
        (atyp === 4 && !addr.equals(Buffer.from("00000000000000000000000000000001", "hex")))
      ) {
        client.end(reply(2));
        return;
      }
      const up = net.connect({ host: host === "localhost" ? "127.0.0.1" : host, port }, () => {
        client.write(reply(0));
        if (rest.length > 0) up.write(rest);
        pipeBoth(client, up);
      });
      up.on("error", () => client.end(reply(5)));
    };
    client.on("data", onData);
  });
  const t = tracked(server);
  return { host: "127.0.0.1", port: await listen(server, "127.0.0.1"), seen, ...t };
}
