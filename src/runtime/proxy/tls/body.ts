/**
 * Masked credentials in request bodies (a token POSTed to an OAuth endpoint,
 * a JSON config upload). Bodies are bytes; sentinels are ASCII, so the scan
 * works on latin1 text (one char per byte) and real values go in as their
 * UTF-8 bytes. A stream keeps back the last (longest sentinel − 1) bytes so a
 * sentinel split across chunks is still found.
 */
import type { ClientRequest } from "node:http";
import type { Readable } from "node:stream";
import type { CanonicalHost } from "../../../compiler/domains/index.js";
import type { Origin } from "../../../compiler/ir.js";
import type { MaskSet } from "../credentials/masks.js";

type BodyResult = { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly origin: Origin };

export function substituteBody(masks: MaskSet, body: Buffer, host: CanonicalHost, port: number): BodyResult {
  const r = applyBytes(masks, body.toString("latin1"), host, port);
  return r.ok ? { ok: true, body: Buffer.from(r.text, "latin1") } : r;
}

function applyBytes(
  masks: MaskSet,
  text: string,
  host: CanonicalHost,
  port: number,
): { ok: true; text: string } | { ok: false; origin: Origin } {
  if (!masks.mentions(text)) return { ok: true, text };
  let out = text;
  for (const s of masks.secrets) {
    if (!out.includes(s.sentinel)) continue;
    // Decide with the set's own rule (the same host check as for headers).
    const probe = masks.apply(s.sentinel, host, port);
    if (!probe.ok) return probe;
    out = out.split(s.sentinel).join(Buffer.from(s.real, "utf8").toString("latin1"));
  }
  return { ok: true, text: out };
}

export function substituteStream(
  masks: MaskSet,
  from: Readable,
  to: ClientRequest,
  host: CanonicalHost,
  port: number,
  refused: (origin: Origin) => void,
): void {
  const keep = Math.max(0, masks.longest - 1);
  let pending = "";
  let stopped = false;
  /** Writes what is safe to write; false when refused. */
  const flush = (final: boolean): boolean => {
    const r = applyBytes(masks, pending, host, port);
    if (!r.ok) {
      stopped = true;
      from.unpipe();
      from.resume();
      refused(r.origin);
      return false;
    }
    const cut = final ? r.text.length : Math.max(0, r.text.length - keep);
    pending = r.text.slice(cut);
    if (cut > 0 && !to.write(Buffer.from(r.text.slice(0, cut), "latin1"))) {
      from.pause();
      to.once("drain", () => from.resume());
    }
    return true;
  };
  from.on("data", (chunk: Buffer) => {
    if (stopped) return;
    pending += chunk.toString("latin1");
    flush(false);
  });
  from.once("end", () => {
    if (!stopped && flush(true)) to.end();
  });
}
