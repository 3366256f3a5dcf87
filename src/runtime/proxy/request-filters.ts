/**
 * The per-request checks of the HTTP proxy, on plain HTTP and inside a
 * TLS-terminated tunnel alike: requireHostMatch (421), ambiguousRequestTarget
 * (400 / as spelled / normalized), a library's filterRequest callback (allow,
 * deny, header edits), allowPlaintextHeaderSet, and stripResponseHeaders on
 * the way back. Every refusal is answered with the reason and recorded as a
 * violation; a callback that throws, rejects or answers something malformed
 * denies (it is a security boundary: a buggy policy fails closed).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";
import { canonicalizeHost, hostPort, type CanonicalHost } from "../../compiler/domains/index.js";
import type { Origin, RequestFilters } from "../../compiler/ir.js";
import { foldHeaderName } from "../../compiler/request-filters.js";
import { answer } from "./http-answer.js";
import { parseAuthority } from "./http-target.js";

/** What a filterRequest callback answers (the reference's RequestDecision). */
export interface RequestDecision {
  readonly action: "allow" | "deny";
  /** Shown to the command in the refusal's body, and in the violation. */
  readonly reason?: string;
  /** Deny only: 400–599; anything else answers 403. */
  readonly status?: number;
  /** Allow only: headers removed from the forwarded request (folded names; framing headers never). */
  readonly removeHeaders?: readonly string[];
  /** Allow only: headers set after removeHeaders; each name first removes every spelling of itself. */
  readonly setHeaders?: ReadonlyArray<readonly [string, string]>;
  /** Allow only: told the response status and a copy of its headers; cannot change them. */
  readonly onResponse?: (status: number, headers: IncomingHttpHeaders) => void;
}

/** What the proxy knows beyond the Request itself. */
export interface RequestInfo {
  /** "https" inside a terminated tunnel, "http" for a request received in cleartext. */
  readonly scheme: "http" | "https";
  /** The TLS server name the client sent (terminated tunnels), lower case. */
  readonly sni?: string;
  /** Where the request goes: the CONNECT target or the absolute URI's host and port, canonical. */
  readonly target: { readonly host: string; readonly port: number };
  /** Path and query as the client spelled them, without a fragment. */
  readonly requestTarget: string;
  /** The same, normalized (dot segments resolved, `\` read as `/`, leading slashes collapsed). */
  readonly normalizedRequestTarget: string;
  /** Whether the two can name different resources. */
  readonly requestTargetIsAmbiguous: boolean;
  /** The client's header lines as received: name, value, name, value, … */
  readonly rawHeaders: readonly string[];
  /**
   * Only for a GET, HEAD or OPTIONS that declares a body (Content-Length or
   * Transfer-Encoding), whose Request is built without one although the body
   * is forwarded: resolves true once the request is known to carry body bytes
   * (a non-zero Content-Length, the first byte of a chunked body, or a body
   * that could not be read to its end or first byte) and false when it ends
   * empty. A callback that must have seen the whole request refuses on true.
   * The reference's `unshownBody`, with the same meaning.
   */
  readonly unshownBody?: () => Promise<boolean>;
}

/** Called once per request the proxy parses. Throwing or rejecting denies. */
export type FilterRequestCallback = (request: Request, info: RequestInfo) => RequestDecision | Promise<RequestDecision>;

export interface FilterContext {
  readonly filters: RequestFilters | undefined;
  readonly filterRequest: FilterRequestCallback | undefined;
  /** Records the violation (the answer is written here). */
  readonly refuse: (host: string, port: number, reason: string, rule?: Origin) => void;
}

/** Framing headers: never removed or set by a decision. */
const framing = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "upgrade",
  "te",
  "trailer",
  "keep-alive",
  "proxy-connection",
]);
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Controls other than tab, and anything above U+00FF, cannot go into a header value.
const badValue = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/;
const bodyless = new Set(["GET", "HEAD", "OPTIONS"]);

export interface ReadTarget {
  readonly spelled: string;
  readonly normalized: string;
  readonly ambiguous: boolean;
}

/**
 * Both readings of an origin-form target (fragment cut first), or why it is
 * refused in every mode: not origin form, or a space, control or non-ASCII
 * character in it.
 */
