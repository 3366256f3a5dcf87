/**
 * The variables that make the command's tools trust srt's CA. Most of them
 * *replace* a tool's roots (SSL_CERT_FILE for OpenSSL, curl, git, pip,
 * requests, the AWS CLI, cargo, deno), so they name a bundle of the host's
 * roots, the extra roots and srt's CA: hosts that are not terminated (excluded,
 * or reached over SOCKS) still verify. NODE_EXTRA_CA_CERTS *adds* to Node's
 * roots, so it names srt's CA alone.
 */
export const bundleVariables = [
  "SSL_CERT_FILE",
  "CURL_CA_BUNDLE",
  "REQUESTS_CA_BUNDLE",
  "PIP_CERT",
  "GIT_SSL_CAINFO",
  "AWS_CA_BUNDLE",
  "CARGO_HTTP_CAINFO",
  "DENO_CERT",
  "NIX_SSL_CERT_FILE",
  "HTTPLIB2_CA_CERTS",
  "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
  "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
] as const;

export const tlsTrustVariables: readonly string[] = ["NODE_EXTRA_CA_CERTS", ...bundleVariables];

/** Name → value, for files the command can read (its private temp directory). */
export function trustEnvironment(files: { readonly ca: string; readonly bundle: string }): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: files.ca,
    ...Object.fromEntries(bundleVariables.map((name) => [name, files.bundle])),
  };
}
