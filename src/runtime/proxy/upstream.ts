/**
 * Reaching allowed destinations through the user's upstream proxy
 * (network.parentProxy, or srt's own HTTP(S)_PROXY). The gate has already
 * decided by the policy; this only says which hop carries the bytes.
 *
 * - Loopback destinations and the noProxy list are dialled directly (and then
 *   pass the resolved-address guard like any direct dial).
 * - Tunnels (CONNECT, SOCKS) ask the upstream for a CONNECT to the *name* the
 *   client asked for: the upstream resolves it, so srt's address guard cannot
 *   apply (explain says so).
 * - Plain HTTP is sent to the upstream in absolute form.
 *
 * Proxy-Authorization comes from a function the embedder passes in; its value
 * is never logged, never put in a refusal or error text.
 */
import net from "node:net";
import tls from "node:tls";
import { addressInCidr, hostPort, isLoopbackHost, type CanonicalHost } from "../../compiler/domains/index.js";
import type { ParentProxy, UpstreamProxy } from "../../compiler/ir.js";
import { DialError, readProxyResponseHead } from "./dial.js";
import type { UpstreamAuthorization } from "./upstream-authorization.js";

export type UpstreamUse = "tunnel" | "plain";

/** The upstream for this destination and use, or undefined to dial directly. */
export function upstreamFor(
  parent: ParentProxy | undefined,
  host: CanonicalHost,
  use: UpstreamUse,
): UpstreamProxy | undefined {
  if (parent === undefined) return undefined;
  const proxy = use === "plain" ? parent.http : parent.https;
  if (proxy === undefined || bypassed(parent.noProxy, host)) return undefined;
  return proxy;
}

/** NO_PROXY as curl and Go read it: `*`, a name and its subdomains, an IP in a listed range (the literal, not a resolved address). */
export function bypassed(noProxy: ParentProxy["noProxy"], host: CanonicalHost): boolean {
  if (isLoopbackHost(host) || noProxy.all) return true;
  if (host.kind !== "name") return noProxy.cidrs.some((c) => addressInCidr(host.address, c));
  return noProxy.suffixes.some((s) => host.name === s || host.name.endsWith(`.${s}`));
}

export type { UpstreamAuthorization } from "./upstream-authorization.js";
// Apart so that a run computes it without loading node:tls (issue 19); here for the importers it had.
export { authorizationFrom } from "./upstream-authorization.js";

export interface UpstreamDial {
  readonly timeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly track: (s: net.Socket) => void;
  readonly authorization?: UpstreamAuthorization | undefined;
}

const shownProxy = (p: UpstreamProxy): string =>
  `upstream proxy ${p.scheme}://${p.host.includes(":") ? `[${p.host}]` : p.host}:${p.port} (${p.origin})`;

/** The header line, or a DialError when the upstream needs credentials srt does not have. */
export function authorizationLine(proxy: UpstreamProxy, o: Pick<UpstreamDial, "authorization">): string {
  if (proxy.credentials === undefined) return "";
  const value = o.authorization?.(proxy);
  if (value === undefined || /[\r\n]/.test(value))
    throw new DialError(
      `the credentials of the ${shownProxy(proxy)} are not available to this run (from ${proxy.credentials})`,
      "EAUTH",
    );
  return `Proxy-Authorization: ${value}\r\n`;
}

/** A connected socket to the upstream proxy itself (TLS when its URL is https://). */
export function connectUpstream(proxy: UpstreamProxy, o: UpstreamDial): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      proxy.scheme === "https"
        ? tls.connect({
            host: proxy.host,
            port: proxy.port,
            ...(net.isIP(proxy.host) ? {} : { servername: proxy.host }),
            ALPNProtocols: ["http/1.1"],
          })
        : net.connect({ host: proxy.host, port: proxy.port, allowHalfOpen: true });
    socket.on("error", () => undefined);
    o.track(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError(`${shownProxy(proxy)}: no connection within ${o.timeoutMs} ms`, "ETIMEDOUT"));
    }, o.timeoutMs);
    const onError = (e: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError(`${shownProxy(proxy)}: ${e.code ?? e.message}`, e.code ?? "EIO"));
    };
    socket.once("error", onError);
    socket.once("close", () => {
      clearTimeout(timer);
      reject(new DialError(`${shownProxy(proxy)}: closed`, "ECANCELED"));
    });
    socket.once(proxy.scheme === "https" ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.removeListener("error", onError);
      resolve(socket);
    });
  });
}

/** A raw byte stream to host:port through the upstream's CONNECT. */
export async function dialViaUpstream(
  proxy: UpstreamProxy,
  host: CanonicalHost,
  port: number,
  o: UpstreamDial,
): Promise<net.Socket> {
  const auth = authorizationLine(proxy, o);
  const authority = hostPort(host, port);
  const socket = await connectUpstream(proxy, o);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  const head = await readProxyResponseHead(socket, o.maxHeaderBytes, o.timeoutMs, shownProxy(proxy)).catch(
    (e: unknown) => {
      socket.destroy();
      throw e;
    },
  );
  if (head.status < 200 || head.status > 299) {
    socket.destroy();
    throw new DialError(`the ${shownProxy(proxy)} refused CONNECT ${authority} (status ${head.status})`, "EUPSTREAM");
  }
  if (head.rest.length > 0) socket.unshift(head.rest);
  return socket;
}
