/**
 * Where a path leaves srt for the operating system. Node turns a string into
 * UTF-8 and replaces a lone surrogate by U+FFFD, so a path holding escaped
 * bytes (see compiler/byte-paths.ts) would silently name another file: such
 * a path goes as the exact bytes instead. Plain paths stay strings (no copy).
 */
import { decodeBytes, encodePath, hasByteEscapes } from "../compiler/byte-paths.js";

export const osPath = (path: string): string | Buffer => (hasByteEscapes(path) ? Buffer.from(encodePath(path)) : path);

/**
 * A name or path the OS gave as bytes (`encoding: "buffer"`), as srt's string.
 * Node's own decoder first (walks list many names): it writes U+FFFD for every
 * invalid sequence, so a result without one was valid UTF-8 and is exact.
 */
export function fromOs(bytes: Buffer): string {
  const fast = bytes.toString("utf8");
  return fast.includes("\ufffd") ? decodeBytes(bytes) : fast;
}
