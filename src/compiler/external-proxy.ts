/**
 * Keys that only srt's own proxies can carry out, in a policy that sends a side to the
 * user's own proxy instead.
 *
 * `httpProxyPort` makes the sandbox's HTTP side a relay to a program srt does not
 * control: srt's HTTP proxy never sees those requests, so it cannot terminate their TLS,
 * swap a masked credential back, or apply a request filter. `socksProxyPort` does the
 * same to SOCKS, which `refuseOpaqueTunnels` promises to refuse. The reference runs such
 * a policy and quietly drops those keys; srt refuses it (SRT448), because a rule that
 * reads as enforced must be enforced or not run at all.
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { NetworkPolicy, Origin } from "./ir.js";

/** What each key would have needed srt's HTTP proxy for; shown in SRT448. */
const httpSideKeys = {
  tlsTerminate: "terminates HTTPS in srt's HTTP proxy",
  credentials: "swaps masked credentials back in srt's HTTP proxy",
  refuseOpaqueTunnels: "is checked by srt's HTTP and SOCKS proxies",
  requireHostMatch: "is checked by srt's HTTP proxy",
  stripResponseHeaders: "is applied by srt's HTTP proxy",
  allowPlaintextHeaderSet: "is applied by srt's HTTP proxy",
  ambiguousRequestTarget: "is applied by srt's HTTP proxy",
} as const;

type ExternalProxyKey = keyof typeof httpSideKeys;

/** SRT448 for every key the policy's own proxy ports would leave unenforced. */
export function externalProxyDiagnostics(net: NetworkPolicy): Diagnostic[] {
  const found: { key: ExternalProxyKey; origin: Origin; port: "httpProxyPort" | "socksProxyPort" }[] = [];
  const f = net.requestFilters;
  if (net.httpProxyPort !== undefined) {
    const port = "httpProxyPort" as const;
    if (net.tlsTerminate) found.push({ key: "tlsTerminate", origin: net.tlsTerminate.origin, port });
    for (const m of net.masks?.entries ?? []) found.push({ key: "credentials", origin: m.origin, port });
    if (f?.refuseOpaqueTunnels?.value === true)
      found.push({ key: "refuseOpaqueTunnels", origin: f.refuseOpaqueTunnels.origin, port });
    if (f?.requireHostMatch?.value === true)
      found.push({ key: "requireHostMatch", origin: f.requireHostMatch.origin, port });
    if (f?.stripResponseHeaders && f.stripResponseHeaders.names.length > 0)
      found.push({ key: "stripResponseHeaders", origin: f.stripResponseHeaders.origin, port });
    if (f?.allowPlaintextHeaderSet?.value === true)
      found.push({ key: "allowPlaintextHeaderSet", origin: f.allowPlaintextHeaderSet.origin, port });
    if (f?.ambiguousRequestTarget)
      found.push({ key: "ambiguousRequestTarget", origin: f.ambiguousRequestTarget.origin, port });
  } else if (net.socksProxyPort !== undefined && f?.refuseOpaqueTunnels?.value === true) {
    found.push({ key: "refuseOpaqueTunnels", origin: f.refuseOpaqueTunnels.origin, port: "socksProxyPort" });
  }
  return found.map(({ key, origin, port }) => diagnostic("SRT448", origin, { key, port, does: httpSideKeys[key] }));
}
