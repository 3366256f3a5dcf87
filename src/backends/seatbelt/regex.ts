/**
 * Regexes for Seatbelt's `(regex …)` filter, built from typed pieces so a
 * user string can only enter as an escaped literal. The output keeps to the
 * subset that reads the same in POSIX extended regexes (AppleMatch) and in
 * JavaScript (our tests): escaped literals, `.`, `*`, `?`, groups,
 * alternation and bracket classes without backslashes in them (inside `[…]`
 * a backslash is literal in POSIX but an escape in JavaScript).
 */

declare const pieceBrand: unique symbol;
declare const regexBrand: unique symbol;

/** A fragment of regex source made by this module. */
export interface RegexPiece {
  readonly text: string;
  /** false when the fragment matches more than the glob it came from (see charClass). */
  readonly exact: boolean;
  readonly [pieceBrand]: true;
}

/** An anchored regex ready for `(regex …)`. */
export interface SbRegex {
  readonly source: string;
  readonly exact: boolean;
  readonly [regexBrand]: true;
}

const piece = (text: string, exact = true): RegexPiece => ({ text, exact }) as RegexPiece;

const metachars = /[.[\](){}*+?|^$\\]/g;

/** Literal text, every regex metacharacter escaped. */
export const lit = (text: string): RegexPiece => piece(text.replace(metachars, (c) => `\\${c}`));

/** One character of a path segment (glob `?`). */
export const segmentChar: RegexPiece = piece("[^/]");
/** Any run inside one segment (glob `*`). */
export const segmentRun: RegexPiece = piece("[^/]*");
/** A whole segment of any name (glob `*` alone: picomatch wants at least one character). */
export const segmentAny: RegexPiece = piece("[^/]+");
/** Any run, across segments (glob `**` inside a segment list). */
export const anyRun: RegexPiece = piece(".*");
/** Zero or more whole directories followed by `/` (glob `**` followed by `/`). */
export const optionalDirs: RegexPiece = piece("(.*/)?");
/** One or more decimal digits (device numbers: /dev/fd/3, /dev/ttys004). */
export const digitRun: RegexPiece = piece("[0-9]+");
/** Nothing, or `/` and anything below: "this path and its subtree". */
export const optionalSubtree: RegexPiece = piece("(/.*)?");

export const seq = (...parts: readonly RegexPiece[]): RegexPiece =>
  piece(
    parts.map((p) => p.text).join(""),
    parts.every((p) => p.exact),
  );

/** Either piece (`(a|b)`); exact only when both are. */
export const alt = (...parts: readonly RegexPiece[]): RegexPiece =>
  piece(
    `(${parts.map((p) => p.text).join("|")})`,
    parts.every((p) => p.exact),
  );

/** The piece once or more (`(p)+`). */
export const oneOrMore = (p: RegexPiece): RegexPiece => piece(`(${p.text})+`, p.exact);

/** One or more characters, across segments (a leading glob `**` that must match at least one directory). */
export const someRun: RegexPiece = piece(".+");

export const anchor = (...parts: readonly RegexPiece[]): SbRegex => {
  const body = seq(...parts);
  return { source: `^${body.text}$`, exact: body.exact } as SbRegex;
};

export type ClassMember =
  | { readonly kind: "char"; readonly ch: string }
  | { readonly kind: "range"; readonly from: string; readonly to: string };

/** Characters whose meaning inside `[…]` depends on position or dialect. */
const awkward = new Set(["]", "\\", "^", "-", "["]);

/**
 * A bracket class that never matches `/` (a glob class stays inside one
 * segment). `]` and `\` cannot be written portably inside brackets: in a
 * positive class they become alternatives, `([…]|\]|\\)`; a negated class
 * holding them (or a range ending on an awkward character) is widened to
 * "any one character but `/`" and marked inexact, so deny rules stay safe
 * and allow rules can refuse to use it.
 */
export function charClass(members: readonly ClassMember[], negated: boolean): RegexPiece {
  const singles = new Set<string>();
  const ranges: string[] = [];
  let portable = true;
  for (const m of members) {
    if (m.kind === "char") singles.add(m.ch);
    // A range over "/" would let a class cross segments; awkward endpoints have no portable spelling.
    else if (awkward.has(m.from) || awkward.has(m.to) || m.from > m.to || (m.from <= "/" && "/" <= m.to))
      portable = false;
    else ranges.push(`${m.from}-${m.to}`);
  }
  const escapedSingles = [...singles].filter((c) => c === "]" || c === "\\");
  if (negated && (!portable || escapedSingles.length > 0)) return piece("[^/]", false);
  if (!portable) return piece("[^/]", false);

  const plain = [...singles].filter((c) => !awkward.has(c) && c !== "/");
  // Order inside the brackets: plain members, then `^` (never first), `[` (never before `:` `.` `=`), `-` (last).
  const tail = ["^", "[", "-"].filter((c) => singles.has(c));
  const inner = [...plain, ...ranges, ...tail];
  if (negated) return piece(`[^${[...plain, ...ranges, "/", ...tail].join("")}]`);
  const alternatives = escapedSingles.map((c) => `\\${c}`);
  if (inner.length > 0 && !(inner.length === 1 && inner[0] === "^")) alternatives.unshift(`[${inner.join("")}]`);
  else if (inner.length === 1) alternatives.unshift("\\^");
  if (alternatives.length === 0) return piece("[^/]", false); // a class of only "/" (impossible after normalize)
  return piece(alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join("|")})`);
}

/**
 * The same regex for JavaScript, used by tests and by the backend's own
 * reasoning about which paths a glob covers. `s`: POSIX `.` matches a
 * newline too, and file names may contain one.
 */
export const toJsRegExp = (r: SbRegex): RegExp => new RegExp(r.source, "s");
