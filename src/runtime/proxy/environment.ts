/**
 * The environment that points tools inside the sandbox at srt's proxies. The
 * sandbox has no network but `lo`, so these variables are how traffic gets
 * out at all; a tool that ignores them simply fails to connect. NO_PROXY only
 * lists loopback names: inside the sandbox those reach the sandbox's own
 * `lo`, never the host or another machine.
 */
import type { NetworkPolicy } from "../../compiler/ir.js";

export interface ProxyEnvironmentOptions {
  /** Ports inside the sandbox (the runtime bridges them to the host unix sockets). */
  readonly httpPort: number;
  readonly socksPort: number;
  /**
   * Hosts that bypass the proxies (default: localhost, 127.0.0.1, ::1 — the
   * sandbox's own lo). A loopback host the policy allows is left out, so that
   * tools send it to the proxy, which reaches the host's loopback.
   */
  readonly noProxy?: readonly string[];
  /** Where the proxies listen (default 127.0.0.1, the sandbox's lo); a pod names the proxy's Service. */
  readonly host?: string;
}

export interface ProxyVariable {
  readonly name: string;
  readonly value: string;
  /** One line for `srt explain`. */
  readonly why: string;
}

const defaultNoProxy = ["localhost", "127.0.0.1", "::1"] as const;

/**
 * NO_PROXY for a policy: the loopback names stay direct (the sandbox's own
 * lo), except those the policy allows — those mean the *host's* loopback,
 * which only the proxy can reach, so tools must not bypass it for them.
 */
export function directLoopback(network: Pick<NetworkPolicy, "rules">): string[] {
  const allowed = (h: string): boolean =>
    network.rules.some(
      (r) =>
        r.effect === "allow" &&
        ((r.host.kind === "name" && r.host.name === h) ||
          ((r.host.kind === "ipv4" || r.host.kind === "ipv6") && r.host.address === h)),
    );
  return defaultNoProxy.filter((h) => !allowed(h));
}

/**
 * The proxies take no credentials: their sockets are reachable only from the
 * run's own sandbox, and clients that cannot send credentials (nc -X 5, the
 * JVM without an Authenticator) work unchanged.
 */
export function proxyVariables(o: ProxyEnvironmentOptions): readonly ProxyVariable[] {
  const loopbackHost = o.host ?? "127.0.0.1";
  const direct = o.noProxy ?? defaultNoProxy;
  const noProxy = direct.join(",");
  const http = `http://${loopbackHost}:${o.httpPort}`;
  const socks = `socks5h://${loopbackHost}:${o.socksPort}`;
  const sshProxy = `nc -X 5 -x ${loopbackHost}:${o.socksPort} %h %p`;
  const java = [
    `-Dhttp.proxyHost=${loopbackHost}`,
    `-Dhttp.proxyPort=${o.httpPort}`,
    `-Dhttps.proxyHost=${loopbackHost}`,
    `-Dhttps.proxyPort=${o.httpPort}`,
    `-Dhttp.nonProxyHosts=${direct.map((h) => (h.includes(":") ? `[${h}]` : h)).join("|")}`,
    `-DsocksProxyHost=${loopbackHost}`,
    `-DsocksProxyPort=${o.socksPort}`,
  ].join(" ");
  const both = (name: string, value: string, why: string): ProxyVariable[] => [
    { name, value, why },
    { name: name.toLowerCase(), value, why: `${why} (lower-case form; curl and wget read only this one for http)` },
  ];
  return [
    ...both("HTTP_PROXY", http, "plain-HTTP requests go through srt's HTTP proxy"),
    ...both("HTTPS_PROXY", http, "HTTPS goes through the same proxy as CONNECT tunnels (TLS stays end to end)"),
    ...both(
      "ALL_PROXY",
      socks,
      "everything else (curl, git, many libraries) through srt's SOCKS5 proxy, names resolved by the proxy",
    ),
    ...both("NO_PROXY", noProxy, "loopback stays direct: inside the sandbox it is the sandbox's own lo"),
    {
      name: "GIT_SSH_COMMAND",
      value: `ssh -o ProxyCommand='${sshProxy}'`,
      why: "git over ssh tunnels through the SOCKS5 proxy with netcat-openbsd",
    },
    { name: "npm_config_proxy", value: http, why: "npm's proxy for http registries" },
    { name: "npm_config_https_proxy", value: http, why: "npm's proxy for https registries" },
    { name: "npm_config_noproxy", value: noProxy, why: "npm: loopback stays direct" },
    { name: "YARN_HTTP_PROXY", value: http, why: "yarn (berry) reads its own variables, not HTTP_PROXY" },
    { name: "YARN_HTTPS_PROXY", value: http, why: "yarn (berry), https registries" },
    { name: "PIP_PROXY", value: http, why: "pip's --proxy" },
    {
      name: "RSYNC_PROXY",
      value: `${loopbackHost}:${o.httpPort}`,
      why: "rsync daemon connections through the HTTP proxy (CONNECT)",
    },
    { name: "NODE_USE_ENV_PROXY", value: "1", why: "Node ≥ 24.5 honours HTTP(S)_PROXY only with this set" },
    {
      name: "JAVA_TOOL_OPTIONS",
      value: java,
      why: "JVM proxy properties (http, https, SOCKS)",
    },
  ];
}

/** Name → value for the sandboxed command's environment. */
export function proxyEnvironment(o: ProxyEnvironmentOptions): Record<string, string> {
  return Object.fromEntries(proxyVariables(o).map((v) => [v.name, v.value]));
}

/** For `srt explain`: every variable with its value and why it is set. */
export function explainProxyEnvironment(o: ProxyEnvironmentOptions): readonly ProxyVariable[] {
  return proxyVariables(o);
}
