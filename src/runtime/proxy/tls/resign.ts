/**
 * The last step for a request signed with a masked AWS pair (credentials/aws.ts):
 * its headers as they go upstream, with the Authorization signed again by the
 * real pair over exactly what is sent (method, target, signed headers, body).
 * The payload hash is the client's UNSIGNED-PAYLOAD when it chose that, else
 * the SHA-256 of the body srt forwards, which also goes in x-amz-content-sha256
 * when the client sent that header. A body srt streams (too large to hold)
 * cannot be hashed first: refused.
 */
import type { Sigv4Plan } from "../credentials/aws.js";
import { sha256Hex, sign, unsignedPayload } from "../credentials/sigv4.js";

export type Resigned =
  { readonly ok: true; readonly headers: string[] } | { readonly ok: false; readonly reason: string };

export function resign(
  plan: Extract<Sigv4Plan, { kind: "resign" }>,
  method: string,
  target: string,
  headers: readonly string[],
  host: string,
  body: Buffer | undefined,
): Resigned {
  const declared: string[] = [];
  for (let i = 0; i < headers.length; i += 2)
    if (headers[i]!.toLowerCase() === "x-amz-content-sha256") declared.push(headers[i + 1]!.trim());
  let payloadHash: string;
  if (declared.length === 1 && declared[0] === unsignedPayload) payloadHash = unsignedPayload;
  else if (declared.length > 1) return { ok: false, reason: "it carries more than one x-amz-content-sha256" };
  else if (body === undefined) return { ok: false, reason: "its body is too large to hash before it is sent" };
  else payloadHash = sha256Hex(body);
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (name === "authorization") continue;
    out.push(headers[i]!, name === "x-amz-content-sha256" ? payloadHash : headers[i + 1]!);
  }
  const signed = sign({
    method,
    target,
    headers: [...out, "Host", host],
    signedHeaders: plan.auth.signedHeaders,
    payloadHash,
    amzDate: plan.amzDate,
    scope: plan.auth.scope,
    accessKeyId: plan.pair.realKeyId,
    secret: plan.pair.realSecret,
  });
  if (!signed.ok) return signed;
  out.push("Authorization", signed.authorization);
  return { ok: true, headers: out };
}
