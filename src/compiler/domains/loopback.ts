/**
 * Whether a canonical host or host pattern names this machine's loopback:
 * `localhost` and its subdomains, 127.0.0.0/8, `::1`, and 127.0.0.0/8 written
 * as an IPv4-mapped IPv6 address. One definition for every consumer: the
 * proxy dials loopback directly (never through a parent proxy), and the
 * Kubernetes lowering leaves loopback allowances out of a pod's policy.
 *
 * Run-time hosts are canonical (canonical.ts folds a mapped address into its
 * IPv4 form); settings patterns keep the IPv6 spelling (`::ffff:7f00:1` after
 * RFC 5952), so the mapped case is checked here too.
 */
import { mappedIpv4, parseIpv6 } from "./ip.js";

type Host =
  | { readonly kind: "name" | "subdomains"; readonly name: string }
  | { readonly kind: "ipv4" | "ipv6"; readonly address: string }
  | { readonly kind: "any" };

const localName = (name: string): boolean => name === "localhost" || name.endsWith(".localhost");

export function isLoopbackHost(host: Host): boolean {
  switch (host.kind) {
    case "name":
      return localName(host.name);
    case "subdomains":
      // "*.localhost": every name it matches is loopback.
      return localName(host.name);
    case "ipv4":
      return host.address.startsWith("127.");
    case "ipv6": {
      const groups = parseIpv6(host.address);
      if (groups === undefined) return false;
      const v4 = mappedIpv4(groups);
      return v4 !== undefined ? v4[0] === 127 : groups.every((g, i) => g === (i === 7 ? 1 : 0));
    }
    case "any":
      return false;
  }
}