export function readRequestTarget(raw: string): ReadTarget | { readonly refusal: string } {
  const spelled = raw.replace(/#.*$/s, "");
  if (!spelled.startsWith("/")) return { refusal: "the request target is not in origin form (/path)" };
  if (/[\x00-\x20\x7f-\uffff]/.test(spelled))
    return { refusal: "the request target holds a space, a control character or a byte outside ASCII" };
  const q = spelled.indexOf("?");
  const path = q === -1 ? spelled : spelled.slice(0, q);
  const query = q === -1 ? "" : spelled.slice(q);
  const normalizedPath = removeDotSegments(path.replace(/\\/g, "/").replace(/^\/+/, "/"));
  return { spelled, normalized: normalizedPath + query, ambiguous: normalizedPath !== path };
}

const isDot = (s: string): boolean => /^(\.|%2e)$/i.test(s);
const isDotDot = (s: string): boolean => /^(\.|%2e)(\.|%2e)$/i.test(s);

/** RFC 3986 §5.2.4 on segments, with `%2e` read as `.`. */
function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split("/").slice(1);
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (isDot(seg)) {
      if (last) out.push("");
    } else if (isDotDot(seg)) {
      out.pop();
      if (last) out.push("");
    } else out.push(seg);
  });
  return `/${out.join("/")}`;
}

/**
 * Why the Host header(s), the TLS server name or the absolute-form authority
 * do not name host:port, or undefined when they agree. More than one Host
 * header is a mismatch; none is not.
 */
export function hostMismatch(
  hostHeaders: readonly string[],
  target: { readonly host: CanonicalHost; readonly port: number; readonly defaultPort: number },
  sni?: string,
  authority?: string,
): string | undefined {
  const want = hostPort(target.host, target.port);
  if (hostHeaders.length > 1) return `${hostHeaders.length} Host headers`;
  const names = (value: string): boolean => {
    if (value === "" || value.endsWith(".") || /\.:\d*$/.test(value)) return false;
    const a = parseAuthority(value, target.defaultPort);
    if (!a.ok) return false;
    const bracketed = a.value.text.startsWith("[");
    const h = canonicalizeHost(bracketed ? `[${a.value.host}]` : a.value.host);
    return h !== null && hostPort(h, a.value.port) === want;
  };
  for (const [what, value] of [
    ...hostHeaders.map((h) => ["Host header", h] as const),
    ...(authority === undefined ? [] : [["request-target authority", authority] as const]),
  ])
    if (!names(value)) return `the ${what} "${printableShort(value)}" does not name ${want}`;
  if (sni !== undefined) {
    const h = canonicalizeHost(sni);
    if (h === null || target.host.kind !== "name" || h.kind !== "name" || h.name !== target.host.name)
      return `the TLS server name "${printableShort(sni)}" does not name ${want}`;
  }
  return undefined;
}

const printableShort = (s: string): string => s.replace(/[^\x20-\x7e]/g, "?").slice(0, 100);

/** Flat headers without those whose folded name is in `names`. */
export function withoutFolded(flat: readonly string[], names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (!names.has(foldHeaderName(flat[i]!))) out.push(flat[i]!, flat[i + 1]!);
  return out;
}

/** A decision checked for shape; undefined = malformed (which denies). */
function wellFormed(d: unknown): RequestDecision | undefined {
  if (typeof d !== "object" || d === null) return undefined;
  const x = d as Record<string, unknown>;
  if (x["action"] !== "allow" && x["action"] !== "deny") return undefined;
  const remove = x["removeHeaders"];
  if (remove !== undefined && (!Array.isArray(remove) || !remove.every((n) => typeof n === "string" && token.test(n))))
    return undefined;
  const set = x["setHeaders"];
  if (
    set !== undefined &&
    (!Array.isArray(set) ||
      !set.every(
        (p) =>
          Array.isArray(p) &&
          p.length === 2 &&
          typeof p[0] === "string" &&
          token.test(p[0]) &&
          typeof p[1] === "string" &&
          !badValue.test(p[1]),
      ))
  )
    return undefined;
  return d as RequestDecision;
}

