/**
 * Kept-alive connections to plain-HTTP upstreams on direct routes, so that a
 * kept-alive client does not pay a new upstream connection (and the server a
 * new accept) for every request.
 *
 * Reuse skips no check. Every request is decided by the gate first; a pooled
 * connection then serves only a request whose decision names the same host,
 * the same port and exactly the same list of addresses that passed the
 * resolved-address guard for it (the pool key). So its peer is an address the
 * guard passed for this very request under the policy in force now — a live
 * update or a changed DNS answer that drops the address changes the key — and
 * forwardRequest checks the peer once more before it writes. A connection
 * dialled for host A never carries a request for host B, even at one address:
 * what an upstream sends on it is only ever read as an answer from A.
 */
import http from "node:http";
import type net from "node:net";
import { canonicalizeHost } from "../../compiler/domains/index.js";
import { dialDirect, type DialOptions } from "./dial.js";

/** Where a pooled request goes: the canonical host and the route the gate approved for it. */
export interface PoolTarget {
  readonly host: string;
  readonly addresses: readonly string[];
  readonly port: number;
}

/**
 * How long an idle upstream connection is kept. Short: servers close idle
 * connections too (Node's after 5 s, announced in Keep-Alive, which the pool
 * honours with a margin, as Node's Agent does), and each one closing under a
 * request is a retry.
 */
export const poolIdleMs = 2000;

export interface HttpPool {
  /** Request options that route `http.request` through the pool to `target`. */
  options(target: PoolTarget): http.RequestOptions;
  /** Whether `socket` is connected to one of the target's addresses on its port. */
  holds(socket: net.Socket, target: PoolTarget): boolean;
  /** Closes idle connections now and every busy one when its request ends; later requests are refused. */
  close(): void;
}

const keyOf = (t: PoolTarget): string => `${t.host} ${t.port} ${t.addresses.join(" ")}`;

/** What http.request needs of an agent (it calls only addRequest, and reads keepAlive) and what this pool adds. */
interface PoolOptions extends http.RequestOptions {
  readonly srtTarget: PoolTarget;
  readonly srtKey: string;
}

/** Idle connections kept per key (Node's Agent's default maxFreeSockets). */
const maxFreePerKey = 256;

/** TCP keep-alive's first probe on an idle connection (the Agent's default keepAliveMsecs). */
const keepAliveMs = 1000;

/** Node's margin below a server's announced Keep-Alive timeout (its Agent's HTTP_AGENT_KEEP_ALIVE_TIMEOUT_BUFFER). */
const hintMarginMs = 1000;

/** A ClientRequest as the pool sees it when its response has ended (Node's fields, not in its types). */
interface Finished {
  readonly shouldKeepAlive?: boolean;
  readonly res?: http.IncomingMessage | null;
}

/** The first Keep-Alive header's value, read from the raw list: `headers` would build an object of them all for this one. */
function keepAliveHeader(raw: readonly string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === "keep-alive") return raw[i + 1];
  return undefined;
}

/** The request fails with e, as from an agent that could not connect (ClientRequest.onSocket's second argument). */
const refuse = (req: http.ClientRequest, e: Error): void =>
  (req as unknown as { onSocket(socket: undefined, err: Error): void }).onSocket(undefined, e);

/**
 * The pool is http.request's agent, but not Node's Agent: that one's
 * bookkeeping cost more per request than the proxy's own work — options
 * copied twice, its key rebuilt three times, TCP keep-alive set again
 * (system calls) and an idle timer armed and disarmed on every request. Here a
 * connection gets keep-alive once, when it is made; a free one carries the
 * time it may be reused until, and one timer sweeps the free lists. What
 * http.request asks of an agent is what Node's own relies on (Node 20's
 * _http_client; test/proxy/http-pool.test.ts holds it to it): addRequest()
 * hands the request a socket (req.onSocket), and a socket whose response
 * ended with the connection kept emits "free".
 */
class Pool {
  /** Read by http.request: with it, a request asks for keep-alive and frees its socket after the response. */
  readonly keepAlive = true;
  closed = false;
  /** Free connections by key, the most recently used last (taken first: the others may time out). */
  private readonly free = new Map<string, net.Socket[]>();
  private readonly idleUntil = new WeakMap<net.Socket, number>();
  private readonly keyOfSocket = new WeakMap<net.Socket, string>();

