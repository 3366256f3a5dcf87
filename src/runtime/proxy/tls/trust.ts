/**
 * The roots srt verifies upstream servers with, and the bundle the command
 * gets: the host's roots (the file the host's own SSL_CERT_FILE names, else
 * the distribution's bundle, else Node's built-in list), then extraCaCertPaths
 * (only their CERTIFICATE blocks: a private key in a combined PEM never reaches
 * the bundle; a missing file is skipped, as the reference does), then srt's CA
 * (bundle only: srt never trusts its own CA for upstream servers).
 */
import { rootCertificates } from "node:tls";

const systemBundles = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/ssl/cert.pem", // macOS, Alpine
];

export const pemCertificates = (text: string): string[] =>
  (text.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g) ?? []).map((b) => b + "\n");

export interface Trust {
  /** For tls.connect's `ca` when srt dials an upstream server. */
  readonly upstream: readonly string[];
  /** The command's bundle, srt's CA last. */
  bundle(caPem: string): string;
  /** Which files the host roots came from, for the debug log. */
  readonly sources: readonly string[];
}

export function loadTrust(
  extraPaths: readonly string[],
  o: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly readFile: (p: string) => string | undefined;
  },
): Trust {
  const sources: string[] = [];
  let host: string[] = [];
  for (const p of [o.env["SSL_CERT_FILE"], ...systemBundles]) {
    if (p === undefined) continue;
    const text = o.readFile(p);
    const certs = text === undefined ? [] : pemCertificates(text);
    if (certs.length > 0) {
      host = certs;
      sources.push(p);
      break;
    }
  }
  if (host.length === 0) {
    host = rootCertificates.map((c) => c + "\n");
    sources.push("node:tls rootCertificates");
  }
  const extra: string[] = [];
  for (const p of extraPaths) {
    const text = o.readFile(p);
    const certs = text === undefined ? [] : pemCertificates(text);
    if (certs.length > 0) sources.push(p);
    extra.push(...certs);
  }
  const upstream = [...host, ...extra];
  return { upstream, bundle: (caPem) => [...upstream, caPem].join(""), sources };
}
