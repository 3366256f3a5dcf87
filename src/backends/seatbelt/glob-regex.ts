/**
 * srt globs (absolute, normalized; `*`, `**`, `?`, `[...]`, `\` escapes;
 * options as in src/compiler/paths.ts `globOptions`) → Seatbelt regexes with
 * the verdicts picomatch gives on real (normalized) paths. Seatbelt matches
 * the regex on every access, so a deny glob also covers files created later,
 * which the Linux backend, working from the expansion, cannot.
 *
 * picomatch's quirks that the Linux expansion inherits are followed on
 * purpose, so both platforms deny the same paths (test/seatbelt/glob-regex.test.ts
 * checks every verdict): a path equal to the glob's text matches; a class
 * without regex characters matches its own bracket text; `[!…]` is not a
 * negation; `+` after a class repeats it; a leading `/**\/` needs a directory.
 *
 * Known differences from picomatch, all outside srt's documented syntax:
 * picomatch reads `(…)`, `|` and `{n}` as regex syntax even with extglobs
 * off; here they are literal characters.
 */
import {
  alt,
  anchor,
  anyRun,
  charClass,
  lit,
  optionalDirs,
  optionalSubtree,
  segmentChar,
  oneOrMore,
  segmentAny,
  segmentRun,
  seq,
  someRun,
  type ClassMember,
  type RegexPiece,
  type SbRegex,
} from "./regex.js";

/**
 * The glob's regex, unanchored, for composing (a glob root with a name below
 * it). picomatch's matcher also accepts a path equal to the glob's own text
 * (`/a/[ab]` matches the file named `[ab]`); when the regex would not match
 * that text anyway, it is added as an alternative.
 */
export function globBody(pattern: string): RegexPiece {
  const body = patternBody(pattern);
  return new RegExp(`^${body.text}$`, "s").test(pattern) ? body : alt(lit(pattern), body);
}

function patternBody(pattern: string): RegexPiece {
  // "**/**" means what "**" means (picomatch agrees); collapsing keeps the rules below simple.
  const segs = pattern
    .split("/")
    .slice(1)
    .filter((s, i, all) => !(s === "**" && all[i - 1] === "**"));
  const parts: RegexPiece[] = [];
  let slashPending = true;
  segs.forEach((seg, i) => {
    if (seg === "**") {
      if (i === segs.length - 1) {
        // picomatch: "/a/**" and "/a/?/**" also match "/a" and "/a/x", but "/a/*/**" needs something below "/a/x".
        parts.push(endsInStar(segs[i - 1]) ? seq(lit("/"), anyRun) : optionalSubtree);
      } else if (i === 0) {
        // picomatch: a glob *starting* with "/**/" needs at least one directory ("/**/x" misses "/x",
        // while "/a/**/x" matches "/a/x"). The Linux expansion uses picomatch, so we follow it.
        parts.push(lit("/"), someRun, lit("/"));
        slashPending = false;
      } else {
        parts.push(lit("/"), optionalDirs);
        slashPending = false;
      }
      return;
    }
    if (slashPending) parts.push(lit("/"));
    slashPending = true;
    parts.push(...(/^\*+$/.test(seg) ? [segmentAny] : segmentPieces(seg)));
  });
  return seq(...parts);
}

/** Whether a segment ends in an unescaped `*`. */
function endsInStar(seg: string | undefined): boolean {
  if (seg === undefined || !seg.endsWith("*")) return false;
  let backslashes = 0;
  for (let k = seg.length - 2; k >= 0 && seg[k] === "\\"; k--) backslashes++;
  return backslashes % 2 === 0;
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
      const piece = charClass(cls.members, cls.negated);
      // picomatch (which the Linux expansion uses) also lets a class whose content holds no
      // regex character match its own bracket text: "[ab]" matches "a", "b" and "[ab]".
      // With srt's globOptions (noextglob) it does not read "[!…]" as a negation either:
      // "!" is a member like any other. The compiler should rather rewrite "[!" to "[^".
      const text = seg.slice(i, cls.end + 1).join("");
      const one = /[-*+?.^${}(|)[\]]/.test(text.slice(1, -1)) ? piece : alt(lit(text), piece);
      i = cls.end;
      // picomatch also reads a "+" right after a class as "one or more" (it is literal elsewhere).
      if (seg[i + 1] === "+") i++;
      out.push(seg[i] === "+" ? oneOrMore(one) : one);
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
function parseClass(
  seg: readonly string[],
  start: number,
): { members: ClassMember[]; negated: boolean; end: number } | undefined {
  let i = start + 1;
  // "!" stays a member (see segmentPieces); only "^" negates.
  const negated = seg[i] === "^";
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
