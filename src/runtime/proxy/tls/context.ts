/**
 * What a terminated tunnel needs from the HTTP proxy that handed it over: its
 * dialling options and limits, and its way of recording a refusal. Kept apart
 * from terminate.ts so http.ts does not load Node's tls module or the X.509
 * code unless the run terminates TLS.
 */
import type { DialOptions } from "../dial.js";
import { recorder } from "../gate.js";
import type { FilterContext } from "../request-filters.js";
import type { ProxyDeps, ProxyLimits, ProxyNetworkPolicy } from "../types.js";
import type { ProxyContext } from "./terminate.js";

export function tunnelContext(deps: ProxyDeps, limits: ProxyLimits, dial: DialOptions): ProxyContext {
  const refuse = recorder(deps, "http");
  return {
    dial,
    halfCloseTimeoutMs: limits.halfCloseTimeoutMs,
    maxHeaderBytes: limits.maxHeaderBytes,
    headersTimeoutMs: limits.handshakeTimeoutMs,
    refuse,
    filterContext: () => filterContextOf(deps, refuse),
  };
}

/** The policy in force now. */
export const currentNetwork = (deps: ProxyDeps): ProxyNetworkPolicy =>
  typeof deps.network === "function" ? deps.network() : deps.network;

/** The request filters in force now, or undefined when there are none (no per-request work). */
export function filterContextOf(deps: ProxyDeps, refuse: FilterContext["refuse"]): FilterContext | undefined {
  const filters = currentNetwork(deps).requestFilters;
  if (filters === undefined && deps.filterRequest === undefined) return undefined;
  return { filters, filterRequest: deps.filterRequest, refuse };
}
