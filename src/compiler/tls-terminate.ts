/**
 * network.tlsTerminate → the IR's TlsTerminatePolicy. The CA key, when the
 * user names one, joins the read denies: a command that could read it could
 * mint certificates its own tools (and srt's trust bundle) accept.
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { parseHostPattern } from "./domains/index.js";
import type { NetRule, Pointer, TlsTerminatePolicy } from "./ir.js";
import type { PathIntent } from "./normalize.js";
import { normalizePath } from "./paths.js";
import type { TlsTerminate } from "./settings.gen.js";

export const tlsDefaults = { maxTunnels: 256, handshakeTimeoutMs: 10_000 } as const;

export function normalizeTlsTerminate(
  t: TlsTerminate,
  at: Pointer,
  env: { readonly cwd: string; readonly home: string },
  diagnostics: Diagnostic[],
  paths: PathIntent[],
): TlsTerminatePolicy | undefined {
  const file = (raw: string, pointer: Pointer): string | undefined => {
    const r = normalizePath(raw, true, env);
    if (r.ok) return r.spec.path;
    diagnostics.push(diagnostic("SRT202", pointer, { reason: r.message, hint: r.hint }));
    return undefined;
  };
  let ca: TlsTerminatePolicy["ca"];
  if ((t.caCertPath === undefined) !== (t.caKeyPath === undefined)) {
    diagnostics.push(diagnostic("SRT430", at, { missing: t.caCertPath === undefined ? "caCertPath" : "caKeyPath" }));
  } else if (t.caCertPath !== undefined && t.caKeyPath !== undefined) {
    const certPath = file(t.caCertPath, `${at}/caCertPath`);
    const keyPath = file(t.caKeyPath, `${at}/caKeyPath`);
    if (certPath !== undefined && keyPath !== undefined) {
      ca = { certPath, keyPath };
      paths.push({ access: "read", effect: "deny", spec: { path: keyPath, glob: false }, origin: `${at}/caKeyPath` });
    }
  }
  const excludeDomains: NetRule[] = [];
  (t.excludeDomains ?? []).forEach((value, i) => {
    const pointer = `${at}/excludeDomains/${i}` as const;
    const r = parseHostPattern(value, "allow");
    if (!r.ok) diagnostics.push(diagnostic("SRT200", pointer, { value, reason: r.message, hint: r.hint }));
    else
      excludeDomains.push({
        kind: "net",
        effect: "allow",
        host: r.host,
        ...(r.port === undefined ? {} : { port: r.port }),
        source: value,
        origin: pointer,
      });
  });
  const extraCaCertPaths: string[] = [];
  (t.extraCaCertPaths ?? []).forEach((raw, i) => {
    const p = file(raw, `${at}/extraCaCertPaths/${i}`);
    if (p !== undefined) extraCaCertPaths.push(p);
  });
  return {
    ...(ca === undefined ? {} : { ca }),
    excludeDomains,
    extraCaCertPaths,
    maxTunnels: t.maxTunnels ?? tlsDefaults.maxTunnels,
    handshakeTimeoutMs: t.handshakeTimeoutMs ?? tlsDefaults.handshakeTimeoutMs,
    origin: at,
  };
}
