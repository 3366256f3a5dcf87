/**
 * Absolute-form plain HTTP: one client request → one upstream request to the
 * checked addresses. Each request on a kept-alive client connection is
 * decided on its own. A bodyless request on a direct route may reuse a
 * kept-alive upstream connection to the same host and the same checked
 * addresses (http-pool.ts says why that keeps the guard); everything else
 * gets a connection of its own, closed after the response.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type net from "node:net";
import { answer } from "./http-answer.js";
import type { HttpPool, PoolTarget } from "./http-pool.js";
import { dialDirect, dialMitmProxy, type DialOptions } from "./dial.js";
import type { Gate } from "./gate.js";
import { parseAbsoluteTarget } from "./http-target.js";
import { authorizationLine, connectUpstream } from "./upstream.js";
import { canonicalizeHost } from "../../compiler/domains/index.js";
import type { Origin } from "../../compiler/ir.js";
import type { MaskSet } from "./credentials/masks.js";
import { plainMasks, plainRequest } from "./credentials/plain.js";
import { substituteStream } from "./tls/body.js";
import { withBodyFraming } from "./body-framing.js";
import { judgeRequest, responseHeaders, type FilterContext, type Judged } from "./request-filters.js";
import { abort as reset } from "./splice.js";

/** RFC 9110 §7.6.1 plus the proxy-only and legacy ones; names listed in Connection are dropped too. */
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

/** Flat [name, value, …] without hop-by-hop headers; order and spelling kept. */
export function endToEndHeaders(raw: readonly string[]): string[] {
  // Most requests name nothing in Connection (or send none): no set to build then.
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === "connection")
      for (const n of raw[i + 1]!.split(",")) (named ??= new Set()).add(n.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!hopByHop.has(name) && named?.has(name) !== true) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/**
 * The upstream's response on to the client: its end-to-end headers (with the request filters'
 * edits when the request was judged) and its body, streamed; a body cut off upstream cuts the
 * client's response off too, so the client never takes a part for the whole: with `cut`, as a
 * reset (forwardRequest's), else by destroying the response.
 */
export function passResponse(
  upRes: IncomingMessage,
  res: ServerResponse,
  judged: Judged | undefined,
  cut: () => void = () => res.destroy(),
): void {
  upRes.on("error", () => undefined);
  upRes.once("aborted", cut);
  upRes.once("close", () => {
    if (!upRes.complete) cut();
  });
  const back = endToEndHeaders(upRes.rawHeaders);
  const status = upRes.statusCode ?? 502;
  res.writeHead(status, upRes.statusMessage ?? "", judged === undefined ? back : responseHeaders(back, status, judged));
  // pipe() without its bookkeeping (eight listeners added and removed per response): the body
  // goes on as it comes, paused while the client's side is full.
  upRes.on("data", (chunk: Buffer) => {
    if (!res.write(chunk)) upRes.pause();
  });
  res.on("drain", () => upRes.resume());
  upRes.once("end", () => res.end());
}

