/**
 * globToRegex must give the verdict picomatch (with srt's globOptions, the
 * matcher `expand` uses) gives, for every path. Seatbelt evaluates the regex
 * on every access, so a disagreement is either a hole (deny glob misses a
 * path the Linux expansion denies) or an over-grant (allow glob).
 */
import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { globToRegex, toJsRegExp } from "../../src/backends/seatbelt/index.js";
import { globOptions } from "../../src/compiler/paths.js";

/** Segment names, including every regex metacharacter a file name can hold. */
const names = [
  "a",
  "b",
  "ab",
  "a.b",
  "a.pem",
  ".pem",
  ".hidden",
  "x+y",
  "a$",
  "^a",
  "a(1)",
  "{a}",
  "a|b",
  "[a]",
  "a]",
  "a-b",
  "a^b",
  "a*b",
  "a?b",
  "ü",
  "日本",
  "a b",
  "\\a",
  "x.key",
  "2024",
  "A",
  ".git",
  "hooks",
  "README",
];

function corpus(): string[] {
  const out = new Set<string>(["/", "/a", "/b"]);
  for (const x of names) {
    out.add(`/${x}`);
    for (const y of names) {
      out.add(`/${x}/${y}`);
      out.add(`/a/${x}/${y}`);
      out.add(`/a/b/${x}/${y}`);
    }
    out.add(`/a/b/c/d/${x}`);
  }
  return [...out];
}
const paths = corpus();

const picoVerdict = (glob: string) => picomatch(glob, globOptions);
const ourVerdict = (glob: string) => {
  const rx = toJsRegExp(globToRegex(glob));
  return (p: string): boolean => rx.test(p);
};

function disagreements(glob: string, over: readonly string[] = paths): string[] {
  const pm = picoVerdict(glob);
  const ours = ourVerdict(glob);
  return over.filter((p) => pm(p) !== ours(p)).map((p) => `${p}: picomatch ${pm(p)}, regex ${ours(p)}`);
}

describe("globToRegex agrees with picomatch", () => {
  const globs = [
    "/a/*",
    "/a/**",
    "/**",
    "/**/*.pem",
    "/a/**/*.pem",
    "/a/**/b",
    "/a/*/b",
    "/*/*/*",
    "/a/**/**/b",
    "/a/b/**/*",
    "/a/?",
    "/a/??",
    "/a/?.pem",
    "/a/*.*",
    "/a/[ab]",
    "/a/[a-z]*",
    "/a/[!a]*",
    "/a/[^a]*",
    "/a/[[:digit:]]*",
    "/a/[[:alpha:]]",
    "/a/[.]pem",
    "/a/[-a]*",
    "/a/[a-]*",
    "/a/x+y",
    "/a/a$",
    "/a/^a",
    "/a/a.b",
    "/a/\\*b",
    "/a/a\\?b",
    "/a/\\[a]",
    "/a/*]",
    "/a/[a",
    "/a/b/**/.git/hooks",
    "/a/**/.hidden",
    "/**/日本/*",
    "/a/a b",
    "/**/**/b",
    "/*/**",
    "/*/**/b",
    "/a/[!a]*",
    "/a/[!]a]",
  ];
  it.each(globs)("%s", (glob) => {
    expect(disagreements(glob)).toEqual([]);
  });

  it("agrees on random globs over the corpus and over random paths", () => {
    // Glob syntax srt documents; "(", "|" and "{" are left out (picomatch reads them as regex, see glob-regex.ts).
    const globSeg = fc
      .array(fc.constantFrom("a", "b", ".", "*", "?", "[ab]", "[!a]", "[a-c]", "x", "+", "$", "^", "\\*", "]", "-"), {
        minLength: 1,
        maxLength: 4,
      })
      .map((parts) => parts.join(""));
    const glob = fc
      .array(fc.oneof(globSeg, fc.constant("**")), { minLength: 1, maxLength: 4 })
      .map((segs) => "/" + segs.join("/"));
    const pathSeg = fc
      .array(fc.constantFrom("a", "b", "c", ".", "x", "+", "$", "^", "*", "]", "-", "[", "?"), {
        minLength: 1,
        maxLength: 4,
      })
      .map((p) => p.join(""))
      .filter((s) => s !== "." && s !== ".."); // normalized paths have no dot segments
    const path = fc.array(pathSeg, { minLength: 1, maxLength: 5 }).map((segs) => "/" + segs.join("/"));
    fc.assert(
      fc.property(glob, fc.array(path, { maxLength: 30 }), (g, extra) => {
        expect(disagreements(g, [...paths.slice(0, 400), ...extra])).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("regex shape", () => {
  it("is anchored and escapes every metacharacter of a literal segment", () => {
    const rx = globToRegex("/a/x+y.(1)$/^z|w{2}/*");
    expect(rx.source.startsWith("^") && rx.source.endsWith("$")).toBe(true);
    const js = toJsRegExp(rx);
    expect(js.test("/a/x+y.(1)$/^z|w{2}/file")).toBe(true);
    expect(js.test("/a/xxy.(1)$/^z|w{2}/file")).toBe(false);
    expect(js.test("/a/x+y.(1)$/^z|w{2}/deeper/file")).toBe(false);
  });

  it("keeps * and ? inside one segment and lets ** cross segments", () => {
    expect(toJsRegExp(globToRegex("/a/*")).test("/a/b/c")).toBe(false);
    expect(toJsRegExp(globToRegex("/a/?")).test("/a//")).toBe(false);
    expect(toJsRegExp(globToRegex("/a/**/c")).test("/a/b/b/c")).toBe(true);
  });

  it("a class it cannot spell portably widens only for denies (marked inexact)", () => {
    expect(globToRegex("/a/[^]x]").exact).toBe(false);
    expect(globToRegex("/a/[ab]").exact).toBe(true);
  });
});
