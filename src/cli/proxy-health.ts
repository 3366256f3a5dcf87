/**
 * `srt proxy --health ADDR`: a listener of its own (never the proxy's port,
 * so a health probe cannot be mistaken for a proxied request, nor a proxied
 * request for a probe) answering `GET /healthz` with 200 while the proxies
 * serve and 503 once a signal started the shutdown; anything else is 404.
 */
import http from "node:http";
import type net from "node:net";
import type { ListenTarget } from "../runtime/proxy/index.js";

export interface HealthEndpoint {
  /** Where it listens, as shown in the ready line. */
  readonly address: string;
  /** From now on /healthz answers 503. */
  draining(): void;
  close(): Promise<void>;
}

export async function startHealth(target: ListenTarget): Promise<HealthEndpoint> {
  let serving = true;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const head = { "Content-Type": "text/plain; charset=utf-8", Connection: "close" };
    if (path !== "/healthz" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, head).end("not found\n");
      return;
    }
    res.writeHead(serving ? 200 : 503, head).end(serving ? "ok\n" : "shutting down\n");
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const done = (): void => (server.off("error", reject), resolve());
    if ("fd" in target) server.listen({ fd: target.fd }, done);
    else if ("path" in target) server.listen(target.path, done);
    else server.listen(target.port, target.host ?? "127.0.0.1", done);
  });
  const a = server.address();
  const address =
    typeof a === "string"
      ? `unix:${a}`
      : (a as net.AddressInfo).family === "IPv6"
        ? `[${(a as net.AddressInfo).address}]:${(a as net.AddressInfo).port}`
        : `${(a as net.AddressInfo).address}:${(a as net.AddressInfo).port}`;
  return {
    address,
    draining: () => {
      serving = false;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
