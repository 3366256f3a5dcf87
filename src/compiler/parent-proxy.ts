/**
 * `network.parentProxy`: where srt's proxies send the traffic they allowed
 * when the machine itself may only reach the internet through a proxy. When
 * the key is absent, srt's own HTTP_PROXY / HTTPS_PROXY / NO_PROXY decide (as
 * curl and the reference tool read them), so srt works unchanged behind a
 * corporate proxy; the origin then says `env:HTTPS_PROXY`.
 *
 * The URL's user:password is only *located* here (its origin), never copied
 * into the IR: plans, goldens and `srt explain` must not carry a secret.
 */
import { canonicalizeHost, parseCidr } from "./domains/index.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { Origin, ParentProxy, Pointer, UpstreamProxy } from "./ir.js";

export interface ParentProxySettings {
  readonly http?: string | undefined;
  readonly https?: string | undefined;
  readonly noProxy?: string | undefined;
}

/** The URL as written, parsed; the password is dropped (only whether there is one is kept). */
export function parseProxyUrl(
  text: string,
): { ok: true; scheme: "http" | "https"; host: string; port: number; auth: boolean } | { ok: false; reason: string } {
  // Schemeless host:port as curl accepts it.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, reason: "not a URL" };
  }
  const scheme = url.protocol === "http:" ? "http" : url.protocol === "https:" ? "https" : undefined;
  if (scheme === undefined)
    return {
      ok: false,
      reason: `scheme ${url.protocol.replace(/:$/, "")} is not http or https (a SOCKS upstream is not supported)`,
    };
  if (url.pathname !== "/" && url.pathname !== "") return { ok: false, reason: "a proxy URL has no path" };
  if (url.search !== "" || url.hash !== "") return { ok: false, reason: "a proxy URL has no query or fragment" };
  const host = canonicalizeHost(url.hostname);
  if (host === null) return { ok: false, reason: "the host is not a valid name or IP address" };
  const port = url.port === "" ? (scheme === "https" ? 443 : 80) : Number(url.port);
  return {
    ok: true,
    scheme,
    host: host.kind === "name" ? host.name : host.address,
    port,
    auth: url.username !== "" || url.password !== "",
  };
}

/** The credentials of a proxy URL as a Proxy-Authorization value (runtime only; never stored). */
export function proxyAuthorization(text: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.username === "" && url.password === "") return undefined;
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(pair)))}`;
}

/** golang.org/x/net/http/httpproxy's NO_PROXY: `*`, names (suffix match, a leading dot optional), IPs and CIDRs; ports ignored. */
export function parseNoProxy(text: string, origin: Origin): ParentProxy["noProxy"] {
  const suffixes: string[] = [];
  const cidrs: string[] = [];
  let all = false;
  for (const raw of text.split(",")) {
    let entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") {
      all = true;
      continue;
    }
    const cidr = parseCidr(entry.replace(/^\[(.*)\]$/, "$1"));
    if (cidr.ok) {
      cidrs.push(cidr.cidr);
      continue;
    }
    // host:port and [v6]:port: the port is ignored, as the reference and Go do.
    const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
    if (v6) entry = v6[1]!;
    else entry = entry.replace(/:\d+$/, "");
    const asCidr = parseCidr(entry);
    if (asCidr.ok) cidrs.push(asCidr.cidr);
    else suffixes.push(entry.replace(/^\*?\./, "").replace(/\.$/, ""));
  }
  return { all, suffixes: [...new Set(suffixes)].filter((s) => s !== ""), cidrs: [...new Set(cidrs)], origin };
}

/**
 * From the settings (pointer `at`), else from srt's environment `vars`.
 * Invalid URLs in the settings are errors; in the environment they are
 * ignored with a warning, as curl ignores them (the variable may be meant for
 * other tools, and srt must still start).
 */
export function normalizeParentProxy(
  settings: ParentProxySettings | undefined,
  at: Pointer,
  vars: Readonly<Record<string, string>>,
  diagnostics: Diagnostic[],
): ParentProxy | undefined {
  const upstream = (text: string, origin: Origin, fromEnv: boolean): UpstreamProxy | undefined => {
    const r = parseProxyUrl(text);
    if (!r.ok) {
      diagnostics.push(
        diagnostic(fromEnv ? "SRT411" : "SRT410", fromEnv ? "" : (origin as Pointer), {
          source: origin,
          reason: r.reason,
        }),
      );
      return undefined;
    }
    return { scheme: r.scheme, host: r.host, port: r.port, ...(r.auth ? { credentials: origin } : {}), origin };
  };
  if (settings !== undefined) {
    const http = settings.http === undefined ? undefined : upstream(settings.http, `${at}/http`, false);
    const https = settings.https === undefined ? http : upstream(settings.https, `${at}/https`, false);
    const noProxy = parseNoProxy(settings.noProxy ?? "", settings.noProxy === undefined ? "default" : `${at}/noProxy`);
    if (http === undefined && https === undefined) return undefined;
    return { ...(http ? { http } : {}), ...(https ? { https } : {}), noProxy };
  }
  const pick = (...names: string[]): [string, string] | undefined => {
    for (const n of names) if (vars[n] !== undefined && vars[n] !== "") return [n, vars[n]!];
    return undefined;
  };
  const httpVar = pick("HTTP_PROXY", "http_proxy");
  const httpsVar = pick("HTTPS_PROXY", "https_proxy");
  const http = httpVar ? upstream(httpVar[1], `env:${httpVar[0]}`, true) : undefined;
  // HTTPS_PROXY unset: tunnels use HTTP_PROXY (curl's and most tools' behaviour).
  const https = httpsVar ? upstream(httpsVar[1], `env:${httpsVar[0]}`, true) : http;
  if (http === undefined && https === undefined) return undefined;
  const noVar = pick("NO_PROXY", "no_proxy");
  const noProxy = parseNoProxy(noVar?.[1] ?? "", noVar ? `env:${noVar[0]}` : "default");
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), noProxy };
}
