/**
 * Masked AWS key pairs (credentials.awsPairs). The command holds a sentinel
 * key id and a sentinel secret, so every SigV4 signature it computes is an
 * HMAC over the sentinel secret: swapping the key id back cannot repair it.
 * For a request whose signature names a pair's sentinel key id, headed to
 * one of the key id's inject hosts over terminated TLS, srt's proxy signs
 * again with the real pair, keeping the client's scope, signed-header list
 * and x-amz-date, over the request exactly as it goes upstream.
 *
 * What cannot be signed again is refused by default (credentials.sigv4):
 * aws-chunked streaming payloads (each chunk's signature chains off the
 * seed), presigned URLs (the signature is in the query), SigV4a (ECDSA). An
 * Authorization that names the sentinel but does not parse is refused too.
 * The plan is made on the client's own headers, before substitution swaps
 * the sentinel key id away.
 */
import type { CanonicalHost } from "../../../compiler/domains/index.js";
import { matchNetRules } from "../../../compiler/domains/index.js";
import type { NetRule, Origin, Sigv4Policies } from "../../../compiler/ir.js";
import { parseAuthorization, sigv4aAlgorithm, type ParsedAuthorization } from "./sigv4.js";

export interface AwsKeyPair {
  readonly sentinelKeyId: string;
  readonly realKeyId: string;
  readonly realSecret: string;
  /** The key id entry's inject hosts: the only places a re-signed request may go. */
  readonly hosts: readonly NetRule[];
  readonly origin: Origin;
}

export type Sigv4Plan =
  | { readonly kind: "none" }
  | { readonly kind: "deny"; readonly reason: string; readonly origin: Origin }
  | {
      readonly kind: "resign";
      readonly pair: AwsKeyPair;
      readonly auth: ParsedAuthorization;
      readonly amzDate: string;
    };

export interface AwsPairs {
  readonly pairs: readonly AwsKeyPair[];
  /** What to do with this request, judged on the client's headers (flat [name, value, …]) and target. */
  plan(target: string, headers: readonly string[], host: CanonicalHost, port: number): Sigv4Plan;
}

const values = (headers: readonly string[], name: string): string[] => {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) out.push(headers[i + 1]!);
  return out;
};

/** The key id an X-Amz-Credential query parameter names, if any. */
function presignedKeyId(target: string): string | undefined {
  const q = target.indexOf("?");
  if (q < 0) return undefined;
  for (const part of target.slice(q + 1).split("&")) {
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    if (k.toLowerCase() !== "x-amz-credential") continue;
    let v = eq < 0 ? "" : part.slice(eq + 1);
    try {
      v = decodeURIComponent(v);
    } catch {
      /* kept as sent */
    }
    return v.split("/")[0];
  }
  return undefined;
}

export function awsPairs(pairs: readonly AwsKeyPair[], policies: Sigv4Policies): AwsPairs {
  const bySentinel = new Map(pairs.map((p) => [p.sentinelKeyId, p]));
  const deny = (pair: AwsKeyPair, reason: string): Sigv4Plan => ({
    kind: "deny",
    reason: `the request is signed with the masked AWS key pair ${pair.origin}, and ${reason}`,
    origin: pair.origin,
  });
  return {
    pairs,
    plan(target, headers, host, port) {
      if (pairs.length === 0) return { kind: "none" };
      const mentioned = (text: string): AwsKeyPair | undefined => {
        for (const p of pairs) if (text.includes(p.sentinelKeyId)) return p;
        return undefined;
      };
      const authorizations = values(headers, "authorization");
      const named = authorizations.map(mentioned).find((p) => p !== undefined);
      // Headed elsewhere: not the re-signer's; substitution refuses the sentinel there.
      if (named !== undefined && matchNetRules(named.hosts, host, port).verdict !== "allow") return { kind: "none" };
      if (named !== undefined) {
        if (authorizations.length !== 1) return deny(named, "carries more than one Authorization header");
        const value = authorizations[0]!.trim();
        if (value.startsWith(sigv4aAlgorithm))
          return policies.sigv4a.value === "deny"
            ? deny(named, `SigV4a (ECDSA) cannot be signed again  ← ${policies.sigv4a.origin}`)
            : { kind: "none" };
        const auth = parseAuthorization(value);
        if (auth === undefined || bySentinel.get(auth.accessKeyId) !== named)
          return deny(named, "its Authorization is not a SigV4 header srt can sign again");
        const sha = values(headers, "x-amz-content-sha256");
        if (sha.some((v) => v.trim().startsWith("STREAMING-")))
          return policies.streaming.value === "deny"
            ? deny(
                named,
                `its payload is aws-chunked (streaming), which cannot be signed again  ← ${policies.streaming.origin}`,
              )
            : { kind: "none" };
        const dates = values(headers, "x-amz-date");
        if (dates.length !== 1 || !/^\d{8}T\d{6}Z$/.test(dates[0]!.trim()))
          return deny(named, "it has no single x-amz-date to sign with");
        if (!auth.signedHeaders.includes("host")) return deny(named, "its signature does not cover host");
        return { kind: "resign", pair: named, auth, amzDate: dates[0]!.trim() };
      }
      const presigned = presignedKeyId(target);
      const pair = presigned === undefined ? undefined : bySentinel.get(presigned);
      if (pair !== undefined && matchNetRules(pair.hosts, host, port).verdict === "allow")
        return policies.presigned.value === "deny"
          ? deny(pair, `a presigned URL cannot be signed again  ← ${policies.presigned.origin}`)
          : { kind: "none" };
      return { kind: "none" };
    },
  };
}
