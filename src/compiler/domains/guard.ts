/**
 * The resolved-address guard (DESIGN §5): an allowed *name* may resolve
 * anywhere, including 127.0.0.1 or the cloud metadata service — a DNS record
 * the sandboxed code does not control is enough to pivot into the host. So
 * every address a name resolves to is checked before it is dialled:
 * IP deny entries, the always-refused ranges and deniedResolvedAddresses
 * refuse it, unless an IP allow entry names that very address (and port).
 */
import type { AddressRule, NetRule, Origin } from "../ir.js";
import { canonicalizeHost, type CanonicalHost } from "./canonical.js";
import { addressValue, alwaysRefusedRanges, compileCidr, valueInRange, type AddressRange } from "./cidr.js";
import { hostMatches } from "./match.js";

export type AddressVerdict =
  | { readonly verdict: "allow"; readonly address: string }
  | { readonly verdict: "deny"; readonly reason: string; readonly origin?: Origin };

/**
 * `listedLoopback`: the name was allowed by an entry that is exactly `localhost` (RFC 6761: always
 * the loopback interface). The user listed the host's loopback by name, so the loopback addresses
 * pass the always-refused ranges; IP deny entries and deniedResolvedAddresses still apply.
 */
export type AddressGuard = (address: string, port: number, listedLoopback?: boolean) => AddressVerdict;

/** Where an allowed `localhost` goes: the loopback addresses, never a DNS answer (/etc/hosts may say otherwise). */
export const localhostAddresses: readonly string[] = ["127.0.0.1", "::1"];

/** The allow rule names `localhost` itself (with or without a port); `*.localhost` does not count. */
export const namesLocalhost = (rule: NetRule | undefined): boolean =>
  rule !== undefined && rule.effect === "allow" && rule.host.kind === "name" && rule.host.name === "localhost";

const loopbackRange = [compileCidr("127.0.0.0/8")!, compileCidr("::1/128")!];

interface Compiled {
  readonly range: AddressRange;
  readonly why: string;
  readonly origin: Origin;
}

/** NAT64 (RFC 6052 well-known prefix): 64:ff9b::a.b.c.d reaches a.b.c.d. */
const nat64 = compileCidr("64:ff9b::/96")!;

const compile = (cidr: string, why: string, origin: Origin): Compiled[] => {
  const range = compileCidr(cidr);
  return range ? [{ range, why, origin }] : [];
};

/** Precompiles the ranges once per policy; the returned check is pure. */
export function compileAddressGuard(policy: {
  readonly rules: readonly NetRule[];
  readonly deniedResolvedAddresses: readonly AddressRule[];
}): AddressGuard {
  const ranges: Compiled[] = [
    ...alwaysRefusedRanges.flatMap((r) => compile(r.cidr, r.why, "default:resolved-address-guard")),
    ...policy.deniedResolvedAddresses.flatMap((r) => compile(r.cidr, `in deniedResolvedAddresses ${r.cidr}`, r.origin)),
  ];
  const ipRules = policy.rules.filter((r) => r.host.kind === "ipv4" || r.host.kind === "ipv6");
  const ipRule = (effect: "allow" | "deny", h: CanonicalHost, port: number): NetRule | undefined =>
    ipRules.find((r) => r.effect === effect && (r.port === undefined || r.port === port) && hostMatches(r.host, h));

  return (address, port, listedLoopback = false) => {
    const h = canonicalizeHost(address);
    if (h === null || h.kind === "name")
      return { verdict: "deny", reason: `the resolver returned "${address}", which is not an IP address` };
    const denied = ipRule("deny", h, port);
    if (denied)
      return {
        verdict: "deny",
        reason: `resolves to ${h.address}, denied by "${denied.source}"`,
        origin: denied.origin,
      };
    if (ipRule("allow", h, port)) return { verdict: "allow", address: h.address };
    const value = addressValue(h.address)!;
    const embedded =
      value.family === 6 && valueInRange(value, nat64)
        ? { family: 4 as const, value: value.value & 0xffffffffn }
        : undefined;
    const loopback = listedLoopback && loopbackRange.some((l) => valueInRange(value, l));
    for (const r of ranges) {
      if (loopback && r.origin === "default:resolved-address-guard") continue;
      if (valueInRange(value, r.range) || (embedded && valueInRange(embedded, r.range))) {
        return {
          verdict: "deny",
          reason: `resolves to ${h.address} (${r.why}); allow that address explicitly if this is intended`,
          origin: r.origin,
        };
      }
    }
    return { verdict: "allow", address: h.address };
  };
}
