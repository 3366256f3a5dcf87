/**
 * Network: the sandbox reaches the world only through srt's proxies, which
 * apply the domain rules (DESIGN.md §5); the profile's part is to make the
 * proxies the only way out. SBPL network filters name hosts only as
 * "localhost" or "*", and on macOS there is no network namespace: localhost
 * is the host's own loopback, so every other local port (databases, the
 * Docker API, other agents' servers) stays closed unless the user opts in.
 */
import type { Policy } from "../../compiler/ir.js";
import { messageOf } from "./message.js";
import { blank, comment, local, pathLiteral, remote, rule, type Item } from "./sbpl.js";
import { compareStrings } from "../../compiler/compare.js";

export interface ProxyPorts {
  readonly httpPort: number;
  readonly socksPort: number;
}

/**
 * Ports for a profile compiled ahead of time (`srt compile --emit sb`): the
 * policy's fixed httpProxyPort/socksProxyPort, else the documented defaults
 * 3128 (HTTP) and 1080 (SOCKS5). At run time srt lowers the policy again
 * with the ports its proxies actually listen on, so these only matter for a
 * profile used outside srt.
 */
export const compiledProxyPorts = (policy: Policy): ProxyPorts => ({
  httpPort: policy.network.httpProxyPort ?? 3128,
  socksPort: policy.network.socksProxyPort ?? 1080,
});

export function lowerNetwork(policy: Policy, proxy: ProxyPorts, tag: string): Item[] {
  const net = policy.network;
  const items: Item[] = [
    comment(
      `default:proxy: outbound TCP only to srt's proxies (HTTP ${proxy.httpPort}, SOCKS ${proxy.socksPort}); no DNS, the proxies resolve names`,
    ),
    rule("allow", ["network-outbound"], messageOf(tag, "default:proxy"), [
      remote("tcp", `localhost:${proxy.httpPort}`),
      remote("tcp", `localhost:${proxy.socksPort}`),
    ]),
    blank,
  ];
  if (net.allowLocalBinding.value) {
    items.push(
      comment(
        `${net.allowLocalBinding.origin}: allowLocalBinding: servers may listen on loopback (connecting to other local ports stays denied)`,
      ),
      rule("allow", ["network-bind", "network-inbound"], messageOf(tag, net.allowLocalBinding.origin), [
        local("ip", "localhost:*"),
      ]),
      blank,
    );
  }
  if (net.allowAllUnixSockets.value) {
    items.push(
      comment(
        `${net.allowAllUnixSockets.origin}: allowAllUnixSockets: any unix socket may be connected to or bound (hands out every local service)`,
      ),
      rule("allow", ["network-outbound"], messageOf(tag, net.allowAllUnixSockets.origin), [remote("unix-socket")]),
      rule("allow", ["network-bind"], messageOf(tag, net.allowAllUnixSockets.origin), [local("unix-socket")]),
      blank,
    );
  } else {
    // One rule per socket, so each carries its own origin.
    for (const s of [...net.unixSockets].sort((a, b) => compareStrings(a.path, b.path))) {
      items.push(
        comment(`${s.origin}: allowUnixSockets: ${s.path}`),
        rule("allow", ["network-outbound"], messageOf(tag, s.origin), [remote("unix-socket", pathLiteral(s.path))]),
        rule("allow", ["network-bind"], messageOf(tag, s.origin), [local("unix-socket", pathLiteral(s.path))]),
        blank,
      );
    }
  }
  const enforcedByProxy = net.rules.length + net.deniedResolvedAddresses.length;
  if (enforcedByProxy > 0)
    items.push(
      comment(
        `${net.rules.length} domain rule(s) and ${net.deniedResolvedAddresses.length} address rule(s) are enforced by the proxies, not here`,
      ),
      blank,
    );
  if (net.mitmProxy !== undefined)
    items.push(
      comment(
        `${net.mitmProxy.origin}: the MITM proxy socket is used by srt's proxy on the host; the sandbox gets no access to it`,
      ),
      blank,
    );
  return items;
}
