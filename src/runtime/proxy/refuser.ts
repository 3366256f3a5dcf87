/**
 * The refusing endpoint: what a run that may reach no host gets instead of the
 * proxies (issue 19). Such a run still points the command's HTTP(S)_PROXY and
 * ALL_PROXY at 127.0.0.1:3128 and :1080, so that npm, pip and git get an
 * immediate refusal instead of retrying a dead network, and srt's summary
 * names the refused host. Every request is refused: nothing is resolved,
 * dialled or relayed, so none of the proxy code (node:http, node:tls, the
 * resolver, the dialler) is loaded — a few milliseconds and megabytes off
 * every such run.
 *
 * The answers and the recorded refusals are the proxies' own (a test compares
 * them): HTTP gets srt's 403 (http-answer.ts) for CONNECT and absolute-form
 * requests, 400 for what the HTTP proxy would not take either; SOCKS5 gets
 * method negotiation as in socks.ts, then reply 0x02 "not allowed by ruleset";
 * anything else is closed. The reason is decided in the gate's order
 * (gate.ts): an invalid host or port, an explicit deny rule, strictAllowlist,
 * else "not in allowedDomains". A policy with an allow rule never gets here
 * (plan.network.proxies), and if one did, its request would still be refused.
 */
import net from "node:net";
import { canonicalizeHost, hostPort, matchNetRules } from "../../compiler/domains/index.js";
import type { Origin } from "../../compiler/ir.js";
import { createByteReader } from "./byte-reader.js";
import { createEndpoints } from "./endpoints.js";
import { answerRaw, type Answer } from "./http-answer.js";
import { parseAbsoluteTarget, parseAuthority } from "./http-target.js";
import { printable } from "./printable.js";
import {
  defaultLimits,
  type NetworkProxy,
  type NetworkViolation,
  type ProxyDeps,
  type ProxyNetworkPolicy,
} from "./types.js";

/** Why host:port is refused, in the words and with the rule the gate would use. */
export function refusalOf(
  network: ProxyNetworkPolicy,
  rawHost: string,
  port: number,
): { readonly host: string; readonly reason: string; readonly rule?: Origin } {
  const host = canonicalizeHost(rawHost);
  const shownHost = host === null ? printable(rawHost) : host.kind === "name" ? host.name : host.address;
  if (host === null) return { host: shownHost, reason: `"${shownHost}" is not a valid host name or address` };
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return { host: shownHost, reason: `port ${port} is not 1–65535` };
  const verdict = matchNetRules(network.rules, host, port);
  const shown = hostPort(host, port);
  if (verdict.verdict === "deny" && verdict.rule !== undefined)
    return { host: shownHost, reason: verdict.reason, rule: verdict.rule.origin };
  if (verdict.verdict === "deny" && network.strictAllowlist?.value === true)
    return {
      host: shownHost,
      reason: `${verdict.reason} (strictAllowlist: not asked)`,
      rule: network.strictAllowlist.origin,
    };
  if (verdict.verdict === "deny") return { host: shownHost, reason: `${shown} is not in allowedDomains` };
  return { host: shownHost, reason: `${shown} is allowed, but this run has no proxy to reach it` };
}

/** Records the refusal (a failing sink never turns it into anything else) and returns its reason. */
function refuse(deps: ProxyDeps, proxy: NetworkViolation["proxy"], rawHost: string, port: number): string {
  const network = typeof deps.network === "function" ? deps.network() : deps.network;
  const r = refusalOf(network, rawHost, port);
  const event: NetworkViolation = {
    kind: "network",
    time: (deps.now?.() ?? new Date()).toISOString(),
    proxy,
    host: r.host,
    port,
    reason: r.reason,
    ...(r.rule === undefined ? {} : { rule: r.rule }),
  };
  try {
    deps.onViolation(event);
  } catch {
    // as in gate.ts: the refusal stands
  }
  return r.reason;
}

/** The HTTP side: one request head per connection, answered and closed. */
export function createRefusingHttpProxy(deps: ProxyDeps): NetworkProxy {
  const limits = { ...defaultLimits, ...deps.limits };
  const endpoints = createEndpoints(
    () => net.createServer({ allowHalfOpen: true }),
    (socket) => {
      let head = Buffer.alloc(0);
      const timer = setTimeout(
        () => done({ status: 408, reason: `no complete request head within ${limits.handshakeTimeoutMs} ms` }),
        limits.handshakeTimeoutMs,
      );
      const done = (a: Answer): void => {
        clearTimeout(timer);
        socket.removeListener("data", onData);
        answerRaw(socket, a);
      };
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) {
          if (head.length > limits.maxHeaderBytes)
            done({ status: 431, reason: `request head larger than ${limits.maxHeaderBytes} bytes` });
          return;
        }
        done(answerHead(deps, head.subarray(0, end).toString("latin1")));
      };
      socket.on("data", onData);
      socket.once("close", () => clearTimeout(timer));
    },
  );
  return proxyOf(endpoints);
}

