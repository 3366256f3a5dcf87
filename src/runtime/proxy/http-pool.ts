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
import type { Duplex } from "node:stream";
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
 * connections too (Node's after 5 s, announced in Keep-Alive, which the agent
 * honours with a margin), and each one closing under a request is a retry.
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

/** Agent copies the request options it is given, so the target travels on them. */
interface PoolOptions extends http.ClientRequestArgs {
  readonly srtTarget?: PoolTarget;
}

class PoolAgent extends http.Agent {
  closed = false;
  constructor(private readonly dial: DialOptions) {
    super({ keepAlive: true, scheduling: "lifo", timeout: poolIdleMs });
  }
  override getName(options?: PoolOptions): string {
    return options?.srtTarget === undefined ? "" : keyOf(options.srtTarget);
  }
  override createConnection(
    options: PoolOptions,
    done?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const target = options.srtTarget;
    if (this.closed || target === undefined) {
      process.nextTick(() => done?.(new Error("the proxy closed"), undefined as unknown as Duplex));
      return undefined;
    }
    dialDirect(target.addresses, target.port, this.dial).then(
      (socket) => {
        // An HTTP client's connection, not a tunnel's: the server's FIN ends it, so an idle one it
        // closed leaves the free list instead of taking the next request.
        socket.allowHalfOpen = false;
        // A request head is one write; Nagle would hold it behind an unacknowledged one.
        socket.setNoDelay(true);
        done?.(null, socket);
      },
      (e: Error) => done?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
  override keepSocketAlive(socket: Duplex): void {
    // The base class answers whether the socket may be kept (false when the server's Keep-Alive is too short).
    const keep = !this.closed && (super.keepSocketAlive(socket) as unknown as boolean);
    return keep as unknown as void;
  }
  override reuseSocket(socket: Duplex, request: http.ClientRequest): void {
    super.reuseSocket(socket, request);
    // The idle timeout was for the free list; a request in progress has its own (responseTimeoutMs).
    (socket as net.Socket).setTimeout(0);
  }
}

export function createHttpPool(dial: DialOptions): HttpPool {
  const agent = new PoolAgent(dial);
  return {
    options: (target): PoolOptions => ({ agent, srtTarget: target }),
    holds(socket, target) {
      const remote = socket.remoteAddress;
      if (remote === undefined || socket.remotePort !== target.port) return false;
      if (target.addresses.includes(remote)) return true;
      // Node may spell it otherwise (an IPv4-mapped IPv6 address); the route holds canonical text.
      const peer = canonicalizeHost(remote);
      return peer !== null && peer.kind !== "name" && target.addresses.includes(peer.address);
    },
    close() {
      agent.closed = true;
      for (const list of Object.values(agent.freeSockets)) for (const s of list ?? []) s.destroy();
    },
  };
}
