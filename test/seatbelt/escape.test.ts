import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  lowerSeatbelt,
  renderSeatbelt,
  parseSbpl,
  quoteRegex,
  quoteString,
  SbplEncodingError,
  validateSbpl,
} from "../../src/backends/seatbelt/index.js";
import { createEvaluator } from "./evaluate.js";
import { globRule, makePolicy, pathRule, proxy } from "./policy-fixtures.js";

/** Any text a file name can hold: all of Unicode (no lone surrogates), no NUL. */
const pathText = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\0"));

const readBack = (atom: string) => {
  const { forms, problems } = parseSbpl(atom);
  expect(problems).toEqual([]);
  expect(forms).toHaveLength(1);
  return forms[0]!;
};

describe("string escaping", () => {
  it.each([
    ['a"b', '"a\\"b"'],
    ["a\\b", '"a\\\\b"'],
    ["line\nbreak", '"line\\nbreak"'],
    ["tab\there\rcr", '"tab\\there\\rcr"'],
    ["bell\u0007del\u007f", '"bell\\x07del\\x7f"'],
    ["/Users/u/My Documents", '"/Users/u/My Documents"'],
    ["/Users/ü/日本語/😀", '"/Users/ü/日本語/😀"'],
  ])("%j → %s", (text, sbpl) => {
    expect(quoteString(text)).toBe(sbpl);
  });

  it("reads back as the same text, whatever the text", () => {
    fc.assert(
      fc.property(pathText, (s) => {
        const atom = readBack(quoteString(s));
        expect(atom).toEqual({ kind: "string", value: s, offset: 0 });
      }),
    );
  });

  it("writes a byte of a name that is not UTF-8 as that byte, \\xHH, and reads it back", () => {
    expect(quoteString("/p/\udcff-dir/\udc80")).toBe('"/p/\\xff-dir/\\x80"');
    expect(readBack(quoteString("/p/\udcff"))).toEqual({ kind: "string", value: "/p/\udcff", offset: 0 });
    // A pair whose low half lies in that range is one character, written as itself.
    expect(quoteString("/p/\u{1f480}")).toBe('"/p/\u{1f480}"');
    // #"…" has no escapes: such a regex is written as an ordinary string.
    expect(quoteRegex("^/p/\udcff$")).toBe('"^/p/\\xff$"');
    const policy = makePolicy({
      rules: [
        pathRule("write", "allow", "/Users/u/p"),
        pathRule("write", "deny", "/Users/u/p/\udcff-dir"),
        globRule("read", "deny", "/Users/u/p/\udcfe*/*.key"),
      ],
    });
    const profile = renderSeatbelt(lowerSeatbelt(policy, { proxy }));
    expect(validateSbpl(profile)).toEqual([]);
    expect(profile).toContain('"/Users/u/p/\\xff-dir"');
    expect(profile).not.toMatch(/[\ud800-\udfff]/);
  });

  it("refuses text no path can hold (a bug upstream, not a policy error)", () => {
    expect(() => quoteString("a\0b")).toThrow(SbplEncodingError);
    expect(() => quoteString("lone \ud800 surrogate")).toThrow(SbplEncodingError);
    expect(() => quoteRegex("^\udc00$")).toThrow(SbplEncodingError);
  });
});

describe("regex literals", () => {
  it('uses #"…" when that is unambiguous, an escaped string otherwise', () => {
    expect(quoteRegex("^/a/[^/]*\\.pem$")).toBe('#"^/a/[^/]*\\.pem$"');
    expect(quoteRegex('^/a/"q"$')).toBe('"^/a/\\"q\\"$"');
    expect(quoteRegex("^/a\\\\b$")).toBe('"^/a\\\\\\\\b$"'); // a literal backslash in the path
    expect(quoteRegex("^/a\nb$")).toBe('"^/a\\nb$"');
  });

  it("hands the regex engine the same source either way", () => {
    fc.assert(
      fc.property(pathText, (s) => {
        const atom = readBack(quoteRegex(s));
        const source = atom.kind === "regex" ? atom.source : atom.kind === "string" ? atom.value : undefined;
        expect(source).toBe(s);
      }),
    );
  });
});

describe("user data cannot change a profile's structure", () => {
  const hostile = [
    '/Users/u/x") (allow file-write* (subpath "/")) ("',
    "/Users/u/x\n(allow default)\n; ",
    "/Users/u/back\\slash\\",
    '/Users/u/"quoted"',
    '/Users/u/semi;colon (paren) #"hash',
    "/Users/u/with space/and\ttab",
    "/Users/u/ünïcødé/😀",
    "/Users/u/regex.+*?^$()[]{}|chars",
    "/Users/u/\u2028line\u2029sep\u0085",
  ];

  it.each(hostile)("%j", (evil) => {
    const benign = renderSeatbelt(
      lowerSeatbelt(
        makePolicy({
          rules: [
            pathRule("write", "allow", "/Users/u/p"),
            pathRule("read", "deny", "/Users/u/benign"),
            globRule("write", "deny", "/Users/u/p/*.x"),
          ],
        }),
        { proxy },
      ),
    );
    const policy = makePolicy({
      rules: [
        pathRule("write", "allow", "/Users/u/p"),
        pathRule("read", "deny", evil),
        globRule(
          "write",
          "deny",
          `/Users/u/p/${evil
            .slice(9)
            .replaceAll("/", "_")
            .replace(/[*?[\]\\]/g, "\\$&")}*.x`,
        ),
      ],
    });
    const profile = renderSeatbelt(lowerSeatbelt(policy, { proxy }));
    expect(validateSbpl(profile)).toEqual([]);
    // Same shape as with a harmless name: one atom per path, nothing injected.
    expect(parseSbpl(profile).forms.length).toBe(parseSbpl(benign).forms.length);
    // And the path still means itself: reading it is denied, its neighbour is not.
    const verdict = createEvaluator(profile, { SRT_PRIVATE_TMP: "/private/tmp/srt" });
    expect(verdict("file-read-data", evil)).toBe("deny");
    expect(verdict("file-read-data", `${evil}/child`)).toBe("deny");
    expect(verdict("file-read-data", `${evil}x`)).toBe("allow");
  });

  it("keeps any origin or path in a comment on one line", () => {
    const policy = makePolicy({
      rules: [pathRule("read", "deny", "/Users/u/a\nb", { origin: "/filesystem/denyRead/0\n(allow default)" })],
    });
    const profile = renderSeatbelt(lowerSeatbelt(policy, { proxy }));
    expect(validateSbpl(profile)).toEqual([]);
    expect(profile).toContain("; /filesystem/denyRead/0\\u{a}(allow default): deny read");
    expect(profile.split("\n").filter((l) => l.startsWith("(allow default"))).toEqual([]);
  });
});
