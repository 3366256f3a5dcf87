/**
 * The network decision: deny rules first, then allow rules, nothing allowed
 * by default (DESIGN §5). `*.example.com` matches strict subdomains only; IP
 * literals match IP entries only; a rule without a port matches every port.
 */
import type { HostPattern, NetRule } from "../ir.js";
import { canonicalizeHost, type CanonicalHost } from "./canonical.js";

export interface NetVerdict {
  readonly verdict: "allow" | "deny";
  readonly rule?: NetRule;
  readonly reason: string;
}

export function hostMatches(pattern: HostPattern, host: CanonicalHost): boolean {
  switch (pattern.kind) {
    case "any":
      return true;
    case "name":
      return host.kind === "name" && host.name === pattern.name;
    case "subdomains":
      return host.kind === "name" && host.name.endsWith(`.${pattern.name}`);
    case "ipv4":
      return host.kind === "ipv4" && host.address === pattern.address;
    case "ipv6":
      return host.kind === "ipv6" && host.address === pattern.address;
  }
}

const ruleMatches = (r: NetRule, host: CanonicalHost, port: number): boolean =>
  (r.port === undefined || r.port === port) && hostMatches(r.host, host);

/** Exact entries beat longer wildcards beat shorter ones beat "*"; a port beats none. */
function specificity(r: NetRule): number {
  const h = r.host;
  const hostScore = h.kind === "any" ? 0 : h.kind === "subdomains" ? 1 + h.name.length : 1000;
  return hostScore * 2 + (r.port === undefined ? 0 : 1);
}

/**
 * The deciding rule is the most specific match, ties broken by origin, so the
 * whole answer (not only the verdict) is independent of rule order: the same
 * request explains itself the same way however the settings were merged.
 */
function decidingRule(
  rules: readonly NetRule[],
  effect: "allow" | "deny",
  host: CanonicalHost,
  port: number,
): NetRule | undefined {
  let best: NetRule | undefined;
  for (const r of rules) {
    if (r.effect !== effect || !ruleMatches(r, host, port)) continue;
    if (best === undefined) best = r;
    else {
      const d = specificity(r) - specificity(best);
      if (d > 0 || (d === 0 && (r.origin < best.origin || (r.origin === best.origin && r.source < best.source))))
        best = r;
    }
  }
  return best;
}

/** `host` is a raw run-time host (canonicalized here) or an already canonical one. */
export function matchNetRules(rules: readonly NetRule[], host: string | CanonicalHost, port: number): NetVerdict {
  const h = typeof host === "string" ? canonicalizeHost(host) : host;
  if (h === null) return { verdict: "deny", reason: `"${String(host)}" is not a valid host name or address` };
  const shown = hostPort(h, port);
  const denied = decidingRule(rules, "deny", h, port);
  if (denied)
    return {
      verdict: "deny",
      rule: denied,
      // deniedDomainReasons: the user's own words for this entry travel with every refusal it makes.
      reason: `${shown} is denied by "${denied.source}" (${denied.origin})${denied.reason === undefined ? "" : `: ${denied.reason}`}`,
    };
  const allowed = decidingRule(rules, "allow", h, port);
  if (allowed)
    return {
      verdict: "allow",
      rule: allowed,
      reason: `${shown} is allowed by "${allowed.source}" (${allowed.origin})`,
    };
  return { verdict: "deny", reason: `${shown} is not in allowedDomains` };
}

/** "host:port" for messages, brackets around IPv6. */
export const hostPort = (h: CanonicalHost, port: number): string =>
  `${h.kind === "name" ? h.name : h.kind === "ipv4" ? h.address : `[${h.address}]`}:${port}`;
