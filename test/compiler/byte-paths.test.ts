/**
 * Byte names ↔ strings (surrogateescape): every byte that is not part of
 * valid UTF-8 survives the round trip, valid UTF-8 is untouched, plan JSON
 * keeps the escapes, and a real non-UTF-8 name on disk is read and named
 * exactly by the Node host.
 */
import fc from "fast-check";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeBytes,
  encodePath,
  hasByteEscapes,
  hasStraySurrogate,
  quotePath,
  showBytes,
} from "../../src/compiler/byte-paths.js";
import { createNodeHost } from "../../src/runtime/node-host.js";
import { fromOs, osPath } from "../../src/runtime/os-path.js";

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe("byte paths", () => {
  it("every byte 0x80-0xFF alone becomes U+DC80+, and back", () => {
    for (let b = 0x80; b <= 0xff; b++) {
      const s = decodeBytes(bytes(0x61, b, 0x62));
      expect(s).toBe(`a${String.fromCharCode(0xdc00 + b)}b`);
      expect(hasByteEscapes(s)).toBe(true);
      expect(encodePath(s)).toEqual(bytes(0x61, b, 0x62));
      expect(showBytes(s)).toBe(`a\\x${b.toString(16)}b`);
    }
  });

  it("valid UTF-8 is decoded as itself and has no escapes", () => {
    for (const s of ["plain", "é", "日本語", "😀 emoji", "\u{10ffff}", "a\u0000b", "\ufeffbom-first"]) {
      const encoded = new TextEncoder().encode(s);
      expect(decodeBytes(encoded)).toBe(s);
      expect(encodePath(s)).toEqual(encoded);
      expect(hasByteEscapes(s)).toBe(false);
      expect(showBytes(s)).toBe(s);
    }
    // A character whose low surrogate lies in the escape range is a real character, not an escape.
    expect(hasByteEscapes("\u{1f480}")).toBe(false);
  });

  it("overlong forms, encoded surrogates, truncated sequences and code points above U+10FFFF are escaped byte by byte", () => {
    for (const seq of [
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0xf0, 0x9f, 0x98],
      [0xff, 0xfe],
    ]) {
      const s = decodeBytes(Uint8Array.from(seq));
      expect([...s].map((c) => c.charCodeAt(0) - 0xdc00)).toEqual(seq);
      expect(encodePath(s)).toEqual(Uint8Array.from(seq));
    }
  });

  it("any byte string survives decode → JSON → encode", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const s = decodeBytes(b);
        expect(hasStraySurrogate(s)).toBe(false);
        expect(encodePath(JSON.parse(JSON.stringify(s)) as string)).toEqual(b);
      }),
      { numRuns: 2000 },
    );
  });

  it("quoted for people: bytes as \\xNN, a literal backslash stays distinguishable", () => {
    expect(quotePath("/p/\udcff-dir")).toBe('"/p/\\xff-dir"');
    expect(quotePath("/p/\\udcff")).toBe('"/p/\\\\udcff"');
    expect(quotePath("/p/\\\udcff")).toBe('"/p/\\\\\\xff"');
    expect(quotePath('a"\n\u0001')).toBe(JSON.stringify('a"\n\u0001'));
  });

  it("a stray surrogate (from JSON text) names no bytes", () => {
    expect(hasStraySurrogate("a\ud800b")).toBe(true);
    expect(hasStraySurrogate("a\udc00b")).toBe(true);
    expect(hasStraySurrogate("a\udcffb")).toBe(false);
    expect(() => encodePath("a\ud800")).toThrow(/names no bytes/);
  });

  it("the Node side decodes exactly as decodeBytes does, a real U+FFFD in a name included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        expect(fromOs(Buffer.from(b))).toBe(decodeBytes(b));
      }),
      { numRuns: 2000 },
    );
    for (const s of ["ok", "\ufffd", "a\ufffdb", "\ufeffbom"]) expect(fromOs(Buffer.from(s))).toBe(s);
    expect(fromOs(Buffer.from([0xef, 0xbf, 0xbd, 0xff]))).toBe("\ufffd\udcff");
  });

  it("a listing mixing plain names, a real U+FFFD and bytes that are not UTF-8: each name exact", () => {
    const dir = mkdtempSync(join(tmpdir(), "srt-bytes-"));
    try {
      writeFileSync(join(dir, "plain"), "");
      writeFileSync(join(dir, "a\ufffdb"), "");
      writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x62, 0xff])]), "");
      const names = (r: ReturnType<ReturnType<typeof createNodeHost>["readdir"]>): string[] =>
        r.ok ? r.value.map((e) => e.name).sort() : [];
      expect(names(createNodeHost().readdir(dir))).toEqual(["a\ufffdb", "b\udcff", "plain"]);
      rmSync(Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x62, 0xff])]));
      // A real U+FFFD alone is listed exactly too (the slow path finds it is UTF-8 after all).
      expect(names(createNodeHost().readdir(dir))).toEqual(["a\ufffdb", "plain"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a real name on disk: the Node host lists it escaped, and names it exactly", () => {
    const dir = mkdtempSync(join(tmpdir(), "srt-bytes-"));
    try {
      const raw = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0xff, 0x2d, 0x64, 0xe9])]);
      mkdirSync(raw);
      writeFileSync(Buffer.concat([raw, Buffer.from("/.bashrc")]), "x");
      const host = createNodeHost();
      const list = host.readdir(dir);
      expect(list).toEqual({ ok: true, value: [{ name: "\udcff-d\udce9", kind: "dir" }] });
      const path = `${dir}/\udcff-d\udce9`;
      expect(host.lstat(path)).toMatchObject({ ok: true, value: { kind: "dir" } });
      expect(host.readdir(path)).toEqual({ ok: true, value: [{ name: ".bashrc", kind: "file" }] });
      expect(host.realpath(`${path}/.bashrc`)).toEqual({ ok: true, value: `${path}/.bashrc` });
      expect(existsSync(osPath(`${path}/.bashrc`))).toBe(true);
      // Without the encoding, Node would write U+FFFD in place of the bytes and name another file.
      expect(existsSync(`${path}/.bashrc`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
