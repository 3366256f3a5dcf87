/** `srt explain` lines for the request filters (network.refuseOpaqueTunnels and the rest). */
import type { NetworkPolicy } from "../compiler/ir.js";

export function requestFilterLines(n: NetworkPolicy): string[] {
  const f = n.requestFilters;
  if (f === undefined) return [];
  const out: string[] = [];
  if (f.refuseOpaqueTunnels?.value)
    out.push(
      `  opaque tunnels refused: a CONNECT srt does not TLS-terminate or that carries no TLS, and every SOCKS connection${n.tlsTerminate ? "" : " (no tlsTerminate: so all HTTPS)"}  ← ${f.refuseOpaqueTunnels.origin}`,
    );
  else if (f.refuseOpaqueTunnels)
    out.push(`  opaque tunnels allowed (refuseOpaqueTunnels false)  ← ${f.refuseOpaqueTunnels.origin}`);
  if (f.requireHostMatch)
    out.push(
      f.requireHostMatch.value
        ? `  a request whose Host header, absolute-form authority or TLS server name names another host:port is answered 421  ← ${f.requireHostMatch.origin}`
        : `  Host header not compared with the destination (requireHostMatch false)  ← ${f.requireHostMatch.origin}`,
    );
  if (f.stripResponseHeaders)
    out.push(
      `  response headers never passed to the command: ${f.stripResponseHeaders.names.join(", ")} (any case; -, _ and . alike)  ← ${f.stripResponseHeaders.origin}`,
    );
  if (f.allowPlaintextHeaderSet)
    out.push(
      f.allowPlaintextHeaderSet.value
        ? `  a library filterRequest may set headers on plain HTTP (sent in cleartext)  ← ${f.allowPlaintextHeaderSet.origin}`
        : `  a library filterRequest that sets headers on plain HTTP gets the request refused (403)  ← ${f.allowPlaintextHeaderSet.origin}`,
    );
  if (f.ambiguousRequestTarget) {
    const what = {
      refuse: "refused (400)",
      asSpelled: "forwarded as the client spelled it",
      normalize: "forwarded normalized (dot segments resolved, \\ read as /, leading slashes collapsed)",
    }[f.ambiguousRequestTarget.value];
    out.push(
      `  a request target whose normalized path differs from its spelling: ${what}  ← ${f.ambiguousRequestTarget.origin}`,
    );
  }
  return out;
}