/** Applies an allow decision's removals, then its sets; framing headers are left alone. */
export function applyHeaderEdits(flat: readonly string[], d: RequestDecision): string[] {
  const drop = new Set<string>();
  for (const n of d.removeHeaders ?? []) drop.add(foldHeaderName(n));
  for (const [n] of d.setHeaders ?? []) drop.add(foldHeaderName(n));
  for (const f of framing) drop.delete(f);
  const out = withoutFolded(flat, drop);
  for (const [n, v] of d.setHeaders ?? []) if (!framing.has(foldHeaderName(n))) out.push(n, v);
  return out;
}

export interface Judged {
  /** The origin-form target to send. */
  readonly path: string;
  readonly headers: string[];
  /** What to forward as the body (the request itself, or the proxy's branch of a tee). */
  readonly body: Readable;
  /** Response headers to drop, folded; empty = none. */
  readonly strip: ReadonlySet<string>;
  readonly onResponse?: RequestDecision["onResponse"];
}

export interface JudgeTarget {
  readonly scheme: "http" | "https";
  readonly host: CanonicalHost;
  readonly port: number;
  /** Absolute-form authority as the client wrote it (plain HTTP). */
  readonly authority?: string;
  readonly sni?: string;
}

/**
 * Runs the checks in order — host match, request target, TRACE/TRACK,
 * filterRequest, plaintext header sets — and answers a refusal itself.
 * Returns what to forward, or undefined when the request was answered.
 */
