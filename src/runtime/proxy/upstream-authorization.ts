/**
 * The Proxy-Authorization a run sends to its parentProxy, found at run time
 * (the IR only says where). Pure: the run computes it before it knows whether
 * it needs the proxies, so it must not load them (upstream.ts, node:tls).
 */
import type { UpstreamProxy } from "../../compiler/ir.js";
import { parseProxyUrl, proxyAuthorization } from "../../compiler/parent-proxy.js";

/** Returns the Proxy-Authorization value for an upstream with credentials; undefined = not available. */
export type UpstreamAuthorization = (proxy: UpstreamProxy) => string | undefined;

/**
 * Where a run finds the credentials the IR only points at: `env:NAME` in
 * srt's environment, or a pointer into the settings value. The URL found
 * there must still name the same upstream (scheme, host, port) as the IR,
 * or nothing is sent: a changed variable or file never redirects credentials.
 */
export function authorizationFrom(sources: {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly settings?: unknown;
}): UpstreamAuthorization {
  return (proxy) => {
    const from = proxy.credentials;
    if (from === undefined) return undefined;
    let text: unknown;
    if (from.startsWith("env:")) text = sources.env[from.slice(4)];
    else if (from.startsWith("/")) text = valueAt(sources.settings, from);
    if (typeof text !== "string") return undefined;
    const parsed = parseProxyUrl(text);
    if (!parsed.ok || parsed.scheme !== proxy.scheme || parsed.host !== proxy.host || parsed.port !== proxy.port)
      return undefined;
    return proxyAuthorization(text);
  };
}

function valueAt(value: unknown, pointer: string): unknown {
  let v = value;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
