/**
 * Masked credentials on plain HTTP (absolute-form requests to the HTTP
 * proxy). Nothing there is encrypted, so the real value is injected only with
 * credentials.allowPlaintextInject, and only for the credential's own hosts;
 * a sentinel in any other plain request refuses it, as over terminated TLS.
 */
import type { IncomingMessage } from "node:http";
import { canonicalizeHost } from "../../../compiler/domains/index.js";
import type { Origin } from "../../../compiler/ir.js";
import type { MaskSet } from "./masks.js";

/**
 * The set as plain HTTP may use it: itself with allowPlaintextInject, else one
 * whose every sentinel is refused everywhere.
 */
export function plainMasks(masks: MaskSet): MaskSet {
  if (masks.allowPlaintext) return masks;
  return {
    ...masks,
    apply(text) {
      const hit = masks.mentions(text) ? masks.secrets.find((s) => text.includes(s.sentinel)) : undefined;
      return hit === undefined ? { ok: true, text, injected: 0 } : { ok: false, origin: hit.origin };
    },
  };
}

export type PlainResult =
  | { readonly ok: true; readonly path: string; readonly headers: string[]; readonly streamBody: boolean }
  | { readonly ok: false; readonly origin: Origin };

export function plainRequest(
  masks: MaskSet,
  req: IncomingMessage,
  rawHost: string,
  port: number,
  path: string,
  headers: readonly string[],
): PlainResult {
  const host = canonicalizeHost(rawHost);
  const apply = (text: string): { ok: true; text: string } | { ok: false; origin: Origin } =>
    host === null ? { ok: true, text } : masks.apply(text, host, port);
  const p = apply(path);
  if (!p.ok) return p;
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const v = apply(headers[i + 1]!);
    if (!v.ok) return v;
    out.push(headers[i]!, v.text);
  }
  const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  if (!hasBody) return { ok: true, path: p.text, headers: out, streamBody: false };
  // A body is scanned as it streams; its length may change, so it goes chunked.
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2)
    if (out[i]!.toLowerCase() !== "content-length") kept.push(out[i]!, out[i + 1]!);
  kept.push("Transfer-Encoding", "chunked");
  return { ok: true, path: p.text, headers: kept, streamBody: true };
}
