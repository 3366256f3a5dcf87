/**
 * Strings as the exact bytes they stand for (compiler/byte-paths.ts), each followed by a NUL: the
 * format of bwrap's `--args` and of srt-supervise's configuration. A string without surrogates
 * (hence no escaped byte, and no character outside the BMP) is its UTF-8, which Buffer.write makes
 * in native code; only the others go through encodePath, character by character. That loop, run cold
 * on every field of every run (about 130 bwrap options, 3 KB of supervisor configuration), cost
 * 1.5-10 ms per run on a loaded machine (issue 19); the bytes are the same.
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
