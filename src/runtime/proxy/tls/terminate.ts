/**
 * TLS termination on a CONNECT tunnel (network.tlsTerminate), in this process
 * and on the tunnel's own socket: nothing listens, so no other process can
 * connect to the decrypted side. After the gate allowed host:port and the
 * proxy answered 200, the client's first bytes decide: a TLS record (0x16)
 * is terminated with a certificate for the CONNECT target, minted by the
 * run's CA; anything else (SSH, plain protocols) is tunnelled opaquely as
 * before. Each decrypted request is forwarded over a new TLS connection to the
 * addresses the gate checked, verified against the host's roots plus
 * extraCaCertPaths (never against srt's own CA), with the CONNECT target as
 * the name to verify: the real value of a masked credential is injected only
 * into a request headed to that verified server.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type net from "node:net";
import type { Readable } from "node:stream";
import tls from "node:tls";
import { canonicalizeHost, hostPort, matchNetRules, type CanonicalHost } from "../../../compiler/domains/index.js";
import type { Origin, TlsTerminatePolicy } from "../../../compiler/ir.js";
import { withBodyFraming } from "../body-framing.js";
import type { MaskSet } from "../credentials/masks.js";
import { dialDirect, dialTunnel, type DialOptions } from "../dial.js";
import { answer, answerRaw } from "../http-answer.js";
import { endToEndHeaders, passResponse } from "../http-forward.js";
import { splice } from "../splice.js";
import { judgeRequest, type FilterContext, type Judged } from "../request-filters.js";
import { substituteStream, substituteBody } from "./body.js";
import { resign } from "./resign.js";
import type { Trust } from "./trust.js";
import type { Authority } from "./x509.js";

export interface TlsTerminatorDeps {
  readonly authority: Authority;
  readonly trust: Trust;
  readonly policy: TlsTerminatePolicy;
  readonly masks?: MaskSet | undefined;
}

/** What the HTTP proxy hands over: the checked destination, and how to report a refusal. */
export interface TunnelTarget {
  readonly rawHost: string;
  readonly port: number;
  readonly addresses: readonly string[];
}

export interface ProxyContext {
  readonly dial: DialOptions;
  readonly halfCloseTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly headersTimeoutMs: number;
  readonly refuse: (host: string, port: number, reason: string, rule?: Origin) => void;
  /** The request filters in force now (request-filters.ts); undefined = none. */
  readonly filterContext: () => FilterContext | undefined;
}

export interface TlsTerminator {
  /** Whether a CONNECT to this (allowed, direct) destination is to be terminated. */
  terminates(rawHost: string, port: number): boolean;
  /** Owns the client socket from here: 503 at the tunnel cap, else 200 and terminate or tunnel. */
  take(client: net.Socket, head: Buffer, target: TunnelTarget, ctx: ProxyContext): void;
  readonly activeTunnels: number;
}

interface Tunnel {
  readonly host: CanonicalHost;
  readonly name: string;
  readonly port: number;
  readonly addresses: readonly string[];
  readonly ctx: ProxyContext;
}

/** Bodies up to this size are substituted whole and keep an exact Content-Length. */
const bufferedBodyLimit = 1024 * 1024;
/** A body whose hash a re-signed request must carry is read whole, up to this size (larger: refused). */
const resignBodyLimit = 64 * 1024 * 1024;

