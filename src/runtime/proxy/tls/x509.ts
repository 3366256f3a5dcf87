/**
 * The CA that signs srt's per-host certificates, and the certificates. A new
 * CA per run by default: its private key is made in this process and never
 * leaves it (not written anywhere, so no sandbox can read it), and only its
 * certificate goes into the command's trust bundle. Certificates are ECDSA
 * P-256 (fast to make, accepted by every TLS stack srt meets) and carry what
 * strict verifiers ask for: SAN, key usages, key identifiers.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { bits, bool, explicit, nul, octets, oid, readAll, readOne, seq, set, time, tlv, uint, utf8 } from "./der.js";

export interface Leaf {
  readonly certPem: string;
  readonly key: KeyObject;
}

export interface Authority {
  readonly certPem: string;
  /** A certificate for host (a DNS name or an IP literal), made once per host and kept. */
  leaf(host: string): Leaf;
}

const oids = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  rsaSha256: "1.2.840.113549.1.1.11",
  ed25519: "1.3.101.112",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  subjectAltName: "2.5.29.17",
  subjectKeyId: "2.5.29.14",
  authorityKeyId: "2.5.29.35",
} as const;

const hour = 3600_000;

const name = (cn: string): Buffer =>
  seq(set(seq(oid(oids.organization), utf8("srt"))), set(seq(oid(oids.commonName), utf8(cn.slice(0, 64)))));

const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

function signatureAlgorithm(key: KeyObject): Buffer {
  const type = key.asymmetricKeyType;
  if (type === "ec") return seq(oid(oids.ecdsaSha256));
  if (type === "rsa") return seq(oid(oids.rsaSha256), nul());
  if (type === "ed25519") return seq(oid(oids.ed25519));
  throw new Error(`a CA key of type ${String(type)} is not supported (use EC, RSA or Ed25519)`);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyId(publicKey: KeyObject): Buffer {
  const spki = readOne(publicKey.export({ type: "spki", format: "der" }));
  const bitString = readAll(spki.value)[1]!;
  return createHash("sha1").update(bitString.value.subarray(1)).digest();
}

function certificate(o: {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signer: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const alg = signatureAlgorithm(o.signer);
  const tbs = seq(
    explicit(0, uint(Buffer.from([2]))),
    uint(serial),
    alg,
    o.issuer,
    seq(time(o.notBefore), time(o.notAfter)),
    o.subject,
    o.publicKey.export({ type: "spki", format: "der" }),
    explicit(3, seq(...o.extensions)),
  );
  const signature = sign(o.signer.asymmetricKeyType === "ed25519" ? null : "sha256", tbs, o.signer);
  const der = seq(tbs, alg, bits(signature));
  const b64 = der.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END CERTIFICATE-----\n`;
}

function authority(o: { certPem: string; key: KeyObject; subject: Buffer; keyId: Buffer }, now: () => Date): Authority {
  const leafKeys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const leafKeyId = keyId(leafKeys.publicKey);
  const cache = new Map<string, Leaf>();
  return {
    certPem: o.certPem,
    leaf(host) {
      const known = cache.get(host);
      if (known) return known;
      const t = now();
      const ip = isIP(host);
      const san = ip ? tlv(0x87, ipBytes(host, ip)) : tlv(0x82, Buffer.from(host, "ascii")); // IA5String dNSName; hosts are canonical (punycode) here
      const certPem = certificate({
        subject: name(host),
        issuer: o.subject,
        publicKey: leafKeys.publicKey,
        signer: o.key,
        notBefore: new Date(t.getTime() - hour),
        // Within the 398 days browsers and Apple's verifier accept for a leaf.
        notAfter: new Date(t.getTime() + 30 * 24 * hour),
        extensions: [
          extension(oids.basicConstraints, true, seq()),
          extension(oids.keyUsage, true, bits(Buffer.from([0x80]), 7)), // digitalSignature
          extension(oids.extKeyUsage, false, seq(oid(oids.serverAuth))),
          extension(oids.subjectAltName, false, seq(san)),
          extension(oids.subjectKeyId, false, octets(leafKeyId)),
          extension(oids.authorityKeyId, false, seq(tlv(0x80, o.keyId))),
        ],
      });
      const leaf = { certPem, key: leafKeys.privateKey };
      cache.set(host, leaf);
      return leaf;
    },
  };
}

function ipBytes(text: string, family: number): Buffer {
  if (family === 4) return Buffer.from(text.split(".").map(Number));
  // Expand "::" and read 8 groups of 16 bits.
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** A new CA for this run; its key exists only in this process. */
export function ephemeralAuthority(now: () => Date = () => new Date()): Authority {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const t = now();
  const subject = name(`srt per-run CA ${randomBytes(4).toString("hex")}`);
  const id = keyId(publicKey);
  const certPem = certificate({
    subject,
    issuer: subject,
    publicKey,
    signer: privateKey,
    notBefore: new Date(t.getTime() - hour),
    notAfter: new Date(t.getTime() + 31 * 24 * hour),
    extensions: [
      extension(oids.basicConstraints, true, seq(bool(true), uint(Buffer.from([0])))), // CA, no intermediates
      extension(oids.keyUsage, true, bits(Buffer.from([0x06]), 1)), // keyCertSign, cRLSign
      extension(oids.subjectKeyId, false, octets(id)),
    ],
  });
  return authority({ certPem, key: privateKey, subject, keyId: id }, now);
}

/** The user's CA (tlsTerminate.caCertPath/caKeyPath): its subject and key identifier are repeated in each leaf. */
export function loadedAuthority(certPem: string, keyPem: string, now: () => Date = () => new Date()): Authority {
  const block = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(certPem);
  if (!block) throw new Error("no PEM CERTIFICATE block");
  const der = Buffer.from(block[1]!.replace(/\s+/g, ""), "base64");
  const key = createPrivateKey(keyPem);
  const caPublic = createPublicKey(certPem);
  if (!caPublic.equals(createPublicKey(key))) throw new Error("the key does not belong to the certificate");
  const tbs = readAll(readOne(der).value)[0]!;
  const fields = readAll(tbs.value);
  const offset = fields[0]!.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4]!.raw;
  let id = keyId(caPublic);
  const exts = fields.find((f) => f.tag === 0xa3);
  if (exts)
    for (const ext of readAll(readOne(exts.value).value)) {
      const parts = readAll(ext.value);
      if (parts[0]!.raw.equals(oid(oids.subjectKeyId))) id = readOne(parts[parts.length - 1]!.value).value;
    }
  return authority(
    { certPem: `-----BEGIN CERTIFICATE-----${block[1]}-----END CERTIFICATE-----\n`, key, subject, keyId: id },
    now,
  );
}
