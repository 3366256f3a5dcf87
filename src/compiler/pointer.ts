/**
 * RFC 6901 JSON pointers, the one way a settings key becomes a pointer
 * segment and back: `~` is `~0` and `/` is `~1`, escaped in that order and
 * unescaped in the reverse one, so a key like `a/~1` survives the round trip.
 */
import type { Pointer } from "./ir.js";

export const escapeSegment = (key: string | number): string => String(key).replaceAll("~", "~0").replaceAll("/", "~1");

export const unescapeSegment = (segment: string): string => segment.replaceAll("~1", "/").replaceAll("~0", "~");

/** A pointer from keys and indexes (at least one: the root "" is no value's origin). */
export const pointerOf = (...segments: readonly [...(string | number)[], string | number]): Pointer =>
  `/${segments.map(escapeSegment).join("/")}`;

/** The keys a pointer names, unescaped ("" names the root: no keys). */
export const pointerKeys = (pointer: string): string[] => pointer.split("/").slice(1).map(unescapeSegment);

/** Where a diagnostic about a rule points: its origin when that is a settings pointer, else the document (""). */
export const pointerOfOrigin = (origin: string): string => (origin.startsWith("/") ? origin : "");
