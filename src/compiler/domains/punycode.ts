/**
 * IDNA label encoding (RFC 3492 punycode), so `bücher.example` in a policy
 * and `xn--bcher-kva.example` on the wire are the same rule. Only encoding is
 * needed: policies are canonicalized to the ASCII form.
 */
const base = 36;
const tMin = 1;
const tMax = 26;
const skew = 38;
const damp = 700;

function adapt(delta: number, points: number, first: boolean): number {
  let d = first ? Math.floor(delta / damp) : delta >> 1;
  d += Math.floor(d / points);
  let k = 0;
  while (d > ((base - tMin) * tMax) >> 1) {
    d = Math.floor(d / (base - tMin));
    k += base;
  }
  return k + Math.floor(((base - tMin + 1) * d) / (d + skew));
}

const digit = (d: number): string => String.fromCharCode(d < 26 ? 97 + d : 22 + d);

export function punycodeEncode(label: string): string {
  const input = [...label].map((c) => c.codePointAt(0)!);
  let out = input
    .filter((c) => c < 0x80)
    .map((c) => String.fromCharCode(c))
    .join("");
  const basicCount = out.length;
  let handled = basicCount;
  if (basicCount > 0) out += "-";
  let n = 0x80;
  let delta = 0;
  let bias = 72;
  while (handled < input.length) {
    const m = Math.min(...input.filter((c) => c >= n));
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of input) {
      if (c < n) delta++;
      if (c !== n) continue;
      let q = delta;
      for (let k = base; ; k += base) {
        const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
        if (q < t) break;
        out += digit(t + ((q - t) % (base - t)));
        q = Math.floor((q - t) / (base - t));
      }
      out += digit(q);
      bias = adapt(delta, handled + 1, handled === basicCount);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return out;
}

/**
 * IDNA label separators other than "." (UTS #46 maps them to "."); without this
 * `evil。example` would be one label and slip past a deny of `evil.example`.
 */
const idnaDots = /[\u3002\uff0e\uff61]/g;

/**
 * A host name with non-ASCII characters → its ASCII (xn--) form. NFKC folds
 * compatibility forms (full-width `ｅｖｉｌ` is `evil`) the way UTS #46 mapping
 * does, so a deny entry cannot be dodged by a look-alike spelling a resolver
 * or browser would fold back. Labels are lower-cased first. Validity of the
 * result (label characters, lengths) is the caller's check.
 */
export function toAsciiHost(name: string): string {
  if (/^[\x00-\x7f]*$/.test(name)) return name;
  return name
    .normalize("NFKC")
    .toLowerCase()
    .replace(idnaDots, ".")
    .split(".")
    .map((l) => (/^[\x00-\x7f]*$/.test(l) ? l : `xn--${punycodeEncode(l)}`))
    .join(".");
}
