/**
 * IP literal parsing and canonical text. Canonical forms matter because the
 * same address has many spellings (`127.1`, `0x7f.0.0.1`, `2130706433`,
 * `::ffff:127.0.0.1`) and a deny list that only knew one of them would be
 * bypassed by another.
 */

/** Strict dotted quad (what a policy may contain). */
export function parseIpv4Strict(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/**
 * Every IPv4 spelling inet_aton accepts (1–4 parts, decimal/octal/hex), as a
 * resolver or curl would read a host given at run time.
 */
export function parseIpv4Loose(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length < 1 || parts.length > 4 || parts.some((p) => p === "")) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9]\d*$/.test(p)) n = Number(p);
    else return undefined;
    if (!Number.isSafeInteger(n)) return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined;
  const bytes = [...nums];
  for (let i = 4 - nums.length - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes;
}

export const ipv4Text = (b: readonly number[]): string => b.join(".");

/** IPv6 text (no brackets, no zone) → 8 groups, or undefined. */
export function parseIpv6(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  let hexText = text;
  if (text.includes(".")) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) is two more groups.
    const at = text.lastIndexOf(":");
    const v4 = parseIpv4Strict(text.slice(at + 1));
    if (!v4) return undefined;
    hexText = `${text.slice(0, at + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = hexText.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (!left || !right) return undefined;
  if (halves.length === 1) return left.length === 8 ? left : undefined;
  const fill = 8 - left.length - right.length;
  return fill >= 1 ? [...left, ...new Array<number>(fill).fill(0), ...right] : undefined;
}

/** RFC 5952 text: lower case, longest zero run (≥ 2 groups) compressed, first on ties. */
export function ipv6Text(g: readonly number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), if it is one. */
export function mappedIpv4(g: readonly number[]): number[] | undefined {
  if (g.slice(0, 5).some((x) => x !== 0) || g[5] !== 0xffff) return undefined;
  return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255];
}