export async function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  gate: Gate,
  dial: DialOptions,
  /** Masked credentials (credentials/plain.ts): swapped or refused before anything is dialled. */
  plain?: {
    readonly masks: MaskSet;
    readonly refuse: (host: string, port: number, reason: string, rule: Origin) => void;
  },
  /** The request filters and a library's filterRequest (request-filters.ts); absent = none. */
  fc?: FilterContext,
  /** Kept-alive upstream connections for direct routes (http-pool.ts); absent = a new connection per request. */
  pool?: HttpPool,
): Promise<void> {
  const target = parseAbsoluteTarget(req.url ?? "");
  if (!target.ok) return answer(res, { status: 400, reason: target.reason });
  const { authority, path } = target.value;
  let streamMasks: MaskSet | undefined;
  const decision = await gate.decide(authority.host, authority.port, "http", "plain");
  if (!decision.ok)
    return answer(
      res,
      decision.refused
        ? { status: 403, reason: decision.reason, refused: true }
        : { status: 502, reason: decision.reason },
    );
  if (res.destroyed) return;
  let judged: Judged | undefined;
  // For the request filters and the masks' body check; without either, no request needs it.
  const canonical = fc !== undefined || plain !== undefined ? canonicalizeHost(authority.host) : null;
  if (fc !== undefined && canonical !== null) {
    judged = await judgeRequest(
      req,
      res,
      fc,
      { scheme: "http", host: canonical, port: authority.port, authority: authority.text },
      path,
      endToEndHeaders(req.rawHeaders),
    );
    if (judged === undefined) return;
  }
  const body = judged?.body ?? req;
  let sent = {
    path: judged?.path ?? path,
    headers: judged?.headers ?? endToEndHeaders(req.rawHeaders),
    streamBody: false,
  };
  if (plain) {
    const masks = plainMasks(plain.masks);
    const r = plainRequest(masks, req, authority.host, authority.port, sent.path, sent.headers);
    if (!r.ok) {
      const reason = `the request carries the masked credential ${r.origin}, which may not be sent to ${decision.shown}${plain.masks.allowPlaintext ? "" : " (nor over plain HTTP anywhere)"}`;
      plain.refuse(authority.host, authority.port, reason, r.origin);
      return answer(res, { status: 403, reason, refused: true }, true);
    }
    sent = r;
    if (r.streamBody) streamMasks = masks;
  }

  const route = decision.route;
  // The upstream proxy's credentials; set only on that route, and never shown.
  let proxyAuthorization: string | undefined;
  // A bodyless request on a direct route rides a kept-alive upstream connection (http-pool.ts);
  // one the server closed while idle is tried once more on a new one, which a body could not be.
  const pooled: PoolTarget | undefined =
    pool !== undefined && route.kind === "direct" && body === req && streamMasks === undefined && bodyless(req)
      ? { host: decision.shown, addresses: route.addresses, port: route.port }
      : undefined;
  let upstream: net.Socket | undefined;
  try {
    if (route.kind === "upstream") {
      const line = authorizationLine(route.proxy, dial);
      proxyAuthorization = line === "" ? undefined : line.slice("Proxy-Authorization: ".length, -2);
    }
    if (pooled === undefined)
      upstream =
        route.kind === "direct"
          ? await dialDirect(route.addresses, route.port, dial)
          : route.kind === "upstream"
            ? await connectUpstream(route.proxy, dial)
            : await dialMitmProxy(route.socketPath, dial);
  } catch (e) {
    return answer(res, { status: 502, reason: `cannot connect to ${decision.shown}: ${(e as Error).message}` });
  }
  if (res.destroyed) {
    upstream?.destroy();
    return;
  }
  // A MITM or upstream proxy is itself a proxy: it gets the absolute form.
  const requestTarget = route.kind === "direct" ? sent.path : `http://${authority.text}${sent.path}`;
  /** One request upstream: through the pool, or alone on `socket` (which is closed after it). */
  const send = (socket: net.Socket | undefined): http.ClientRequest => {
    const headers = withBodyFraming(req, sent.headers);
    headers.push("Host", authority.text);
    // Through the pool Node says keep-alive itself.
    if (socket !== undefined) headers.push("Connection", "close");
    if (proxyAuthorization !== undefined) headers.push("Proxy-Authorization", proxyAuthorization);
    return http.request({
      method: req.method ?? "GET",
      path: requestTarget,
      headers,
      setHost: false,
      ...(socket === undefined ? pool!.options(pooled!) : { createConnection: () => socket }),
    });
  };

  let up: http.ClientRequest;
  let waiting: NodeJS.Timeout | undefined;
  let timedOut = false;
  // Either side going away mid-stream tears the other down; nothing else can tell the peer.
  const abort = (): void => {
    up.destroy();
    upstream?.destroy();
  };
  res.once("close", () => {
    if (!res.writableFinished) abort();
  });
  // A response cut short reaches the client as a reset (TCP RST, or srt-bridge's), never as an end.
  const cut = (): void => {
    if (res.socket === null) res.destroy();
    else if (!res.socket.destroyed) reset(res.socket, dial.mark);
  };
  const fail = (e: Error): void => {
    if (timedOut) return;
    if (!res.headersSent) answer(res, { status: 502, reason: `${decision.shown}: ${e.message}` }, true);
    else cut();
    abort();
  };
  /** After a pooled connection the server had closed: the same request once more, on a new connection. */
  const resend = async (): Promise<void> => {
    try {
      upstream = await dialDirect(pooled!.addresses, pooled!.port, dial);
    } catch (e) {
      return fail(e as Error);
    }
    if (res.destroyed) return void upstream.destroy();
    start(send(upstream), false);
    up.end();
  };
  const start = (request: http.ClientRequest, mayResend: boolean): void => {
    up = request;
    let answered = false;
    if (pooled !== undefined && upstream === undefined)
      // Belt and braces for the pool key: the peer must be an address the guard passed for this request.
      up.once("socket", (s: net.Socket) => {
        if (!pool!.holds(s, pooled)) up.destroy(new Error("the pooled connection is not to a checked address"));
      });
    up.on("error", (e: NodeJS.ErrnoException) => {
      if (mayResend && up.reusedSocket && !answered && stale.has(e.code ?? "")) return void resend();
      fail(e);
    });
    // An upstream that accepts and never answers would hold the client forever; the clock starts once the whole request is out.
    const responseTimeoutMs = dial.responseTimeoutMs;
    if (responseTimeoutMs !== undefined && responseTimeoutMs > 0)
      up.once("finish", () => {
        waiting = setTimeout(() => {
          timedOut = true;
          answer(
            res,
            { status: 504, reason: `${decision.shown} sent no response within ${responseTimeoutMs} ms` },
            true,
          );
          abort();
        }, responseTimeoutMs);
      });
    up.once("close", () => clearTimeout(waiting));
    up.on("response", (upRes) => {
      answered = true;
      clearTimeout(waiting);
      passResponse(upRes, res, judged, cut);
    });
  };
  start(send(upstream), pooled !== undefined);
  if (pooled !== undefined) {
    // Nothing to stream: the request is complete with its head.
    req.resume();
    up!.end();
    return;
  }
  if (streamMasks && plain && canonical !== null)
    substituteStream(streamMasks, body, up!, canonical, authority.port, (origin) => {
      abort();
      plain.refuse(authority.host, authority.port, `the request body carries the masked credential ${origin}`, origin);
    });
  else body.pipe(up!);
}

/** Errors of a kept-alive connection the server closed while it sat idle: nothing of the request was handled. */
const stale = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/** No Content-Length above 0 and no Transfer-Encoding: the request has no body (RFC 9112 §6.3). */
function bodyless(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0");
}
