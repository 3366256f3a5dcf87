/**
 * `srt explain` lines for TLS termination and masked credentials. They name
 * where a secret lives and where it may go, never a value: the policy holds
 * none (the runtime reads secrets when a run starts).
 */
import type { Target } from "../compiler/index.js";
import type { NetRule, NetworkPolicy } from "../compiler/ir.js";
import { tlsTrustVariables } from "../runtime/proxy/tls/trust-env.js";

export function tlsAndMaskLines(n: NetworkPolicy, netText: (r: NetRule) => string, target: Target): string[] {
  const out: string[] = [];
  const t = n.tlsTerminate;
  if (t) {
    out.push(
      `  HTTPS to allowed hosts is TLS-terminated in srt's proxy (requests are read there; upstream certificates verified against the system's roots${t.extraCaCertPaths.length ? " and extraCaCertPaths" : ""})  ← ${t.origin}`,
      t.ca
        ? `    certificates signed by the CA ${t.ca.certPath} (its key ${t.ca.keyPath} is unreadable in the sandbox)  ← ${t.origin}/caCertPath`
        : `    certificates signed by a new CA for each run; its key exists only in srt's memory  ← default`,
      `    at most ${t.maxTunnels} terminated tunnels at once, each to finish its handshake within ${t.handshakeTimeoutMs} ms; a CONNECT that does not start with TLS is ${n.requestFilters?.refuseOpaqueTunnels?.value ? "closed (refuseOpaqueTunnels)" : "tunnelled opaquely"}`,
      `    the command trusts that CA through ${tlsTrustVariables.join(", ")} (a bundle of the system's roots and srt's CA)${target === "macos" ? "; both files are in the run directory, readable and not writable by the command" : ""}`,
    );
    for (const e of t.excludeDomains) out.push(`    not terminated (opaque tunnel): ${netText(e)}  ← ${e.origin}`);
    for (const p of t.extraCaCertPaths) out.push(`    extra root: ${p}  ← ${t.origin}/extraCaCertPaths`);
  }
  const m = n.masks;
  if (m) {
    out.push(
      `  masked credentials: the command sees a per-run sentinel; srt's proxy puts the real value back only in requests to their inject hosts${m.allowPlaintextInject.value ? ", over terminated TLS or plain HTTP" : ", over terminated TLS"}; sent anywhere else, the request is refused  ← ${m.allowPlaintextInject.origin}`,
    );
    for (const e of m.entries) {
      const where = e.source.kind === "env" ? `$${e.source.name}` : e.source.path;
      const jwt = e.decode === undefined ? "" : e.maskClaims ? `JWT claims ${e.maskClaims.join(", ")} of ` : "JWTs in ";
      const part =
        e.extract === undefined && e.decode === undefined
          ? ""
          : ` (${jwt}${e.extract === undefined ? "the value" : `group 1 of /${e.extract}/`}${e.maskDuplicates ? ", and copies elsewhere" : ""}, else ${e.onExtractNoMatch})`;
      const hosts = e.injectHosts.length ? e.injectHosts.map(netText).join("; ") : "no host";
      if (target === "macos" && e.source.kind === "file")
        out.push(
          `    ${where}: withheld on macOS, not masked (no copy can be shown in its place: SRT433)  ← ${e.origin}`,
        );
      else out.push(`    ${where}${part} → ${hosts}  ← ${e.origin}`);
    }
    for (const p of m.awsPairs ?? []) {
      const token = p.sessionTokenVar === undefined ? "" : `, session token $${p.sessionTokenVar}`;
      out.push(
        `    AWS key pair $${p.accessKeyIdVar} / $${p.secretAccessKeyVar}${token}: a request signed (SigV4) with its sentinels is signed again with the real pair, to $${p.accessKeyIdVar}'s hosts only  ← ${p.origin}`,
      );
    }
    const s = m.sigv4;
    if (s !== undefined && (m.awsPairs ?? []).length > 0)
      for (const [what, c] of [
        ["aws-chunked (streaming) payloads", s.streaming],
        ["presigned URLs", s.presigned],
        ["SigV4a signatures", s.sigv4a],
      ] as const)
        out.push(
          `    ${what} with a pair's sentinel: ${c.value === "deny" ? "refused (they cannot be signed again)" : "passed through unsigned-again (the upstream rejects them)"}  ← ${c.origin}`,
        );
  }
  return out;
}
