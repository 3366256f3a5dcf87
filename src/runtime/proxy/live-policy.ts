/**
 * The network policy the proxies decide with, replaceable while they run: the
 * one way srt swaps a running policy, whether the lists come from the CLI's
 * --control-fd or the library's update().
 *
 * A replacement takes the lists (allow/deny rules, the resolved-address
 * guard) from the new settings; the route — the MITM and upstream proxies — stays as it was
 * created (and so do strictAllowlist and the request filters), like the proxy ports and sockets: the sandbox was set up for that
 * route (its socket reachable, the command's environment pointing at it).
 *
 * current() returns the same object until the next replace(): the proxies
 * compile their address guard once per policy object (gate.ts), and a new
 * object each request would recompile it every time.
 */
import type { NetworkPolicy } from "../../compiler/ir.js";
import type { ProxyNetworkPolicy } from "./types.js";

export interface LivePolicy {
  /** The policy in force now; the proxies call this for every request. */
  readonly current: () => ProxyNetworkPolicy;
  /** From the next decision on, decide with next's lists; the route stays. */
  replace(next: Pick<NetworkPolicy, "rules" | "deniedResolvedAddresses">): void;
}

export function createLivePolicy(initial: ProxyNetworkPolicy): LivePolicy {
  // The route and strictAllowlist stay as started: an update replaces the lists, never loosens how they are asked about.
  const route = {
    ...(initial.mitmProxy === undefined ? {} : { mitmProxy: initial.mitmProxy }),
    ...(initial.parentProxy === undefined ? {} : { parentProxy: initial.parentProxy }),
    ...(initial.strictAllowlist === undefined ? {} : { strictAllowlist: initial.strictAllowlist }),
    // The request filters too, as in the reference (read when the proxy starts; an update does not change them).
    ...(initial.requestFilters === undefined ? {} : { requestFilters: initial.requestFilters }),
  };
  let now: ProxyNetworkPolicy = {
    rules: initial.rules,
    deniedResolvedAddresses: initial.deniedResolvedAddresses,
    ...route,
  };
  return {
    current: () => now,
    replace(next) {
      now = { rules: next.rules, deniedResolvedAddresses: next.deniedResolvedAddresses, ...route };
    },
  };
}
