/**
 * AWS Signature Version 4 (AWS4-HMAC-SHA256), written from AWS's public
 * description of the protocol: canonical request → string to sign → HMAC
 * chain from "AWS4" + secret over date, region, service, "aws4_request".
 * Pure: no I/O, no clock (the caller passes the request's own x-amz-date).
 *
 * The canonical URI follows what AWS services verify: for S3 the path as it
 * is on the wire; for every other service the path with dot segments
 * resolved, each segment percent-encoded once more on top of its wire form.
 */
import { createHash, createHmac } from "node:crypto";

export const sigv4Algorithm = "AWS4-HMAC-SHA256";
export const sigv4aAlgorithm = "AWS4-ECDSA-P256-SHA256";
export const unsignedPayload = "UNSIGNED-PAYLOAD";

export interface Scope {
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly scope: Scope;
  /** Lower case, as the client listed them. */
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`, or undefined. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(value.trim());
  if (m === null) return undefined;
  const fields = new Map<string, string>();
  for (const part of m[1]!.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) return undefined;
    const k = part.slice(0, eq).trim();
    if (fields.has(k)) return undefined;
    fields.set(k, part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signed = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (credential === undefined || signed === undefined || signature === undefined) return undefined;
  const c = credential.split("/");
  if (c.length !== 5 || c[4] !== "aws4_request" || c.some((x) => x === "")) return undefined;
  if (!/^[0-9a-f]{64}$/.test(signature) || !/^\d{8}$/.test(c[1]!)) return undefined;
  const signedHeaders = signed.split(";");
  if (signedHeaders.some((h) => h === "" || h !== h.toLowerCase())) return undefined;
  return { accessKeyId: c[0]!, scope: { date: c[1]!, region: c[2]!, service: c[3]! }, signedHeaders, signature };
}

/** RFC 3986 strict: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper-case hex, UTF-8). */
export function uriEncode(s: string, keepSlash = false): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch) || (keepSlash && ch === "/")) out += ch;
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Percent-decoding that leaves malformed escapes as they are. */
function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function canonicalUri(path: string, service: string): string {
  if (path === "") return "/";
  if (service === "s3") return path;
  const out: string[] = [];
  const segments = path.split("/").slice(1);
  segments.forEach((seg, i) => {
    if (seg === ".") {
      if (i === segments.length - 1) out.push("");
    } else if (seg === "..") {
      out.pop();
      if (i === segments.length - 1) out.push("");
    } else out.push(seg);
  });
  return `/${out.map((s) => uriEncode(s)).join("/")}`;
}

export function canonicalQuery(query: string): string {
  if (query === "") return "";
  const pairs = query
    .split("&")
    .filter((p) => p !== "")
    .map((p) => {
      const eq = p.indexOf("=");
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? "" : p.slice(eq + 1);
      return [uriEncode(decode(k)), uriEncode(decode(v))] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

export interface SignInput {
  readonly method: string;
  /** Origin form as sent: `/path?query`. */
  readonly target: string;
  /** Flat [name, value, …] as sent (Host included). */
  readonly headers: readonly string[];
  readonly signedHeaders: readonly string[];
  readonly payloadHash: string;
  readonly amzDate: string;
  readonly scope: Scope;
}

/** The canonical request, or a reason when a signed header is not in the request. */
export function canonicalRequest(input: SignInput): { ok: true; text: string } | { ok: false; reason: string } {
  const q = input.target.indexOf("?");
  const path = q < 0 ? input.target : input.target.slice(0, q);
  const query = q < 0 ? "" : input.target.slice(q + 1);
  const names = [...new Set(input.signedHeaders)].sort();
  const lines: string[] = [];
  for (const name of names) {
    const values: string[] = [];
    for (let i = 0; i < input.headers.length; i += 2)
      if (input.headers[i]!.toLowerCase() === name) values.push(input.headers[i + 1]!.trim().replace(/\s+/g, " "));
    if (values.length === 0) return { ok: false, reason: `the signed header ${name} is not in the request` };
    lines.push(`${name}:${values.join(",")}\n`);
  }
  return {
    ok: true,
    text: [
      input.method,
      canonicalUri(path, input.scope.service),
      canonicalQuery(query),
      lines.join(""),
      names.join(";"),
      input.payloadHash,
    ].join("\n"),
  };
}

export function stringToSign(canonical: string, amzDate: string, scope: Scope): string {
  return [sigv4Algorithm, amzDate, scopeText(scope), sha256Hex(canonical)].join("\n");
}

export function signingKey(secret: string, scope: Scope): Buffer {
  const h = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();
  return h(h(h(h(`AWS4${secret}`, scope.date), scope.region), scope.service), "aws4_request");
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

const scopeText = (s: Scope): string => `${s.date}/${s.region}/${s.service}/aws4_request`;

export type Signed =
  | { readonly ok: true; readonly authorization: string; readonly signature: string; readonly canonical: string }
  | { readonly ok: false; readonly reason: string };

export function sign(input: SignInput & { readonly accessKeyId: string; readonly secret: string }): Signed {
  const c = canonicalRequest(input);
  if (!c.ok) return c;
  const signature = createHmac("sha256", signingKey(input.secret, input.scope))
    .update(stringToSign(c.text, input.amzDate, input.scope), "utf8")
    .digest("hex");
  const names = [...new Set(input.signedHeaders)].sort().join(";");
  return {
    ok: true,
    signature,
    canonical: c.text,
    authorization: `${sigv4Algorithm} Credential=${input.accessKeyId}/${scopeText(input.scope)}, SignedHeaders=${names}, Signature=${signature}`,
  };
}