export function createTlsTerminator(deps: TlsTerminatorDeps): TlsTerminator {
  const { policy, authority, trust, masks } = deps;
  let active = 0;
  const contexts = new Map<string, tls.SecureContext>();
  const contextFor = (name: string): tls.SecureContext => {
    let c = contexts.get(name);
    if (c === undefined) {
      const leaf = authority.leaf(name);
      c = tls.createSecureContext({ cert: leaf.certPem, key: leaf.key.export({ type: "pkcs8", format: "pem" }) });
      contexts.set(name, c);
    }
    return c;
  };
  const tunnels = new WeakMap<net.Socket, Tunnel>();

  const server = http.createServer({ requestTimeout: 0 });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    req.on("error", () => undefined);
    res.on("error", () => undefined);
    const t = tunnels.get(req.socket);
    if (t === undefined) return res.destroy();
    void forward(req, res, t).catch(() => res.destroy());
  });
  server.on("clientError", (_err: Error, socket: net.Socket) => socket.destroy());
  server.on("upgrade", (req: IncomingMessage, socket: net.Socket) => {
    // WebSocket over a terminated tunnel would need its frames relayed and scanned; say so instead.
    const t = tunnels.get(socket);
    void req;
    answerRaw(socket, {
      status: 400,
      reason: `Upgrade is not supported on a TLS-terminated tunnel${t ? ` to ${t.name}` : ""}; list the host in tlsTerminate.excludeDomains`,
    });
  });

  async function forward(req: IncomingMessage, res: ServerResponse, t: Tunnel): Promise<void> {
    const path = req.url ?? "/";
    if (!path.startsWith("/"))
      return answer(res, { status: 400, reason: "a request inside a tunnel must use the origin form (/path)" });
    const shown = hostPort(t.host, t.port);
    let headers = endToEndHeaders(req.rawHeaders);
    let target = path;
    let judged: Judged | undefined;
    const fc = t.ctx.filterContext();
    if (fc !== undefined) {
      const sni = (req.socket as tls.TLSSocket).servername;
      judged = await judgeRequest(
        req,
        res,
        fc,
        { scheme: "https", host: t.host, port: t.port, ...(typeof sni === "string" ? { sni } : {}) },
        path,
        headers,
      );
      if (judged === undefined) return;
      headers = judged.headers;
      target = judged.path;
    }
    const source = judged?.body ?? req;
    const host = req.headers.host ?? shown;
    const refuse = (origin: Origin): void => {
      const reason = `the request carries the masked credential ${origin}, which may not be sent to ${shown}`;
      t.ctx.refuse(t.name, t.port, reason, origin);
      answer(res, { status: 403, reason, refused: true }, true);
    };
    // Judged on the client's own headers: substitution below swaps the sentinel key id away.
    const sigv4 = masks?.aws?.plan(target, headers, t.host, t.port) ?? { kind: "none" };
    if (sigv4.kind === "deny") {
      t.ctx.refuse(t.name, t.port, sigv4.reason, sigv4.origin);
      return answer(res, { status: 403, reason: sigv4.reason, refused: true }, true);
    }
    if (masks) {
      const p = masks.apply(target, t.host, t.port);
      if (!p.ok) return refuse(p.origin);
      target = p.text;
      const out: string[] = [];
      for (let i = 0; i < headers.length; i += 2) {
        const v = masks.apply(headers[i + 1]!, t.host, t.port);
        if (!v.ok) return refuse(v.origin);
        out.push(headers[i]!, v.text);
      }
      const h = masks.apply(host, t.host, t.port);
      if (!h.ok) return refuse(h.origin);
      headers = out;
    }
    const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
    let body: Buffer | undefined;
    const length = Number(req.headers["content-length"] ?? NaN);
    const limit = sigv4.kind === "resign" ? resignBodyLimit : bufferedBodyLimit;
    if (masks && hasBody && Number.isFinite(length) && length <= limit) {
      const whole = await readAll(source);
      const b = substituteBody(masks, whole, t.host, t.port);
      if (!b.ok) return refuse(b.origin);
      body = b.body;
      headers = withoutHeader(headers, "content-length");
      headers.push("Content-Length", String(body.length));
    } else if (masks && hasBody) {
      // Streamed with substitution: the length may change, so it goes chunked.
      headers = withoutHeader(headers, "content-length");
      headers.push("Transfer-Encoding", "chunked");
    }
    if (sigv4.kind === "resign") {
      const r = resign(sigv4, req.method ?? "GET", target, headers, host, hasBody ? body : Buffer.alloc(0));
      if (!r.ok) {
        const reason = `the request is signed with the masked AWS key pair ${sigv4.pair.origin}, and ${r.reason}`;
        t.ctx.refuse(t.name, t.port, reason, sigv4.pair.origin);
        return answer(res, { status: 403, reason, refused: true }, true);
      }
      headers = r.headers;
    }

    let upstream: tls.TLSSocket;
    try {
      upstream = await connectUpstream(t);
    } catch (e) {
      return answer(res, { status: 502, reason: `${shown}: ${(e as Error).message}` }, true);
    }
    if (res.destroyed) {
      upstream.destroy();
      return;
    }
    const up = http.request({
      method: req.method ?? "GET",
      path: target,
      headers: [...withBodyFraming(req, headers), "Host", host, "Connection", "close"],
      createConnection: () => upstream,
      setHost: false,
    });
    const abort = (): void => {
      up.destroy();
      upstream.destroy();
    };
    res.once("close", () => {
      if (!res.writableFinished) abort();
    });
    up.on("error", (e) => {
      if (!res.headersSent) answer(res, { status: 502, reason: `${shown}: ${e.message}` }, true);
      else res.destroy();
      upstream.destroy();
    });
    up.on("response", (upRes) => passResponse(upRes, res, judged));
    if (body !== undefined) up.end(body);
    else if (masks && hasBody)
      substituteStream(masks, source, up, t.host, t.port, (origin) => {
        abort();
        refuse(origin);
      });
    else source.pipe(up);
  }

  function connectUpstream(t: Tunnel): Promise<tls.TLSSocket> {
    return dialDirect(t.addresses, t.port, t.ctx.dial).then(
      (raw) =>
        new Promise<tls.TLSSocket>((resolve, reject) => {
          const ip = t.host.kind !== "name";
          const s = tls.connect({
            socket: raw,
            ...(ip ? { host: t.name } : { servername: t.name, host: t.name }),
            ca: [...trust.upstream],
            ALPNProtocols: ["http/1.1"],
          });
          t.ctx.dial.track(s);
          const timer = setTimeout(() => {
            s.destroy();
            reject(new Error(`no TLS handshake within ${t.ctx.dial.timeoutMs} ms`));
          }, t.ctx.dial.timeoutMs);
          s.once("secureConnect", () => {
            clearTimeout(timer);
            resolve(s);
          });
          s.once("error", (e: Error) => {
            clearTimeout(timer);
            raw.destroy();
            reject(new Error(`upstream TLS: ${e.message}`));
          });
        }),
    );
  }

  return {
    terminates(rawHost, port) {
      const host = canonicalizeHost(rawHost);
      if (host === null) return false;
      return matchNetRules(policy.excludeDomains, host, port).verdict !== "allow";
    },
    get activeTunnels() {
      return active;
    },
    take(client, head, target, ctx) {
      const host = canonicalizeHost(target.rawHost)!;
      const name = host.kind === "name" ? host.name : host.address;
      if (active >= policy.maxTunnels) {
        const reason = `too many TLS-terminated tunnels at once (maxTunnels ${policy.maxTunnels})`;
        ctx.refuse(name, target.port, reason, `${policy.origin}/maxTunnels` as Origin);
        client.write(
          `HTTP/1.1 503 Service Unavailable\r\nX-Proxy-Error: too-many-tunnels\r\nProxy-Agent: srt\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        );
        client.end();
        return;
      }
      active++;
      let held = true;
      const release = (): void => {
        if (held) active--;
        held = false;
      };
      client.once("close", release);
      client.on("error", () => undefined);
      const timer = setTimeout(() => client.destroy(), policy.handshakeTimeoutMs);
      client.write("HTTP/1.1 200 Connection Established\r\nProxy-Agent: srt\r\n\r\n");
      const tunnel: Tunnel = { host, name, port: target.port, addresses: target.addresses, ctx };
      const decide = (first: Buffer): void => {
        if (first[0] !== 0x16) {
          clearTimeout(timer);
          release();
          const refuseOpaque = ctx.filterContext()?.filters?.refuseOpaqueTunnels;
          if (refuseOpaque?.value) {
            ctx.refuse(
              name,
              target.port,
              "the tunnel carries no TLS, so srt cannot see into it (refuseOpaqueTunnels)",
              refuseOpaque.origin,
            );
            client.destroy();
            return;
          }
          opaque(client, first, tunnel);
          return;
        }
        client.unshift(first);
        const secure = new tls.TLSSocket(client, {
          isServer: true,
          secureContext: contextFor(name),
          ALPNProtocols: ["http/1.1"],
        });
        secure.on("error", () => {
          secure.destroy();
          client.destroy();
        });
        secure.once("secure", () => clearTimeout(timer));
        secure.once("close", () => client.destroy());
        tunnels.set(secure, tunnel);
        server.emit("connection", secure);
      };
      if (head.length > 0) decide(head);
      else
        client.once("data", (chunk: Buffer) => {
          client.pause();
          decide(chunk);
        });
    },
  };
}

/** Not TLS after all: the bytes go to the destination unchanged, as on any tunnel. */
function opaque(client: net.Socket, first: Buffer, t: Tunnel): void {
  client.pause();
  dialTunnel({ kind: "direct", addresses: t.addresses, port: t.port }, t.ctx.dial).then(
    (upstream) => {
      if (client.destroyed) return upstream.destroy();
      upstream.write(first);
      splice(client, upstream, t.ctx.halfCloseTimeoutMs, t.ctx.dial.mark);
      client.resume();
    },
    () => client.destroy(),
  );
}

function readAll(req: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.once("end", () => resolve(Buffer.concat(parts)));
    req.once("error", reject);
  });
}

function withoutHeader(flat: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i]!.toLowerCase() !== name) out.push(flat[i]!, flat[i + 1]!);
  return out;
}
