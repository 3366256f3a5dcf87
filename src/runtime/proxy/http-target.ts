/**
 * Where an HTTP proxy request wants to go. Parsed by hand rather than with
 * `new URL()`: the WHATWG parser rewrites paths (dot segments, percent
 * encoding), and a proxy must forward the request target the client sent.
 * The host is only split off here; canonicalizing it is the gate's job.
 */

export interface Authority {
  /** As sent, brackets removed from IPv6 literals. */
  readonly host: string;
  readonly port: number;
  /** host:port as it goes into Host headers and CONNECT lines (brackets kept). */
  readonly text: string;
}

export type Target<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** `host:port`, `[v6]:port`; `defaultPort` applies when the port is absent (not for CONNECT). */
export function parseAuthority(raw: string, defaultPort?: number): Target<Authority> {
  const m = /^(\[[0-9A-Fa-f:.%a-zA-Z]+\]|[^:[\]@/?#\s]+)(?::(\d{1,5}))?$/.exec(raw);
  if (!m) return { ok: false, reason: "the request target is not host:port" };
  const hostText = m[1]!;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port === undefined) return { ok: false, reason: "the request target has no port" };
  if (!(port >= 1 && port <= 65535)) return { ok: false, reason: `port ${m[2]} is not 1–65535` };
  const host = hostText.startsWith("[") ? hostText.slice(1, -1) : hostText;
  return { ok: true, value: { host, port, text: m[2] === undefined ? hostText : `${hostText}:${port}` } };
}

export interface AbsoluteTarget {
  readonly authority: Authority;
  /** Origin-form request target for the upstream: path and query, never empty. */
  readonly path: string;
}

/** `http://[user@]host[:port]/path?query` (absolute-form, RFC 9112 §3.2.2). Userinfo is dropped, never forwarded. */
export function parseAbsoluteTarget(url: string): Target<AbsoluteTarget> {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(url);
  if (!m) return { ok: false, reason: "a proxy request needs an absolute http:// URL (or CONNECT)" };
  const scheme = m[1]!.toLowerCase();
  if (scheme !== "http")
    return { ok: false, reason: `scheme "${scheme}" cannot be proxied as plain HTTP; use CONNECT` };
  const hostPart = m[2]!.slice(m[2]!.lastIndexOf("@") + 1);
  const authority = parseAuthority(hostPart, 80);
  if (!authority.ok) return authority;
  const rest = m[3]!.replace(/#.*$/s, "");
  const path = rest === "" ? "/" : rest.startsWith("?") ? `/${rest}` : rest;
  return { ok: true, value: { authority: authority.value, path } };
}
