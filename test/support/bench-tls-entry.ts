/** Entry point the TLS bench bundles: srt's HTTP proxy and what a terminating run gives it. */
export { createHttpProxy } from "../../src/runtime/proxy/index.js";
export { createTlsTerminator } from "../../src/runtime/proxy/tls/terminate.js";
export { loadTrust } from "../../src/runtime/proxy/tls/trust.js";
export { ephemeralAuthority } from "../../src/runtime/proxy/tls/x509.js";
