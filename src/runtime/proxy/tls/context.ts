/**
 * What a terminated tunnel needs from the HTTP proxy that handed it over: its
 * dialling options and limits, and its way of recording a refusal. Kept apart
 * from terminate.ts so http.ts does not load Node's tls module or the X.509
 * code unless the run terminates TLS.
 */
import type { Origin } from "../../../compiler/ir.js";
import type { DialOptions } from "../dial.js";
import type { NetworkViolation, ProxyDeps, ProxyLimits } from "../types.js";
import type { ProxyContext } from "./terminate.js";

export function tunnelContext(deps: ProxyDeps, limits: ProxyLimits, dial: DialOptions): ProxyContext {
  const now = deps.now ?? (() => new Date());
  return {
    dial,
    halfCloseTimeoutMs: limits.halfCloseTimeoutMs,
    maxHeaderBytes: limits.maxHeaderBytes,
    headersTimeoutMs: limits.handshakeTimeoutMs,
    refuse(host: string, port: number, reason: string, rule?: Origin) {
      const v: NetworkViolation = {
        kind: "network",
        time: now().toISOString(),
        proxy: "http",
        host,
        port,
        reason,
        ...(rule === undefined ? {} : { rule }),
      };
      try {
        deps.onViolation(v);
      } catch {
        // A failing sink must not undo the refusal.
      }
    },
  };
}