export async function judgeRequest(
  req: IncomingMessage,
  res: ServerResponse,
  fc: FilterContext,
  t: JudgeTarget,
  rawPath: string,
  headers: string[],
): Promise<Judged | undefined> {
  const f = fc.filters;
  const name = t.host.kind === "name" ? t.host.name : t.host.address;
  const shown = hostPort(t.host, t.port);
  const refuse = (status: number, reason: string, rule?: Origin): undefined => {
    fc.refuse(name, t.port, reason, rule);
    answer(res, { status, reason, refused: true }, true);
    return undefined;
  };
  const strip = new Set(f?.stripResponseHeaders?.names ?? []);
  if (f?.requireHostMatch?.value) {
    const hosts: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      if (req.rawHeaders[i]!.toLowerCase() === "host") hosts.push(req.rawHeaders[i + 1]!);
    const why = hostMismatch(
      hosts,
      { host: t.host, port: t.port, defaultPort: t.scheme === "https" ? 443 : 80 },
      t.sni,
      t.authority,
    );
    if (why !== undefined) return refuse(421, `${why} (requireHostMatch)`, f.requireHostMatch.origin);
  }
  const mode = f?.ambiguousRequestTarget?.value ?? (fc.filterRequest === undefined ? undefined : "refuse");
  if (mode === undefined && fc.filterRequest === undefined) return { path: rawPath, headers, body: req, strip };
  const read = readRequestTarget(rawPath);
  if ("refusal" in read) return refuse(400, read.refusal, f?.ambiguousRequestTarget?.origin);
  let path = read.spelled;
  if (read.ambiguous) {
    if (mode === "refuse")
      return refuse(
        400,
        `ambiguous request target ${printableShort(read.spelled)} (normalized: ${printableShort(read.normalized)})${f?.ambiguousRequestTarget ? "" : "; refused by default while filterRequest is set"}`,
        f?.ambiguousRequestTarget?.origin,
      );
    if (mode === "normalize") path = read.normalized;
  }
  const cb = fc.filterRequest;
  if (cb === undefined) return { path, headers, body: req, strip };
  const method = req.method ?? "GET";
  if (method === "TRACE" || method === "TRACK")
    return refuse(405, `${method} is refused while filterRequest is set (its response would echo set headers)`);

  const controller = new AbortController();
  res.once("close", () => controller.abort());
  const requestHeaders = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    try {
      requestHeaders.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    } catch {
      // A header the fetch API cannot hold is still forwarded; the callback just does not see it.
    }
  }
  const url = `${t.scheme}://${shown}${read.spelled}`;
  const hasBody = !bodyless.has(method) && req.headers["content-length"] !== "0";
  const declaresBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  let body: Readable = req;
  let mine: ReadableStream<Uint8Array> | undefined;
  let unshown: Promise<boolean> | undefined;
  if (hasBody && declaresBody) {
    const [a, b] = (Readable.toWeb(req) as ReadableStream<Uint8Array>).tee();
    mine = a;
    body = Readable.fromWeb(b);
  } else if (bodyless.has(method) && declaresBody) {
    const length = req.headers["transfer-encoding"] === undefined ? req.headers["content-length"] : undefined;
    if (length !== undefined) unshown = Promise.resolve(!/^0+$/.test(length.trim()));
    else {
      // Chunked: only its first byte tells. Peek on one branch of a tee; the other is forwarded whole.
      const [a, b] = (Readable.toWeb(req) as ReadableStream<Uint8Array>).tee();
      body = Readable.fromWeb(b);
      unshown = firstByte(a);
    }
  }
  let decision: RequestDecision | undefined;
  let why = "";
  try {
    const request = new Request(url, {
      method,
      headers: requestHeaders,
      signal: controller.signal,
      ...(mine === undefined ? {} : { body: mine as unknown as NonNullable<RequestInit["body"]>, duplex: "half" }),
    } as RequestInit);
    const info: RequestInfo = {
      scheme: t.scheme,
      ...(t.sni === undefined ? {} : { sni: t.sni.toLowerCase() }),
      target: { host: name, port: t.port },
      requestTarget: read.spelled,
      normalizedRequestTarget: read.normalized,
      requestTargetIsAmbiguous: read.ambiguous,
      rawHeaders: [...req.rawHeaders],
      ...(unshown === undefined ? {} : { unshownBody: () => unshown }),
    };
    decision = wellFormed(await cb(request, info));
    if (decision === undefined) why = "filterRequest answered a malformed decision";
    // A branch the callback never read would hold the whole upload: let it go.
    if (mine !== undefined && !mine.locked) void mine.cancel().catch(() => undefined);
  } catch (e) {
    why = `filterRequest failed: ${printableShort(e instanceof Error ? e.message : String(e))}`;
  }
  // The proxy's branch of a tee is let go on a refusal; the request itself stays (destroying it would end the socket before the answer).
  const drop = (): void => {
    if (body !== req) body.destroy();
  };
  const line = `${method} ${t.scheme}://${shown}${printableShort(read.spelled)}`;
  if (decision === undefined) {
    drop();
    return refuse(403, `${why} (${line})`);
  }
  if (decision.action === "deny") {
    drop();
    const s = decision.status;
    const status = Number.isInteger(s) && s! >= 400 && s! <= 599 ? s! : 403;
    return refuse(
      status,
      `filterRequest denied ${line}: ${printableShort(decision.reason ?? "denied by sandbox policy")}`,
    );
  }
  if (t.scheme === "http" && (decision.setHeaders?.length ?? 0) > 0 && f?.allowPlaintextHeaderSet?.value !== true) {
    drop();
    return refuse(
      403,
      `filterRequest set headers on plain HTTP (${line}), which allowPlaintextHeaderSet does not allow`,
      f?.allowPlaintextHeaderSet?.origin,
    );
  }
  return {
    path,
    headers: applyHeaderEdits(headers, decision),
    body,
    strip,
    ...(decision.onResponse === undefined ? {} : { onResponse: decision.onResponse }),
  };
}

/** Whether a body stream holds a byte (true also when it fails first: unknown is not empty); the stream is let go after. */
async function firstByte(stream: ReadableStream<Uint8Array>): Promise<boolean> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      if (value.byteLength > 0) return true;
    }
  } catch {
    return true;
  } finally {
    void reader.cancel().catch(() => undefined);
  }
}

/** The response side: strip the configured headers, tell onResponse (whose failures are contained). */
export function responseHeaders(flat: readonly string[], status: number, j: Judged): string[] {
  const out = j.strip.size === 0 ? [...flat] : withoutFolded(flat, j.strip);
  if (j.onResponse !== undefined) {
    const copy: IncomingHttpHeaders = {};
    for (let i = 0; i < out.length; i += 2) {
      const k = out[i]!.toLowerCase();
      const prev = copy[k];
      copy[k] = prev === undefined ? out[i + 1]! : `${String(prev)}, ${out[i + 1]!}`;
    }
    try {
      void Promise.resolve(j.onResponse(status, copy)).catch(() => undefined);
    } catch {
      // Observes only: a throw changes nothing.
    }
  }
  return out;
}
