/**
 * Just enough DER to write X.509 certificates and to read the two fields of a
 * given CA that a certificate it signs must repeat (subject, key identifier).
 * Why not a library: @peculiar/x509 brings a WebCrypto layer, reflect-metadata
 * and tsyringe (hundreds of KiB to load for a few fields); node-forge is a
 * whole crypto suite in JavaScript (~1.6 MiB, its RSA key generation is slow).
 * Node's crypto already generates keys and signs; what is missing is the
 * ASN.1 framing, which is small, fixed and tested against OpenSSL here.
 */

export const tlv = (tag: number, ...content: Uint8Array[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export const seq = (...c: Uint8Array[]): Buffer => tlv(0x30, ...c);
export const set = (...c: Uint8Array[]): Buffer => tlv(0x31, ...c);
export const octets = (b: Uint8Array): Buffer => tlv(0x04, b);
export const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
export const nul = (): Buffer => Buffer.from([0x05, 0x00]);
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"));
/** Context-specific, constructed ([n] EXPLICIT). */
export const explicit = (n: number, ...c: Uint8Array[]): Buffer => tlv(0xa0 | n, ...c);
export const bits = (b: Uint8Array, unused = 0): Buffer => tlv(0x03, Buffer.from([unused]), b);

/** A non-negative INTEGER from big-endian bytes (leading zeros trimmed, a 0 added before a set high bit). */
export function uint(b: Uint8Array): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = Buffer.from(b.subarray(i));
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
export function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z"; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

export interface Tlv {
  readonly tag: number;
  /** The whole element, header included. */
  readonly raw: Buffer;
  readonly value: Buffer;
}

/** The elements one after another in b (one level). Throws on malformed input. */
export function readAll(b: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < b.length) {
    const tag = b[i]!;
    let len = b[i + 1];
    if (len === undefined) throw new Error("truncated DER");
    let head = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4) throw new Error("unsupported DER length");
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + b[i + 2 + k]!;
      head += n;
    }
    const end = i + head + len;
    if (end > b.length) throw new Error("truncated DER");
    out.push({ tag, raw: b.subarray(i, end), value: b.subarray(i + head, end) });
    i = end;
  }
  return out;
}

export const readOne = (b: Buffer): Tlv => {
  const all = readAll(b);
  if (all.length !== 1) throw new Error("expected one DER element");
  return all[0]!;
};