  constructor(private readonly dial: DialOptions) {}

  addRequest(req: http.ClientRequest, options: PoolOptions): void {
    const list = this.free.get(options.srtKey);
    while (list !== undefined && list.length > 0) {
      const socket = list.pop()!;
      if (list.length === 0) this.free.delete(options.srtKey);
      if (socket.destroyed) continue;
      req.reusedSocket = true;
      socket.ref();
      req.onSocket(socket);
      return;
    }
    if (this.closed) {
      refuse(req, new Error("the proxy closed"));
      return;
    }
    const target = options.srtTarget;
    dialDirect(target.addresses, target.port, this.dial).then(
      (socket) => {
        // An HTTP client's connection, not a tunnel's: the server's FIN ends it, so an idle one it
        // closed leaves the free list instead of taking the next request.
        socket.allowHalfOpen = false;
        // A request head is one write; Nagle would hold it behind an unacknowledged one.
        socket.setNoDelay(true);
        socket.setKeepAlive(true, keepAliveMs);
        this.keyOfSocket.set(socket, options.srtKey);
        socket.on("free", () => this.release(socket));
        socket.once("close", () => this.forget(socket));
        req.onSocket(socket);
      },
      (e: Error) => refuse(req, e),
    );
  }

  /** After a response that left the connection usable (http.request says so with "free"). */
  private release(socket: net.Socket): void {
    const req = (socket as { _httpMessage?: Finished | null })._httpMessage;
    let idleMs = poolIdleMs;
    // The server's Keep-Alive timeout, less a margin; too short a one, and the connection is not kept.
    const hint = keepAliveHeader(req?.res?.rawHeaders);
    const seconds = hint === undefined ? undefined : /^timeout=(\d+)/.exec(hint)?.[1];
    if (seconds !== undefined) idleMs = Math.min(idleMs, Number(seconds) * 1000 - hintMarginMs);
    const key = this.keyOfSocket.get(socket);
    const list = key === undefined ? undefined : this.free.get(key);
    if (
      this.closed ||
      !socket.writable ||
      req?.shouldKeepAlive !== true ||
      idleMs <= 0 ||
      key === undefined ||
      // As many idle connections per key as Node's Agent keeps (maxFreeSockets): a burst's peak is not held on to.
      (list?.length ?? 0) >= maxFreePerKey
    ) {
      socket.destroy();
      return;
    }
    (socket as { _httpMessage?: unknown })._httpMessage = null;
    this.idleUntil.set(socket, Date.now() + idleMs);
    // An idle connection does not keep the process alive (as with Node's Agent).
    socket.unref();
    if (list === undefined) this.free.set(key, [socket]);
    else list.push(socket);
  }

  private forget(socket: net.Socket): void {
    const key = this.keyOfSocket.get(socket);
    const list = key === undefined ? undefined : this.free.get(key);
    const at = list?.indexOf(socket) ?? -1;
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0) this.free.delete(key!);
  }

  /** Closes the free connections past their deadline (or all of them). */
  sweep(now: number): void {
    for (const list of [...this.free.values()])
      for (const s of [...list]) if ((this.idleUntil.get(s) ?? 0) <= now) s.destroy();
  }
}

export function createHttpPool(dial: DialOptions): HttpPool {
  const pool = new Pool(dial);
  // A quarter of the idle time: a connection is closed at most that late (the server's hint has a margin of a second).
  const sweeper = setInterval(() => pool.sweep(Date.now()), poolIdleMs / 4);
  sweeper.unref();
  return {
    // The pool stands in for an http.Agent: http.request only calls addRequest and reads keepAlive.
    options: (target): PoolOptions => ({
      agent: pool as unknown as http.Agent,
      srtTarget: target,
      srtKey: keyOf(target),
    }),
    holds(socket, target) {
      const remote = socket.remoteAddress;
      if (remote === undefined || socket.remotePort !== target.port) return false;
      if (target.addresses.includes(remote)) return true;
      // Node may spell it otherwise (an IPv4-mapped IPv6 address); the route holds canonical text.
      const peer = canonicalizeHost(remote);
      return peer !== null && peer.kind !== "name" && target.addresses.includes(peer.address);
    },
    close() {
      clearInterval(sweeper);
      pool.closed = true;
      pool.sweep(Infinity);
    },
  };
}
