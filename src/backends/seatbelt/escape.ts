/**
 * The only place where text becomes SBPL atoms. SBPL is read by libsandbox's
 * TinyScheme-derived reader, whose string escapes are `\\`, `\"`, `\n`, `\t`,
 * `\r` and `\xHH`; every other byte stands for itself, UTF-8 included.
 *
 * Regexes come in two spellings. `#"…"` (what Apple's profiles use) hands
 * its bytes to the regex compiler without string escapes, so `\.` stays
 * `\.`, but it has no defined way to hold a `"`, a control character or a
 * literal backslash (is `\\` one backslash or two?). A regex containing any
 * of those is written as an ordinary string instead, where the Scheme
 * escapes above are unambiguous. Either way the regex engine receives the
 * same source.
 */
import { hasStraySurrogate, showBytes } from "../../compiler/byte-paths.js";

/**
 * Lone surrogates: U+DC80-U+DCFF stand for the bytes 0x80-0xFF of a name that
 * is not UTF-8 (byte-paths.ts) and are written as the byte itself, `\xHH`,
 * so the profile names exactly that path. (APFS and HFS+ names are UTF-8, so
 * on a Mac such a rule names nothing that can exist; it is still exact.)
 * Any other lone surrogate has no bytes at all.
 */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isByteEscape = (code: number): boolean => code >= 0xdc80 && code <= 0xdcff;

/**
 * Text that cannot be a path: upstream stages reject NUL and stray
 * surrogates, so meeting one here is a bug, not a policy error.
 */
export class SbplEncodingError extends Error {
  override readonly name = "SbplEncodingError";
}

function checkEncodable(text: string): void {
  if (text.includes("\0")) throw new SbplEncodingError(`NUL byte in SBPL text ${JSON.stringify(text)}`);
  if (hasStraySurrogate(text)) throw new SbplEncodingError(`lone surrogate in SBPL text ${JSON.stringify(text)}`);
}

const hex2 = (code: number): string => code.toString(16).padStart(2, "0");

/** `text` as an SBPL string literal, quotes included. */
export function quoteString(text: string): string {
  checkEncodable(text);
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    // Other C0 controls and DEL: a raw byte would be legal but invisible in review.
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex2(code)}`;
    // A byte of a name that is not UTF-8 (a lone surrogate here: a pair is one code point).
    else if (isByteEscape(code)) out += `\\x${hex2(code - 0xdc00)}`;
    else out += ch;
  }
  return out + '"';
}

/** `#"…"` has no escapes, so a byte that is not UTF-8 needs an ordinary string too. */
const needsOrdinaryString = /["\u0000-\u001f\u007f]|\\\\|(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** A regex source as an SBPL regex literal: `#"…"` when that is unambiguous, else an escaped string. */
export function quoteRegex(source: string): string {
  checkEncodable(source);
  return needsOrdinaryString.test(source) ? quoteString(source) : `#"${source}"`;
}

const commentBreakers = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/g;

/**
 * Text for a `;` comment. A comment ends at the end of its line, so a path
 * with a newline must not be able to start a new line of rules in the
 * profile; controls and Unicode line breaks are shown as `\u{…}`.
 */
export function commentText(text: string): string {
  return showBytes(text.replace(commentBreakers, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)).replace(
    new RegExp(loneSurrogate.source, "g"),
    "\\u{fffd}",
  );
}
