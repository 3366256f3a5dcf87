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

/** A lone UTF-16 surrogate has no UTF-8 encoding, so no file name can contain it. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text that cannot be a path: upstream stages reject NUL and never produce
 * lone surrogates, so meeting one here is a bug, not a policy error.
 */
export class SbplEncodingError extends Error {
  override readonly name = "SbplEncodingError";
}

function checkEncodable(text: string): void {
  if (text.includes("\0")) throw new SbplEncodingError(`NUL byte in SBPL text ${JSON.stringify(text)}`);
  if (loneSurrogate.test(text)) throw new SbplEncodingError(`lone surrogate in SBPL text ${JSON.stringify(text)}`);
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
    else out += ch;
  }
  return out + '"';
}

const needsOrdinaryString = /["\u0000-\u001f\u007f]|\\\\/;

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
  return text.replace(commentBreakers, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).replace(new RegExp(loneSurrogate.source, "g"), "\\u{fffd}");
}
