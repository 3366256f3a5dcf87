/**
 * A test CA made with openssl (not with srt's own X.509 code, which is under
 * test) and HTTPS servers on loopback signed by it, each recording what it
 * was sent. Passed to srt as tlsTerminate.extraCaCertPaths, the CA is how
 * srt verifies these "upstream" servers.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import tls from "node:tls";
import { join } from "node:path";

export interface TestCa {
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: string;
  /** A server certificate for these IP addresses, signed by the CA. */
  serverCert(ips: readonly string[]): { cert: string; key: string };
}

function openssl(args: readonly string[]): void {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

export function makeTestCa(dir: string, name = "srt test CA"): TestCa {
  const certPath = join(dir, `${name.replace(/\W/g, "_")}.pem`);
  const keyPath = join(dir, `${name.replace(/\W/g, "_")}.key`);
  openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-subj",
    `/CN=${name}`,
    "-days",
    "2",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout",
    keyPath,
    "-out",
    certPath,
  ]);
  let n = 0;
  return {
    certPath,
    keyPath,
    certPem: readFileSync(certPath, "utf8"),
    serverCert(ips) {
      const base = join(dir, `server${n++}`);
      writeFileSync(
        `${base}.ext`,
        `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(",")}\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
      );
      openssl([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        `/CN=${ips[0]}`,
        "-keyout",
        `${base}.key`,
        "-out",
        `${base}.csr`,
      ]);
      openssl([
        "x509",
        "-req",
        "-in",
        `${base}.csr`,
        "-CA",
        certPath,
        "-CAkey",
        keyPath,
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        `${base}.ext`,
        "-out",
        `${base}.pem`,
      ]);
      return { cert: readFileSync(`${base}.pem`, "utf8"), key: readFileSync(`${base}.key`, "utf8") };
    },
  };
}

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface HttpsServer {
  readonly port: number;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/**
 * Answers every request with `ok <method> <url>`; a dumb-HTTP git remote's
 * /repo.git/info/refs lists one branch, enough for `git ls-remote`.
 */
export async function startHttpsServer(ca: TestCa | undefined, host: string): Promise<HttpsServer> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (req.url?.startsWith("/repo.git/info/refs")) {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(`${"1".repeat(40)}\trefs/heads/main\n`);
        return;
      }
      res.end(`ok ${req.method} ${req.url}\n`);
    });
  };
  // No CA: a plain-HTTP server that records the same way.
  const server = ca ? https.createServer(ca.serverCert([host]), handler) : http.createServer(handler);
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * What a client inside the sandbox does, from the test process: CONNECT
 * through the HTTP proxy at proxyPort, TLS on the tunnel trusting `ca` only,
 * `request` written as raw bytes; the whole answer as text.
 */
export function throughTunnel(
  proxyPort: number,
  target: { readonly host: string; readonly port: number },
  ca: string,
  request: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port: proxyPort,
      method: "CONNECT",
      path: `${target.host}:${target.port}`,
    });
    req.setTimeout(8000, () => req.destroy(new Error("timeout")));
    req.on("connect", (res, socket) => {
      if (res.statusCode !== 200) return reject(new Error(`CONNECT answered ${res.statusCode}`));
      const s = tls.connect({ socket, host: target.host, ca }, () => s.write(request));
      let text = "";
      s.on("data", (d: Buffer) => (text += d.toString("latin1")));
      s.on("end", () => resolve(text));
      s.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
