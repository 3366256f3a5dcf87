/**
 * What the proxies need from the outside world, injected so two proxy sets
 * with different policies can live in one process and tests never touch a
 * real resolver or a non-loopback address.
 */
import type { NetworkPolicy, Origin } from "../../compiler/ir.js";
import type { TunnelRelay } from "./native-relay.js";
import type { UpstreamAuthorization } from "./upstream.js";
import type { MaskSet } from "./credentials/masks.js";
import type { TlsTerminator } from "./tls/terminate.js";
import type { FilterRequestCallback } from "./request-filters.js";

/** Name → addresses (IPv4/IPv6 text), in the order they should be tried. */
export type Resolver = (name: string) => Promise<readonly string[]>;

/** A refusal, as recorded and reported (JSON-serializable). */
export interface NetworkViolation {
  readonly kind: "network";
  /** ISO 8601. */
  readonly time: string;
  readonly proxy: "http" | "socks";
  /** The host as the client asked for it (canonical when it was valid). */
  readonly host: string;
  readonly port: number;
  readonly reason: string;
  /** Origin of the deciding rule; absent when nothing matched (default deny). */
  readonly rule?: Origin;
}

/** The part of a network policy the proxies decide with. */
export type ProxyNetworkPolicy = Pick<
  NetworkPolicy,
  "rules" | "deniedResolvedAddresses" | "mitmProxy" | "parentProxy" | "strictAllowlist" | "requestFilters"
>;

/** A destination no rule decided (on neither list), as the ask callback sees it. */
export interface AskQuery {
  readonly host: string;
  readonly port: number;
}
/** Only `true` allows; anything else (false, `{allow: false, reason}`, any other value) denies. */
export type AskAnswer = boolean | { readonly allow: false; readonly reason: string };
export type AskCallback = (query: AskQuery) => AskAnswer | Promise<AskAnswer>;

export interface ProxyLimits {
  /** Largest request head (HTTP) accepted; larger gets 431. */
  readonly maxHeaderBytes: number;
  /** From accept (or the end of the previous response) to a complete request head / SOCKS request. */
  readonly handshakeTimeoutMs: number;
  /** Resolving plus connecting to the destination (all addresses together). */
  readonly connectTimeoutMs: number;
  /** A tunnel where one side has sent FIN ends after this long without traffic (see splice.ts). */
  readonly halfCloseTimeoutMs: number;
  /** How long the ask callback may take before the request is refused. */
  readonly askTimeoutMs: number;
  /**
   * Plain HTTP (absolute-form): from the end of the request to the upstream's
   * response head; longer gets 504. Tunnels have no such limit (the proxy
   * cannot tell a slow answer from a quiet protocol inside them).
   */
  readonly responseTimeoutMs: number;
}

export const defaultLimits: ProxyLimits = {
  maxHeaderBytes: 16 * 1024,
  handshakeTimeoutMs: 10_000,
  connectTimeoutMs: 15_000,
  halfCloseTimeoutMs: 60_000,
  askTimeoutMs: 30_000,
  responseTimeoutMs: 120_000,
};

export interface ProxyDeps {
  /**
   * The policy, or a function the gate calls once per request (live updates):
   * each decision uses one snapshot, so a replaced policy applies atomically to
   * new requests while tunnels already open keep going.
   */
  readonly network: ProxyNetworkPolicy | (() => ProxyNetworkPolicy);
  /** Asked about destinations on neither list (never about explicit denies); absent = deny. */
  readonly ask?: AskCallback;
  readonly onViolation: (v: NetworkViolation) => void;
  /**
   * Proxy-Authorization for a parentProxy entry with credentials (the IR only
   * says where they are); absent or undefined = such an upstream is not dialled.
   */
  readonly upstreamAuthorization?: UpstreamAuthorization;
  /** Defaults to the system resolver (getaddrinfo). */
  readonly resolve?: Resolver;
  readonly now?: () => Date;
  readonly limits?: Partial<ProxyLimits>;
  /** Copies allowed CONNECT/SOCKS tunnels natively (native-relay.ts); absent = Node's splice. */
  readonly relay?: TunnelRelay;
  /** network.tlsTerminate for this run (tls/terminate.ts); absent = every CONNECT is an opaque tunnel. */
  readonly tls?: TlsTerminator | undefined;
  /** The run's masked credentials, for plain-HTTP requests (credentials/plain.ts). */
  readonly masks?: MaskSet | undefined;
  /** A library's per-request hook (request-filters.ts), on plain HTTP and terminated HTTPS; absent = none. */
  readonly filterRequest?: FilterRequestCallback | undefined;
}

/** A unix socket path, a TCP port (loopback unless host says otherwise), or an inherited listening socket. */
export type ListenTarget =
  { readonly path: string } | { readonly port: number; readonly host?: string } | { readonly fd: number };
export type ListenAddress =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

export interface NetworkProxy {
  /** May be called more than once (e.g. a unix socket for the sandbox and a loopback port for tests). */
  listen(target: ListenTarget): Promise<ListenAddress>;
  /**
   * Stops listening and destroys every client and upstream socket; with
   * graceMs, connections already open get that long to end on their own first.
   */
  close(graceMs?: number): Promise<void>;
  /** Open sockets (clients and upstreams), for leak checks. */
  readonly openSockets: number;
}
