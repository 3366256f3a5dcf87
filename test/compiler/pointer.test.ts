/** JSON pointers (RFC 6901): keys with `~` and `/` survive the trip into a pointer and back. */
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeSegment, pointerKeys, pointerOf, unescapeSegment } from "../../src/compiler/pointer.js";

describe("JSON pointers", () => {
  it("escapes ~ before / (RFC 6901 §3), so ~1 in a key is not read back as /", () => {
    expect(pointerOf("a/b", "~1", 0)).toBe("/a~1b/~01/0");
    expect(pointerKeys("/a~1b/~01/0")).toEqual(["a/b", "~1", "0"]);
    expect(pointerKeys("")).toEqual([]);
  });

  it("every key list round-trips", () => {
    const key = fc.string({ unit: fc.constantFrom("~", "/", "0", "1", "a") });
    fc.assert(
      fc.property(fc.array(key), (keys) => {
        expect(pointerKeys(pointerOf(...keys))).toEqual(keys);
        for (const k of keys) expect(unescapeSegment(escapeSegment(k))).toBe(k);
      }),
    );
  });
});
