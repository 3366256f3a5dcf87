/**
 * The HTTP proxy: CONNECT tunnels and absolute-form plain HTTP. Node's HTTP
 * parser (llhttp) does the request parsing — header limits (431), request
 * smuggling defences, keep-alive, pipelining — so this file only decides and
 * relays. The parser's own timers bound slow clients: `headersTimeout` from
 * the first byte (or accept) to a complete head, `keepAliveTimeout` between
 * requests; `requestTimeout` is off because bodies are streamed and may be long.
 */
import http, { type IncomingMessage } from "node:http";
import type net from "node:net";
import { dialTunnel, type DialOptions } from "./dial.js";
import { createEndpoints } from "./endpoints.js";
import { createGate } from "./gate.js";
import { answerRaw } from "./http-answer.js";
import { forwardRequest } from "./http-forward.js";
import { createHttpPool } from "./http-pool.js";
import { parseAuthority } from "./http-target.js";
import { systemResolver } from "./resolver.js";
import { joinTunnel } from "./tunnel.js";
import { currentNetwork, tunnelContext } from "./tls/context.js";
import { printable } from "./gate.js";
import { defaultLimits, type NetworkProxy, type ProxyDeps } from "./types.js";

export function createHttpProxy(deps: ProxyDeps): NetworkProxy {
  const limits = { ...defaultLimits, ...deps.limits };
  const gate = createGate(deps, deps.resolve ?? systemResolver, limits.connectTimeoutMs, limits.askTimeoutMs);
  // endpoints is created below; track is only called once a server exists.
  const dial: DialOptions = {
    timeoutMs: limits.connectTimeoutMs,
    maxHeaderBytes: limits.maxHeaderBytes,
    authorization: deps.upstreamAuthorization,
    responseTimeoutMs: limits.responseTimeoutMs,
    track: (s) => endpoints.track(s),
    mark: deps.relay?.mark,
  };

  const pool = createHttpPool(dial);
  const ctx = tunnelContext(deps, limits, dial);
  const onConnect = async (req: IncomingMessage, client: net.Socket, head: Buffer): Promise<void> => {
    const target = parseAuthority(req.url ?? "");
    if (!target.ok) return answerRaw(client, { status: 400, reason: target.reason });
    const decision = await gate.decide(target.value.host, target.value.port, "http");
    if (!decision.ok)
      return answerRaw(
        client,
        decision.refused
          ? { status: 403, reason: decision.reason, refused: true }
          : { status: 502, reason: decision.reason },
      );
    if (client.destroyed) return;
    const terminated =
      deps.tls !== undefined &&
      decision.route.kind === "direct" &&
      deps.tls.terminates(target.value.host, target.value.port);
    const refuseOpaque = currentNetwork(deps).requestFilters?.refuseOpaqueTunnels;
    if (!terminated && refuseOpaque?.value) {
      const reason = `${decision.shown} would be an opaque tunnel (${deps.tls === undefined ? "no tlsTerminate" : decision.route.kind === "direct" ? "excluded from tlsTerminate" : "routed through another proxy"}), which refuseOpaqueTunnels refuses`;
      ctx.refuse(printable(target.value.host), target.value.port, reason, refuseOpaque.origin);
      return answerRaw(client, { status: 403, reason, refused: true });
    }
    if (deps.tls && terminated && decision.route.kind === "direct")
      return deps.tls.take(
        client,
        head,
        { rawHost: target.value.host, port: target.value.port, addresses: decision.route.addresses },
        ctx,
      );
    let upstream: net.Socket;
    try {
      upstream = await dialTunnel(decision.route, dial);
    } catch (e) {
      return answerRaw(client, { status: 502, reason: `cannot connect to ${decision.shown}: ${(e as Error).message}` });
    }
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    client.write("HTTP/1.1 200 Connection Established\r\nProxy-Agent: srt\r\n\r\n");
    // Bytes the client pipelined after the CONNECT head (a TLS ClientHello sent eagerly) go first.
    joinTunnel(deps.relay, client, upstream, head, limits.halfCloseTimeoutMs);
  };

  const answered = new WeakSet<net.Socket>();
  const makeServer = (): net.Server => {
    const server = http.createServer({
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.handshakeTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: limits.handshakeTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.handshakeTimeoutMs / 4))),
    });
    // A client that half-closes after its request (`printf 'GET …' | nc -N`)
    // still wants the answer; Node's default aborts the request on the FIN.
    (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    server.on("request", (req, res) => {
      req.on("error", () => undefined);
      res.on("error", () => undefined);
      const plain = deps.masks ? { masks: deps.masks, refuse: ctx.refuse } : undefined;
      void forwardRequest(req, res, gate, dial, plain, ctx.filterContext(), pool).catch(() => res.destroy());
    });
    server.on("connect", (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
      void onConnect(req, socket, head).catch(() => socket.destroy());
    });
    // Upgrade (WebSocket over plain HTTP) is not relayed; say so instead of dropping the connection.
    server.on("upgrade", (_req: IncomingMessage, socket: net.Socket) =>
      answerRaw(socket, {
        status: 400,
        reason: "Upgrade is not supported through the srt proxy; use CONNECT (wss://)",
      }),
    );
    server.on("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => {
      // Node's parser can report a second error for the same connection (the
      // rest of an oversized head arriving): the first answer is already on its
      // way and the lingering close ends the socket; destroying it now would lose that answer.
      if (answered.has(socket)) return;
      answered.add(socket);
      const code = err.code ?? "";
      if (code === "ECONNRESET" || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
        socket.destroy();
        return;
      }
      if (code === "HPE_HEADER_OVERFLOW")
        answerRaw(socket, { status: 431, reason: `request head larger than ${limits.maxHeaderBytes} bytes` });
      else if (code === "ERR_HTTP_REQUEST_TIMEOUT")
        answerRaw(socket, { status: 408, reason: `no complete request head within ${limits.handshakeTimeoutMs} ms` });
      else answerRaw(socket, { status: 400, reason: `malformed request (${code || err.message})` });
    });
    return server;
  };

  const endpoints = createEndpoints(makeServer);

  return {
    listen: (target) => endpoints.listen(target),
    close: (graceMs) => {
      pool.close();
      return endpoints.close(graceMs);
    },
    get openSockets() {
      return endpoints.openSockets;
    },
  };
}
