/**
 * The SOCKS5 proxy (RFC 1928, username/password per RFC 1929). Only CONNECT
 * is offered: BIND and UDP ASSOCIATE would open listening or datagram paths
 * the host-name policy cannot see. Anything that is not SOCKS5 (SOCKS4,
 * garbage) is closed without an answer: there is no SOCKS5 reply that a
 * non-SOCKS5 client could understand.
 */
import net from "node:net";
import { createByteReader, type ByteReader } from "./byte-reader.js";
import { dialTunnel, DialError, type DialOptions } from "./dial.js";
import { createEndpoints } from "./endpoints.js";
import { createGate, printable, recorder, type Gate } from "./gate.js";
import { currentNetwork } from "./tls/context.js";
import type { Origin, RequestFilters } from "../../compiler/ir.js";
import { systemResolver } from "./resolver.js";
import type { TunnelRelay } from "./native-relay.js";
import { joinTunnel } from "./tunnel.js";
import { defaultLimits, type NetworkProxy, type ProxyDeps, type ProxyLimits } from "./types.js";

/** RFC 1928 §6 reply codes. */
export const socksReply = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

const METHOD_NONE = 0x00;
const METHOD_USERPASS = 0x02;
const NO_ACCEPTABLE = 0xff;

/** A reply with the bound address; clients of CONNECT ignore it, so 0.0.0.0:0 unless we know better. */
function reply(code: number, bound?: net.Socket): Buffer {
  const addr = bound?.localAddress;
  const port = bound?.localPort ?? 0;
  if (addr !== undefined && net.isIPv6(addr)) {
    const b = Buffer.alloc(22);
    b.set([5, code, 0, 4]);
    const groups = expandIpv6(addr);
    groups.forEach((g, i) => b.writeUInt16BE(g, 4 + 2 * i));
    b.writeUInt16BE(port, 20);
    return b;
  }
  const b = Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
  if (addr !== undefined && net.isIPv4(addr)) addr.split(".").forEach((o, i) => b.writeUInt8(Number(o), 4 + i));
  b.writeUInt16BE(port, 8);
  return b;
}

function expandIpv6(a: string): number[] {
  const [head = "", tail = ""] = a.split("::");
  const parse = (s: string): number[] => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const h = parse(head);
  const t = parse(tail);
  return a.includes("::") ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
}

function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(":");
}

/**
 * Method negotiation. "No authentication" is preferred; a client that offers
 * only RFC 1929 username/password gets it, and any username and password are
 * accepted (the proxy's socket is reachable only from the run's sandbox).
 * False = the socket is done.
 */
async function authenticate(r: ByteReader, socket: net.Socket): Promise<boolean> {
  const [version, count] = await r.read(2);
  if (version !== 5 || count === 0) return false;
  const methods = await r.read(count!);
  const method = methods.includes(METHOD_NONE)
    ? METHOD_NONE
    : methods.includes(METHOD_USERPASS)
      ? METHOD_USERPASS
      : NO_ACCEPTABLE;
  socket.write(Buffer.from([5, method]));
  if (method === NO_ACCEPTABLE) return false;
  if (method === METHOD_NONE) return true;
  const [subVersion, ulen] = await r.read(2);
  if (subVersion !== 1) return false;
  await r.read(ulen!);
  const [plen] = await r.read(1);
  await r.read(plen!);
  socket.write(Buffer.from([1, 0]));
  return true;
}

/** Reads the request; returns the destination, or a reply code to fail with. */
async function readRequest(r: ByteReader): Promise<{ host: string; port: number } | { fail: number } | undefined> {
  const [version, command, , atyp] = await r.read(4);
  if (version !== 5) return undefined;
  let host: string;
  if (atyp === 1) host = [...(await r.read(4))].join(".");
  else if (atyp === 4) host = `[${ipv6Text(await r.read(16))}]`;
  else if (atyp === 3) {
    const [len] = await r.read(1);
    // latin1 keeps every byte visible to canonicalizeHost, which refuses what is not a host name.
    host = (await r.read(len!)).toString("latin1");
  } else return { fail: socksReply.addressTypeNotSupported };
  const port = (await r.read(2)).readUInt16BE(0);
  if (command !== 1) return { fail: socksReply.commandNotSupported };
  return { host, port };
}

const dialFailureCode = (e: unknown): number => {
  const code = e instanceof DialError ? e.code : "";
  if (code === "ECONNREFUSED") return socksReply.connectionRefused;
  if (code === "ENETUNREACH") return socksReply.networkUnreachable;
  if (code === "EHOSTUNREACH" || code === "ETIMEDOUT") return socksReply.hostUnreachable;
  return socksReply.generalFailure;
};

async function serve(
  socket: net.Socket,
  gate: Gate,
  dial: DialOptions,
  limits: ProxyLimits,
  relay: TunnelRelay | undefined,
  opaque: {
    readonly policy: () => RequestFilters | undefined;
    readonly refuse: (host: string, port: number, reason: string, rule?: Origin) => void;
  },
): Promise<void> {
  const r = createByteReader(socket, limits.handshakeTimeoutMs, 1024);
  let request: Awaited<ReturnType<typeof readRequest>>;
  try {
    if (!(await authenticate(r, socket))) {
      r.release();
      socket.end(() => socket.destroy());
      return;
    }
    request = await readRequest(r);
  } catch {
    r.release();
    socket.destroy();
    return;
  }
  r.release();
  const finish = (code: number): void => {
    socket.end(reply(code), () => socket.destroy());
  };
  if (request === undefined) return void socket.destroy();
  if ("fail" in request) return finish(request.fail);
  const refuseOpaque = opaque.policy()?.refuseOpaqueTunnels;
  if (refuseOpaque?.value) {
    opaque.refuse(
      printable(request.host),
      request.port,
      "every SOCKS connection is an opaque tunnel, which refuseOpaqueTunnels refuses",
      refuseOpaque.origin,
    );
    return finish(socksReply.notAllowed);
  }
  const decision = await gate.decide(request.host, request.port, "socks");
  if (!decision.ok) return finish(decision.refused ? socksReply.notAllowed : socksReply.hostUnreachable);
  let upstream: net.Socket;
  try {
    upstream = await dialTunnel(decision.route, dial);
  } catch (e) {
    return finish(dialFailureCode(e));
  }
  if (socket.destroyed) return void upstream.destroy();
  socket.write(reply(socksReply.succeeded, upstream));
  joinTunnel(relay, socket, upstream, Buffer.alloc(0), limits.halfCloseTimeoutMs);
}

export function createSocksProxy(deps: ProxyDeps): NetworkProxy {
  const limits = { ...defaultLimits, ...deps.limits };
  const gate = createGate(deps, deps.resolve ?? systemResolver, limits.connectTimeoutMs, limits.askTimeoutMs);
  const dial: DialOptions = {
    timeoutMs: limits.connectTimeoutMs,
    maxHeaderBytes: limits.maxHeaderBytes,
    authorization: deps.upstreamAuthorization,
    track: (s) => endpoints.track(s),
  };
  const opaque = { policy: () => currentNetwork(deps).requestFilters, refuse: recorder(deps, "socks") };
  const endpoints = createEndpoints(
    () => net.createServer({ allowHalfOpen: true }),
    (socket) => void serve(socket, gate, dial, limits, deps.relay, opaque).catch(() => socket.destroy()),
  );
  return {
    listen: (target) => endpoints.listen(target),
    close: (graceMs) => endpoints.close(graceMs),
    get openSockets() {
      return endpoints.openSockets;
    },
  };
}
