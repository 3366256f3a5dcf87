/**
 * The bytes srt hands bwrap and srt-supervise, made in native code where that gives the same bytes.
 *
 * nulFields: strings as the exact bytes they stand for (compiler/byte-paths.ts), each followed by
 * a NUL, the format of bwrap's `--args` and of srt-supervise's configuration. A string without
 * surrogates (hence no escaped byte, and no character outside the BMP) is its UTF-8, which
 * Buffer.write makes natively; only the others go through encodePath, character by character.
 * That loop, run cold on every field of every run (about 130 bwrap options, 3 KB of supervisor
 * configuration), cost 1.5-10 ms per run on a loaded machine (issue 19).
 */
import { encodePath } from "../../compiler/byte-paths.js";

/** Any UTF-16 surrogate (no `u` flag: code units): an escaped byte, a lone half, or half of a pair. */
const surrogate = /[\ud800-\udfff]/;

export function nulFields(fields: readonly string[]): Buffer {
  const parts: (string | Uint8Array)[] = [];
  let size = 0;
  for (const f of fields) {
    const part = surrogate.test(f) ? encodePath(f) : f;
    parts.push(part);
    size += (typeof part === "string" ? Buffer.byteLength(part, "utf8") : part.length) + 1;
  }
  const out = Buffer.alloc(size); // zero-filled: every NUL is already in place
  let at = 0;
  for (const part of parts) {
    if (typeof part === "string") at += out.write(part, at, "utf8");
    else {
      out.set(part, at);
      at += part.length;
    }
    at++;
  }
  return out;
}

/** Canonical base64 (what srt writes into a plan), which Buffer decodes exactly as atob does. */
const canonicalBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The plan's seccomp program as bytes. Canonical base64 is decoded natively; anything else takes
 * atob's path as before (which refuses what is not base64), so no input decodes differently. The
 * per-character callback cost 0.2-0.5 ms per run (issue 19).
 */
export function seccompBytes(base64: string): Uint8Array {
  if (canonicalBase64.test(base64)) return Buffer.from(base64, "base64");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}
