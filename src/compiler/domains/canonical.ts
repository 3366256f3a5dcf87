/**
 * Hosts seen at run time (CONNECT targets, SOCKS requests, Host headers) →
 * one canonical form, so matching cannot be dodged by spelling: case, a
 * trailing dot, IPv4 shorthand (`127.1`, `0x7f.1`, `2130706433`), IPv6 forms,
 * IPv4-mapped IPv6 (treated as the IPv4 address), IDN (to punycode).
 */
import { ipv4Text, ipv6Text, mappedIpv4, parseIpv4Loose, parseIpv6 } from "./ip.js";
import { toAsciiHost } from "./punycode.js";

export type CanonicalHost =
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "ipv4"; readonly address: string }
  | { readonly kind: "ipv6"; readonly address: string };

const label = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

export function canonicalizeHost(raw: string): CanonicalHost | null {
  const bracketed = raw.startsWith("[") && raw.endsWith("]");
  let host = bracketed ? raw.slice(1, -1) : raw;
  if (bracketed && !host.includes(":")) return null; // [1.2.3.4] or [name] is no host a client may send
  if (host.includes(":")) {
    const groups = parseIpv6(host.split("%")[0]!); // a zone id (%eth0) does not change the address
    if (!groups) return null;
    const v4 = mappedIpv4(groups);
    return v4 ? { kind: "ipv4", address: ipv4Text(v4) } : { kind: "ipv6", address: ipv6Text(groups) };
  }
  // Fold to ASCII first: full-width digits or an ideographic full stop must not
  // hide an address or a trailing dot from the checks below.
  host = toAsciiHost(host.toLowerCase());
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "" || host.length > 253) return null;
  const v4 = parseIpv4Loose(host);
  if (v4) return { kind: "ipv4", address: ipv4Text(v4) };
  if (!host.split(".").every((l) => label.test(l))) return null;
  // All-numeric last label that is not an address: resolvers would treat it as one; refuse.
  if (/^\d+$/.test(host.split(".").pop()!)) return null;
  return { kind: "name", name: host };
}
