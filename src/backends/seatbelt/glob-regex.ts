/**
 * srt globs (absolute, normalized; `*`, `**`, `?`, `[...]`, `\` escapes;
 * options as in src/compiler/paths.ts `globOptions`) → Seatbelt regexes with
 * the verdicts picomatch gives on real (normalized) paths. Seatbelt matches
 * the regex on every access, so a deny glob also covers files created later,
 * which the Linux backend, working from the expansion, cannot.
 *
 * Known differences from picomatch, all outside srt's documented syntax:
 * picomatch reads `(…)`, `|` and `{n}` as regex syntax even with extglobs
 * off; here they are literal characters.
 */
import { anchor, anyRun, charClass, lit, optionalDirs, optionalSubtree, segmentChar, segmentRun, seq, type ClassMember, type RegexPiece, type SbRegex } from "./regex.js";

const globChars = /[*?[\]]/;

/** The glob's regex, unanchored, for composing (a glob root with a name below it). */
export function globBody(pattern: string): RegexPiece {
  const segs = pattern.split("/").slice(1);
  const parts: RegexPiece[] = [];
  let slashPending = true;
  segs.forEach((seg, i) => {
    if (seg === "**") {
      const staticBefore = !segs.slice(0, i).some((s) => globChars.test(s));
      if (i === segs.length - 1) {
        // picomatch: "/a/**" also matches "/a", but "/a/*/**" needs something below "/a/x".
        parts.push(staticBefore ? optionalSubtree : seq(lit("/"), anyRun));
      } else {
        parts.push(lit("/"), optionalDirs);
        slashPending = false;
      }
      return;
    }
    if (slashPending) parts.push(lit("/"));
    slashPending = true;
    parts.push(...segmentPieces(seg));
  });
  return seq(...parts);
}

/** The glob as an anchored regex: exactly the paths the glob matches. */
export const globToRegex = (pattern: string): SbRegex => anchor(globBody(pattern));

function segmentPieces(text: string): RegexPiece[] {
  // By code point, so a class never splits a surrogate pair (which would not be encodable).
  const seg = Array.from(text);
  const out: RegexPiece[] = [];
  let literal = "";
  const flush = (): void => {
    if (literal !== "") out.push(lit(literal));
    literal = "";
  };
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === "\\") {
      literal += seg[i + 1] ?? "\\";
      i++;
    } else if (c === "*") {
      while (seg[i + 1] === "*") i++; // "**" inside a segment is a plain "*"
      flush();
      out.push(segmentRun);
    } else if (c === "?") {
      flush();
      out.push(segmentChar);
    } else if (c === "[") {
      const cls = parseClass(seg, i);
      if (cls === undefined) {
        literal += c; // an unclosed "[" is an ordinary character, as in picomatch
        continue;
      }
      flush();
      out.push(charClass(cls.members, cls.negated));
      i = cls.end;
    } else {
      literal += c;
    }
  }
  flush();
  return out;
}

const posixClasses: Readonly<Record<string, readonly ClassMember[]>> = {
  alpha: [range("a", "z"), range("A", "Z")],
  digit: [range("0", "9")],
  alnum: [range("a", "z"), range("A", "Z"), range("0", "9")],
  upper: [range("A", "Z")],
  lower: [range("a", "z")],
  xdigit: [range("0", "9"), range("a", "f"), range("A", "F")],
  word: [range("a", "z"), range("A", "Z"), range("0", "9"), char("_")],
  blank: [char(" "), char("\t")],
  space: [..." \t\n\r\f\v"].map(char),
  cntrl: [range("\x01", "\x1f"), char("\x7f")],
  punct: [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"].map(char),
  graph: [range("!", "~")],
  print: [range(" ", "~")],
  ascii: [range("\x01", "\x7f")],
};

function range(from: string, to: string): ClassMember {
  return { kind: "range", from, to };
}
function char(ch: string): ClassMember {
  return { kind: "char", ch };
}

/** `[...]` starting at `start`; undefined when it does not close within the segment. */
function parseClass(seg: readonly string[], start: number): { members: ClassMember[]; negated: boolean; end: number } | undefined {
  let i = start + 1;
  const negated = seg[i] === "!" || seg[i] === "^";
  if (negated) i++;
  const members: ClassMember[] = [];
  let first = true;
  for (; i < seg.length; i++, first = false) {
    const c = seg[i]!;
    if (c === "]" && !first) return { members, negated, end: i };
    const posix = /^\[:([a-z]+):\]/.exec(seg.slice(i, i + 10).join(""));
    if (posix && posixClasses[posix[1]!]) {
      members.push(...posixClasses[posix[1]!]!);
      i += posix[0].length - 1;
      continue;
    }
    let from = c;
    if (c === "\\" && i + 1 < seg.length) from = seg[++i]!;
    if (seg[i + 1] === "-" && i + 2 < seg.length && seg[i + 2] !== "]") {
      let to = seg[i + 2]!;
      i += 2;
      if (to === "\\" && i + 1 < seg.length) to = seg[++i]!;
      members.push(range(from, to));
    } else {
      members.push(char(from));
    }
  }
  return undefined;
}
