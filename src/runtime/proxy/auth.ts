/**
 * The per-run secret check shared by both proxies. Comparisons go through
 * SHA-256 digests and timingSafeEqual so neither the length nor the content of
 * a guess leaks through timing (a local attacker can time many attempts).
 */
import { createHash, timingSafeEqual } from "node:crypto";

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

const digest = (b: Buffer | string): Buffer => createHash("sha256").update(b).digest();

/** Both halves are always compared, so a right username with a wrong password takes as long as anything else. */
export function credentialsMatch(expected: Credentials, username: Buffer | string, password: Buffer | string): boolean {
  const u = timingSafeEqual(digest(expected.username), digest(username));
  const p = timingSafeEqual(digest(expected.password), digest(password));
  return u && p;
}

/** `Proxy-Authorization: Basic base64(user:pass)`; anything else (other schemes, no colon) fails. */
export function basicProxyAuthOk(expected: Credentials, header: string | undefined): boolean {
  if (header === undefined) return false;
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  return credentialsMatch(expected, decoded.slice(0, colon), decoded.slice(colon + 1));
}
