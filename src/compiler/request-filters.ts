/**
 * The request-filter keys of `network` (refuseOpaqueTunnels, requireHostMatch,
 * stripResponseHeaders, allowPlaintextHeaderSet, ambiguousRequestTarget) → the
 * IR's RequestFilters, each with its origin. The proxy enforces them
 * (src/runtime/proxy/request-filters.ts); here they are only recorded, plus a
 * warning when refuseOpaqueTunnels leaves no HTTPS at all.
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { Pointer, RequestFilters } from "./ir.js";
import type { NetworkSettings } from "./settings.gen.js";

/** A header name as compared: lower case, `_` and `.` read as `-` (upstreams differ in which they fold). */
export const foldHeaderName = (name: string): string => name.toLowerCase().replace(/[_.]/g, "-");

export function normalizeRequestFilters(
  net: NetworkSettings | undefined,
  at: Pointer,
  diagnostics: Diagnostic[],
): RequestFilters | undefined {
  if (net === undefined) return undefined;
  const flag = (key: "refuseOpaqueTunnels" | "requireHostMatch" | "allowPlaintextHeaderSet") =>
    net[key] === undefined ? {} : { [key]: { value: net[key], origin: `${at}/${key}` as const } };
  const out: RequestFilters = {
    ...flag("refuseOpaqueTunnels"),
    ...flag("requireHostMatch"),
    ...flag("allowPlaintextHeaderSet"),
    ...(net.stripResponseHeaders === undefined
      ? {}
      : {
          stripResponseHeaders: {
            names: [...new Set(net.stripResponseHeaders.map(foldHeaderName))].sort(),
            origin: `${at}/stripResponseHeaders` as const,
          },
        }),
    ...(net.ambiguousRequestTarget === undefined
      ? {}
      : {
          ambiguousRequestTarget: {
            value: net.ambiguousRequestTarget,
            origin: `${at}/ambiguousRequestTarget` as const,
          },
        }),
  };
  if (net.refuseOpaqueTunnels === true && net.tlsTerminate === undefined)
    diagnostics.push(diagnostic("SRT412", `${at}/refuseOpaqueTunnels`, {}));
  return Object.keys(out).length === 0 ? undefined : out;
}
