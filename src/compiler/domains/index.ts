export { canonicalizeHost, type CanonicalHost } from "./canonical.js";
export { addressInCidr, alwaysRefusedRanges, parseCidr, type CidrResult } from "./cidr.js";
export {
  compileAddressGuard,
  localhostAddresses,
  namesLocalhost,
  type AddressGuard,
  type AddressVerdict,
} from "./guard.js";
export { isLoopbackHost } from "./loopback.js";
export { hostMatches, hostPort, matchNetRules, type NetVerdict } from "./match.js";
export { parseHostPattern, type PatternResult } from "./pattern.js";
