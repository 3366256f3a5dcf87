// Inside a TLS-terminated tunnel, a GET's chunked body stays framed on its
// way upstream (body-framing.ts): srt's real proxy and terminator, a real
// HTTPS server on 127.0.0.1 signed by a test CA made with openssl.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHttpProxy, type NetworkProxy } from "../../src/runtime/proxy/index.js";
import { setUpTlsRun } from "../../src/runtime/proxy/tls/setup.js";
import { makeTestCa, startHttpsServer, throughTunnel, type HttpsServer, type TestCa } from "../network/tls-servers.js";
import { loopback, setup } from "./harness.js";

let scratch: string;
let ca: TestCa;
let server: HttpsServer;
let proxy: NetworkProxy;
let proxyPort: number;
let srtCa: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "srt-framing-"));
  ca = makeTestCa(scratch);
  server = await startHttpsServer(ca, "127.0.0.1");
  const files = new Map<string, string>([["/roots.pem", ca.certPem]]);
  const run = setUpTlsRun(
    {
      tlsTerminate: {
        excludeDomains: [],
        extraCaCertPaths: ["/roots.pem"],
        maxTunnels: 4,
        handshakeTimeoutMs: 5000,
        origin: "/network/tlsTerminate",
      },
    },
    {
      env: {},
      runDir: "/run",
      tmp: "/run",
      fs: {
        readFile: (p) => files.get(p),
        writeFile: (p, text) => void files.set(p, text),
        mkdir: () => undefined,
        realpath: (p) => p,
      },
    },
  );
  srtCa = files.get(run.trustFiles!.ca)!;
  proxy = createHttpProxy(setup([loopback], { tls: run.terminator }).deps);
  const a = await proxy.listen({ port: 0 });
  if (a.kind !== "tcp") throw new Error("expected tcp");
  proxyPort = a.port;
});
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

it("a request inside a GET's chunked body reaches the upstream as body, never as a request of its own", async () => {
  const host = `127.0.0.1:${server.port}`;
  const inner = `GET /admin HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
  const body = `${Buffer.byteLength(inner).toString(16)}\r\n${inner}\r\n0\r\n\r\n`;
  const before = server.seen.length;
  const answer = await throughTunnel(
    proxyPort,
    { host: "127.0.0.1", port: server.port },
    srtCa,
    `GET /ok HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`,
  );
  expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
  expect(server.seen.slice(before).map((s) => [s.url, s.body])).toEqual([["/ok", inner]]);
});
