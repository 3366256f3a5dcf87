/**
 * `decode: "jwt"`: masking inside JSON Web Tokens, so a tool that parses its
 * token (segment count, `exp`, a user-id claim) keeps working on the masked
 * one. A candidate is masked only if it really is a JWT: three base64url
 * segments, a JSON header with an `alg`, a JSON object payload.
 *
 * - Whole token (no maskClaims): replaced by a fake that parses (header
 *   `alg: HS256`, never `none`, which careless verifiers accept; a far-future
 *   `exp`; a random `jti`; a filler signature no key produced), swapped back
 *   for the real token on the way out.
 * - maskClaims: each named top-level claim with a string value gets its own
 *   sentinel; the token is rebuilt around that payload (original header
 *   segment, filler signature). Both the rebuilt token and each claim
 *   sentinel are swapped back.
 */
import { randomBytes } from "node:crypto";

/** The default pattern for files: every JWT starts with `eyJ` (base64url of `{"`). */
export const jwtPattern = "(eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*)";

const b64u = (b: Buffer | string): string => Buffer.from(b).toString("base64url");

export interface ParsedJwt {
  readonly segments: readonly [string, string, string];
  readonly payload: Record<string, unknown>;
}

export function parseJwt(token: string): ParsedJwt | undefined {
  const segments = token.split(".");
  if (segments.length !== 3 || !segments.every((s) => /^[A-Za-z0-9_-]*$/.test(s))) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(segments[0]!, "base64url").toString("utf8"));
    const payload: unknown = JSON.parse(Buffer.from(segments[1]!, "base64url").toString("utf8"));
    const isObject = (v: unknown): v is Record<string, unknown> =>
      typeof v === "object" && v !== null && !Array.isArray(v);
    if (!isObject(header) || typeof header["alg"] !== "string" || !isObject(payload)) return undefined;
    return { segments: segments as [string, string, string], payload };
  } catch {
    return undefined;
  }
}

/** A structurally valid stand-in for a whole token; unique, so it is its own sentinel. */
export function fakeJwt(random: () => string = () => randomBytes(16).toString("hex")): string {
  const header = b64u(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = b64u(JSON.stringify({ sub: "srt-masked", jti: random(), exp: 4102444800 }));
  return `${header}.${payload}.${b64u(randomBytes(32))}`;
}

/**
 * The token with each named string claim replaced by sentinelOf(value), or
 * undefined when none of the claims is there as a string.
 */
export function maskJwtClaims(
  jwt: ParsedJwt,
  claims: readonly string[],
  sentinelOf: (value: string) => string,
): string | undefined {
  const payload = { ...jwt.payload };
  let masked = 0;
  for (const c of claims) {
    const v = payload[c];
    if (typeof v === "string" && v !== "") {
      payload[c] = sentinelOf(v);
      masked++;
    }
  }
  if (masked === 0) return undefined;
  return `${jwt.segments[0]}.${b64u(JSON.stringify(payload))}.${b64u(randomBytes(32))}`;
}
