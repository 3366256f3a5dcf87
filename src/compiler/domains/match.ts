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

const ruleMatches = (r: NetRule, host: CanonicalHost, port: number): boolean => (r.port === undefined || r.port === port) && hostMatches(r.host, host);

export function matchNetRules(rules: readonly NetRule[], host: string, port: number): NetVerdict {
  const h = canonicalizeHost(host);
  if (h === null) return { verdict: "deny", reason: `"${host}" is not a valid host name or address` };
  const shown = `${h.kind === "name" ? h.name : h.address}:${port}`;
  const denied = rules.find((r) => r.effect === "deny" && ruleMatches(r, h, port));
  if (denied) return { verdict: "deny", rule: denied, reason: `${shown} is denied by "${denied.source}" (${denied.origin})` };
  const allowed = rules.find((r) => r.effect === "allow" && ruleMatches(r, h, port));
  if (allowed) return { verdict: "allow", rule: allowed, reason: `${shown} is allowed by "${allowed.source}" (${allowed.origin})` };
  return { verdict: "deny", reason: `${shown} is not in allowedDomains` };
}
