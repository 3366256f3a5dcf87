/**
 * Address ranges for the resolved-address guard: user ranges from
 * deniedResolvedAddresses, plus the ranges that are always refused for an
 * allowed *name* (a public name pointing at 127.0.0.1 or the cloud metadata
 * service is the classic SSRF pivot).
 */
import { ipv4Text, ipv6Text, mappedIpv4, parseIpv4Strict, parseIpv6 } from "./ip.js";

export type CidrResult =
  | { readonly ok: true; readonly cidr: string; readonly family: 4 | 6 }
  | { readonly ok: false; readonly message: string };

/** A parsed range: the network as an integer of 32 or 128 bits. */
export interface AddressRange {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

const fromWords = (words: readonly number[], width: number): bigint =>
  words.reduce((acc, w) => (acc << BigInt(width)) | BigInt(w), 0n);
const toWords = (value: bigint, count: number, width: number): number[] =>
  Array.from({ length: count }, (_, i) =>
    Number((value >> BigInt(width * (count - 1 - i))) & ((1n << BigInt(width)) - 1n)),
  );
const mask = (prefix: number, max: number): bigint =>
  prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(max - prefix);

function parseRange(text: string): AddressRange | string {
  const [addr = "", prefixText, extra] = text.split("/");
  if (extra !== undefined) return "has more than one /";
  const v4 = parseIpv4Strict(addr);
  const v6 = v4 ? undefined : parseIpv6(addr);
  if (!v4 && !v6) return `"${addr}" is not an IPv4 or IPv6 address`;
  const max = v4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return `prefix "/${prefixText}" is not a number`;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return `prefix /${prefix} is longer than ${max} bits`;
  if (v4) return { family: 4, network: fromWords(v4, 8) & mask(prefix, 32), prefix };
  // ::ffff:10.0.0.0/104 means 10.0.0.0/8: resolved addresses are matched as
  // IPv4 when they are IPv4-mapped, so the range must be IPv4 too.
  const mapped = mappedIpv4(v6!);
  if (mapped && prefix >= 96)
    return { family: 4, network: fromWords(mapped, 8) & mask(prefix - 96, 32), prefix: prefix - 96 };
  return { family: 6, network: fromWords(v6!, 16) & mask(prefix, 128), prefix };
}

/** Canonical "address/prefix" with host bits cleared. */
export function parseCidr(text: string): CidrResult {
  const r = parseRange(text);
  if (typeof r === "string") return { ok: false, message: r };
  return { ok: true, cidr: rangeText(r), family: r.family };
}

const rangeText = (r: AddressRange): string =>
  `${r.family === 4 ? ipv4Text(toWords(r.network, 4, 8)) : ipv6Text(toWords(r.network, 8, 16))}/${r.prefix}`;

/** A canonical CIDR (as parseCidr returns) → range; undefined when it is not one. */
export function compileCidr(cidr: string): AddressRange | undefined {
  const r = parseRange(cidr);
  return typeof r === "string" ? undefined : r;
}

/** An address as an integer; IPv4-mapped IPv6 counts as IPv4. */
export function addressValue(address: string): { readonly family: 4 | 6; readonly value: bigint } | undefined {
  const v4 = parseIpv4Strict(address);
  if (v4) return { family: 4, value: fromWords(v4, 8) };
  const v6 = parseIpv6(address);
  if (!v6) return undefined;
  const mapped = mappedIpv4(v6);
  return mapped ? { family: 4, value: fromWords(mapped, 8) } : { family: 6, value: fromWords(v6, 16) };
}

export function valueInRange(a: { readonly family: 4 | 6; readonly value: bigint }, r: AddressRange): boolean {
  return a.family === r.family && (a.value & mask(r.prefix, r.family === 4 ? 32 : 128)) === r.network;
}

/** Is a resolved address inside a CIDR? IPv4-mapped IPv6 counts as IPv4. */
export function addressInCidr(address: string, cidr: string): boolean {
  const range = compileCidr(cidr);
  const a = addressValue(address);
  return range !== undefined && a !== undefined && valueInRange(a, range);
}

/** Refused for allowed names unless the address itself is allowed. */
export const alwaysRefusedRanges: readonly { readonly cidr: string; readonly why: string }[] = [
  { cidr: "127.0.0.0/8", why: "loopback" },
  { cidr: "0.0.0.0/8", why: "this host" },
  { cidr: "169.254.0.0/16", why: "link-local (cloud metadata at 169.254.169.254)" },
  { cidr: "100.100.100.200/32", why: "cloud metadata (Alibaba)" },
  { cidr: "224.0.0.0/4", why: "multicast" },
  { cidr: "255.255.255.255/32", why: "broadcast" },
  // ::/96 holds the unspecified address, ::1 and the deprecated IPv4-compatible
  // form (::127.0.0.1); none is a real destination for a public name.
  { cidr: "::/96", why: "unspecified, loopback or IPv4-compatible" },
  { cidr: "fe80::/10", why: "link-local" },
  { cidr: "fd00:ec2::254/128", why: "cloud metadata (AWS IPv6)" },
  { cidr: "ff00::/8", why: "multicast" },
];
