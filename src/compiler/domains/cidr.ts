/**
 * Address ranges for the resolved-address guard: user ranges from
 * deniedResolvedAddresses, plus the ranges that are always refused for an
 * allowed *name* (a public name pointing at 127.0.0.1 or the cloud metadata
 * service is the classic SSRF pivot).
 */
import { ipv4Text, ipv6Text, mappedIpv4, parseIpv4Strict, parseIpv6 } from "./ip.js";

export type CidrResult = { readonly ok: true; readonly cidr: string; readonly family: 4 | 6 } | { readonly ok: false; readonly message: string };

interface Range {
  readonly family: 4 | 6;
  readonly bits: readonly number[]; // 32 or 128 bits as 0/1
  readonly prefix: number;
}

const toBits = (bytes: readonly number[], width: number): number[] => bytes.flatMap((b) => Array.from({ length: width }, (_, i) => (b >> (width - 1 - i)) & 1));

function parseRange(text: string): Range | string {
  const [addr = "", prefixText, extra] = text.split("/");
  if (extra !== undefined) return "has more than one /";
  const v4 = parseIpv4Strict(addr);
  const v6 = v4 ? undefined : parseIpv6(addr);
  if (!v4 && !v6) return `"${addr}" is not an IPv4 or IPv6 address`;
  const family = v4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return `prefix "/${prefixText}" is not a number`;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return `prefix /${prefix} is longer than ${max} bits`;
  return { family, bits: v4 ? toBits(v4, 8) : toBits(v6!, 16), prefix };
}

/** Canonical "address/prefix" with host bits cleared. */
export function parseCidr(text: string): CidrResult {
  const r = parseRange(text);
  if (typeof r === "string") return { ok: false, message: r };
  const bits = r.bits.map((b, i) => (i < r.prefix ? b : 0));
  const chunk = r.family === 4 ? 8 : 16;
  const words = Array.from({ length: bits.length / chunk }, (_, i) => bits.slice(i * chunk, (i + 1) * chunk).reduce((a, b) => a * 2 + b, 0));
  return { ok: true, cidr: `${r.family === 4 ? ipv4Text(words) : ipv6Text(words)}/${r.prefix}`, family: r.family };
}

/** Is a resolved address (canonical text) inside a canonical CIDR? IPv4-mapped IPv6 counts as IPv4. */
export function addressInCidr(address: string, cidr: string): boolean {
  const range = parseRange(cidr);
  if (typeof range === "string") return false;
  let v4 = parseIpv4Strict(address);
  const v6 = v4 ? undefined : parseIpv6(address);
  if (v6) v4 = mappedIpv4(v6);
  const bits = v4 ? (range.family === 4 ? toBits(v4, 8) : undefined) : v6 && range.family === 6 ? toBits(v6, 16) : undefined;
  if (!bits) return false;
  for (let i = 0; i < range.prefix; i++) if (bits[i] !== range.bits[i]) return false;
  return true;
}

/** Refused for allowed names unless the address itself is allowed. */
export const alwaysRefusedRanges: readonly { readonly cidr: string; readonly why: string }[] = [
  { cidr: "127.0.0.0/8", why: "loopback" },
  { cidr: "0.0.0.0/8", why: "this host" },
  { cidr: "169.254.0.0/16", why: "link-local (cloud metadata at 169.254.169.254)" },
  { cidr: "100.100.100.200/32", why: "cloud metadata (Alibaba)" },
  { cidr: "::1/128", why: "loopback" },
  { cidr: "::/128", why: "unspecified" },
  { cidr: "fe80::/10", why: "link-local" },
  { cidr: "fd00:ec2::254/128", why: "cloud metadata (AWS IPv6)" },
];
