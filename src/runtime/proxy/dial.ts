/**
 * Opening the upstream side of a tunnel for a route the gate approved.
 * Direct routes dial IP literals only (net.connect does no lookup for them),
 * trying the checked addresses in order. MITM routes connect to the user's
 * proxy on its unix socket and ask it for a CONNECT tunnel, so callers get a
 * raw byte stream either way.
 */
import net from "node:net";
import type { Route } from "./gate.js";
import { dialViaUpstream, type UpstreamAuthorization } from "./upstream.js";

export class DialError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Connect with a deadline; the socket is half-open capable so one side's FIN does not cut the other. */
function connectOnce(
  options: net.NetConnectOpts,
  timeoutMs: number,
  track: (s: net.Socket) => void,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ ...options, allowHalfOpen: true });
    // Errors after connect surface as 'close' to the splice; an unhandled
    // 'error' (an upstream RST) would otherwise crash the whole runtime.
    socket.on("error", () => undefined);
    track(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError(`connect timed out after ${timeoutMs} ms`, "ETIMEDOUT"));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeListener("error", onError);
      socket.removeListener("close", onClose);
      resolve(socket);
    });
    const onError = (e: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError(e.message, e.code ?? "EIO"));
    };
    socket.once("error", onError);
    // close() of the proxy destroys tracked sockets without an error; settle at once instead of at the deadline.
    const onClose = (): void => {
      clearTimeout(timer);
      reject(new DialError("the proxy closed", "ECANCELED"));
    };
    socket.once("close", onClose);
  });
}

/** Bytes up to the end of an HTTP response head; bounded so a hostile upstream cannot grow it. */
export function readProxyResponseHead(
  socket: net.Socket,
  limit: number,
  timeoutMs: number,
  name = "the MITM proxy",
): Promise<{ status: number; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, value?: { status: number; rest: Buffer }): void => {
      clearTimeout(timer);
      socket.removeListener("data", onData);
      socket.removeListener("end", onEnd);
      socket.removeListener("error", onEnd);
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(
      () => done(new DialError(`${name} did not answer CONNECT in time`, "ETIMEDOUT")),
      timeoutMs,
    );
    const onEnd = (): void => done(new DialError(`${name} closed the connection during CONNECT`, "ECONNRESET"));
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (buf.length > limit) done(new DialError(`${name}'s CONNECT answer is too long`, "EPROTO"));
        return;
      }
      socket.pause();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf.subarray(0, end).toString("latin1"));
      done(undefined, { status: m ? Number(m[1]) : 0, rest: buf.subarray(end + 4) });
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("error", onEnd);
  });
}

export interface DialOptions {
  readonly timeoutMs: number;
  readonly maxHeaderBytes: number;
  /** Plain HTTP only: request sent → response head (504 after that). */
  readonly responseTimeoutMs?: number;
  /** Called for every socket created, so close() can destroy it even mid-dial. */
  readonly track: (s: net.Socket) => void;
  /** Proxy-Authorization for upstream proxies with credentials. */
  readonly authorization?: UpstreamAuthorization | undefined;
  /** Ends a unix client socket as a reset (the native relay's TunnelRelay.mark); see splice.ts abort. */
  readonly mark?: ((s: net.Socket) => void) | undefined;
}

/** A raw stream to the route's destination (for CONNECT and SOCKS). */
export async function dialTunnel(route: Route, o: DialOptions): Promise<net.Socket> {
  if (route.kind === "direct") return dialDirect(route.addresses, route.port, o);
  if (route.kind === "upstream") return dialViaUpstream(route.proxy, route.host, route.port, o);
  const socket = await connectOnce({ path: route.socketPath }, o.timeoutMs, o.track);
  socket.write(`CONNECT ${route.authority} HTTP/1.1\r\nHost: ${route.authority}\r\n\r\n`);
  const head = await readProxyResponseHead(socket, o.maxHeaderBytes, o.timeoutMs).catch((e: unknown) => {
    socket.destroy();
    throw e;
  });
  if (head.status < 200 || head.status > 299) {
    socket.destroy();
    throw new DialError(`the MITM proxy refused CONNECT ${route.authority} (status ${head.status})`, "EMITM");
  }
  if (head.rest.length > 0) socket.unshift(head.rest);
  return socket;
}

/** Tries each checked address in order (an unreachable IPv6 address must not hide a working IPv4 one). */
export async function dialDirect(addresses: readonly string[], port: number, o: DialOptions): Promise<net.Socket> {
  // Built only when needed: an Error's stack trace costs more than the rest of a loopback connect's set-up.
  let last: unknown;
  const deadline = Date.now() + o.timeoutMs;
  for (const host of addresses) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      return await connectOnce({ host, port }, left, o.track);
    } catch (e) {
      last = e;
    }
  }
  throw last ?? new DialError("no address to connect to", "EHOSTUNREACH");
}

/** A raw stream to the MITM proxy itself (plain HTTP is sent to it in absolute form). */
export function dialMitmProxy(socketPath: string, o: DialOptions): Promise<net.Socket> {
  return connectOnce({ path: socketPath }, o.timeoutMs, o.track);
}