/** The answer to one request head (request line and header lines, without the blank line). */
function answerHead(deps: ProxyDeps, head: string): Answer {
  const [line = "", ...headers] = head.split("\r\n");
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m) return { status: 400, reason: "malformed request (not an HTTP/1.x request line)" };
  const [, method, target] = m as unknown as [string, string, string];
  if (method === "CONNECT") {
    const authority = parseAuthority(target);
    if (!authority.ok) return { status: 400, reason: authority.reason };
    return { status: 403, reason: refuse(deps, "http", authority.value.host, authority.value.port), refused: true };
  }
  // Node's HTTP server hands a request with "Connection: upgrade" and an Upgrade header to the proxy's upgrade handler.
  const field = (name: string): string | undefined =>
    headers.find((h) => h.slice(0, name.length + 1).toLowerCase() === `${name}:`)?.slice(name.length + 1);
  const upgrade = field("upgrade");
  if (upgrade !== undefined && /(^|,)\s*upgrade\s*(,|$)/i.test(field("connection") ?? ""))
    return { status: 400, reason: "Upgrade is not supported through the srt proxy; use CONNECT (wss://)" };
  const absolute = parseAbsoluteTarget(target);
  if (!absolute.ok) return { status: 400, reason: absolute.reason };
  const { host, port } = absolute.value.authority;
  return { status: 403, reason: refuse(deps, "http", host, port), refused: true };
}

const METHOD_NONE = 0x00;
const METHOD_USERPASS = 0x02;
const NOT_ALLOWED = 0x02;
const COMMAND_NOT_SUPPORTED = 0x07;
const ADDRESS_TYPE_NOT_SUPPORTED = 0x08;

/** The SOCKS5 side: method negotiation (any credentials pass, as in socks.ts), then "not allowed" for every CONNECT. */
export function createRefusingSocksProxy(deps: ProxyDeps): NetworkProxy {
  const limits = { ...defaultLimits, ...deps.limits };
  const endpoints = createEndpoints(
    () => net.createServer({ allowHalfOpen: true }),
    (socket) =>
      void (async () => {
        const r = createByteReader(socket, limits.handshakeTimeoutMs, 1024);
        let code: number | undefined;
        try {
          const [version, count] = await r.read(2);
          if (version !== 5 || count === 0) return void socket.end(() => socket.destroy());
          const methods = await r.read(count!);
          const method = methods.includes(METHOD_NONE)
            ? METHOD_NONE
            : methods.includes(METHOD_USERPASS)
              ? METHOD_USERPASS
              : 0xff;
          socket.write(Buffer.from([5, method]));
          if (method === 0xff) return void socket.end(() => socket.destroy());
          if (method === METHOD_USERPASS) {
            const [subVersion, ulen] = await r.read(2);
            if (subVersion !== 1) return void socket.end(() => socket.destroy());
            await r.read(ulen!);
            const [plen] = await r.read(1);
            await r.read(plen!);
            socket.write(Buffer.from([1, 0]));
          }
          const [v, command, , atyp] = await r.read(4);
          if (v !== 5) return void socket.destroy();
          let host: string;
          if (atyp === 1) host = [...(await r.read(4))].join(".");
          else if (atyp === 4) {
            const b = await r.read(16);
            const groups: string[] = [];
            for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
            host = `[${groups.join(":")}]`;
          } else if (atyp === 3) {
            const [len] = await r.read(1);
            host = (await r.read(len!)).toString("latin1");
          } else {
            code = ADDRESS_TYPE_NOT_SUPPORTED;
            return;
          }
          const port = (await r.read(2)).readUInt16BE(0);
          if (command !== 1) code = COMMAND_NOT_SUPPORTED;
          else {
            refuse(deps, "socks", host, port);
            code = NOT_ALLOWED;
          }
        } catch {
          socket.destroy();
        } finally {
          r.release();
          if (code !== undefined) socket.end(Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]), () => socket.destroy());
        }
      })(),
  );
  return proxyOf(endpoints);
}

function proxyOf(endpoints: ReturnType<typeof createEndpoints>): NetworkProxy {
  return {
    listen: (target) => endpoints.listen(target),
    close: (graceMs) => endpoints.close(graceMs),
    get openSockets() {
      return endpoints.openSockets;
    },
  };
}
