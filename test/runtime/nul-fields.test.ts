/**
 * nulFields (src/runtime/linux/nul-fields.ts) writes bwrap's --args and srt-supervise's
 * configuration: the bytes must be exactly encodePath's, each field NUL-terminated, whichever
 * path (native UTF-8 or the character loop) a string takes.
 */
import { describe, expect, it } from "vitest";
import { decodeBytes, encodePath } from "../../src/compiler/byte-paths.js";
import { nulFields, seccompBytes } from "../../src/runtime/linux/nul-fields.js";
import { argsBytes } from "../../src/runtime/linux/spawn-bwrap.js";

/** The encoding before nulFields: encodePath per field, a NUL after each. */
const reference = (fields: readonly string[]): Buffer =>
  Buffer.concat(fields.flatMap((f) => [Buffer.from(encodePath(f)), Buffer.of(0)]));

describe("nulFields", () => {
  it("gives encodePath's bytes for ASCII, other BMP text, astral characters, escaped bytes and empty fields", () => {
    const fields = [
      "--ro-bind",
      "/home/u/proj",
      "",
      "/home/ü/проект/日本",
      "/tmp/😀/x",
      decodeBytes(Buffer.from([0x2f, 0x61, 0xff, 0xfe, 0x62])), // /a\xff\xfeb: escaped bytes
      decodeBytes(Buffer.from([0xc3, 0x28])), // an invalid UTF-8 sequence
      "mixed 😀 " + decodeBytes(Buffer.from([0x80])),
    ];
    expect(nulFields(fields)).toEqual(reference(fields));
    expect(argsBytes(fields)).toEqual(reference(fields));
    for (const f of fields) expect(nulFields([f])).toEqual(reference([f]));
  });

  it("matches encodePath on many random strings", () => {
    let seed = 19;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pool = ["a", "/", " ", "\n", "é", "Ω", "日", "😀", "\udc80", "\udcff", "\udca0", "\u0000"];
    for (let i = 0; i < 500; i++) {
      const fields = Array.from({ length: rand(4) }, () =>
        Array.from({ length: rand(12) }, () => pool[rand(pool.length)]!).join(""),
      );
      expect(nulFields(fields)).toEqual(reference(fields));
    }
  });

  it("refuses a lone surrogate that stands for no byte, as encodePath does", () => {
    expect(() => nulFields(["/a\ud800b"])).toThrow(/lone surrogate/);
    expect(() => nulFields(["/a\udc00"])).toThrow(/lone surrogate/);
  });
});

describe("seccompBytes", () => {
  const old = (b: string): Uint8Array => Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
  it("decodes exactly as atob did, for every length and padding", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n * 7) & 0xff);
      const b64 = Buffer.from(bytes).toString("base64");
      expect(Uint8Array.from(seccompBytes(b64))).toEqual(bytes);
      expect(Uint8Array.from(seccompBytes(b64))).toEqual(old(b64));
    }
  });

  it("what is not canonical base64 takes atob's path: refused when atob refuses, the same bytes when it accepts", () => {
    expect(() => seccompBytes("AAA*")).toThrow();
    expect(() => seccompBytes("A")).toThrow();
    expect(Uint8Array.from(seccompBytes("AAE"))).toEqual(old("AAE"));
    expect(Uint8Array.from(seccompBytes("AA E=\n"))).toEqual(old("AA E="));
  });
});
