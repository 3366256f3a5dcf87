/**
 * File names are bytes; srt's paths are strings. A name that is not valid
 * UTF-8 (a sandboxed command can make one: `mkdir $'\xff'`) must still be
 * named exactly, or rules about it land on a different path and every later
 * compile of a policy that walks past it fails. So names are decoded the way
 * Python's surrogateescape does: valid UTF-8 as itself, each byte of an
 * invalid sequence as the lone surrogate U+DC80+(byte-0x80) — which valid
 * UTF-8 can never produce, so the mapping is reversible. Such strings pass
 * through the IR and plan JSON unchanged (JSON escapes lone surrogates as
 * \udcXX and restores them), and become bytes again only where srt hands a
 * path to the operating system (`encodePath`). People see the bytes as \xNN.
 */

/** A byte escape that is not the second half of a surrogate pair (which is a real character). */
const byteEscape = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;
const byteEscapes = new RegExp(byteEscape.source, "g");
/** A lone surrogate that no byte stands for: nothing on disk can be named by it. */
const strayHalf = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDC7F\uDD00-\uDFFF]/;

export const hasByteEscapes = (s: string): boolean => byteEscape.test(s);

/** A lone surrogate that does not stand for a byte (from JSON text, not from a file name). */
export const hasStraySurrogate = (s: string): boolean => strayHalf.test(s);

/** The escaped bytes shown as `\xNN`, for people (diagnostics, explain); never raw. */
export const showBytes = (s: string): string =>
  s.replace(byteEscapes, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16)}`);

/**
 * A path JSON-quoted for people, its bytes as \xNN. JSON.stringify writes a
 * lone surrogate as \udcXX; scanning its escapes pair by pair tells those
 * from a literal backslash (always written \\), so the result is unambiguous.
 */
export const quotePath = (s: string): string =>
  JSON.stringify(s).replace(/\\(udc[89a-f][0-9a-f]|[^])/g, (m, e: string) => (e.length === 5 ? `\\x${e.slice(3)}` : m));

/** Bytes → string; every byte of an invalid UTF-8 sequence becomes its escape. */
export function decodeBytes(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    let cp = b & (0xff >> (n + 1));
    for (let k = 1; k < n; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
    out += String.fromCodePoint(cp);
    i += n;
  }
  return out;
}

/**
 * Length of the well-formed UTF-8 sequence at i (Unicode Table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0.
 */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  const c = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = bytes[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (b >= 0xc2 && b <= 0xdf) return c(1) ? 2 : 0;
  if (b === 0xe0) return c(1, 0xa0) && c(2) ? 3 : 0;
  if (b === 0xed) return c(1, 0x80, 0x9f) && c(2) ? 3 : 0;
  if (b >= 0xe1 && b <= 0xef) return c(1) && c(2) ? 3 : 0;
  if (b === 0xf0) return c(1, 0x90) && c(2) && c(3) ? 4 : 0;
  if (b === 0xf4) return c(1, 0x80, 0x8f) && c(2) && c(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return c(1) && c(2) && c(3) ? 4 : 0;
  return 0;
}

/** String → the bytes it names. A stray surrogate names nothing: a bug upstream (settings paths are checked for it). */
export function encodePath(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xdc80 && cp <= 0xdcff) out.push(cp - 0xdc00);
    else if (cp >= 0xd800 && cp <= 0xdfff)
      throw new Error(`a lone surrogate U+${cp.toString(16).toUpperCase()} in ${JSON.stringify(s)} names no bytes`);
    else if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}
