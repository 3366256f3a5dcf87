/**
 * Text the sandboxed command chose (host names it asked the proxies for,
 * paths it touched) ends up in reports srt writes on the host: JSON lines in
 * the --violations file and one-line summaries on stderr. Either may land in
 * a shell start-up file or a log a shell later reads, so the command's text
 * must stay data there: nothing a shell could expand, run or redirect, and
 * nothing a terminal or a JavaScript parser reads as a line break.
 */

const hex = (c: string): string =>
  [...Buffer.from(c, "utf8")].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");

/**
 * A JSON line whose strings cannot be read as shell code or broken into
 * lines: JSON.stringify already escapes control characters; this also
 * escapes DEL, everything beyond ASCII (U+2028/U+2029 are line breaks to
 * JavaScript, bidirectional overrides reorder what a terminal shows), and `$`
 * and backquote, which start command substitution even inside the double
 * quotes JSON puts around strings. JSON parsers read the same values back.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff$`]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A host name for a human line: kept as it is when made only of what names
 * and addresses use, otherwise every other byte as `\xHH`. The result has no
 * quote, no space, no shell operator and no control character.
 */
export function inertHost(host: string): string {
  return host.replace(/[^A-Za-z0-9._:%/[\]-]/g, hex);
}

/**
 * srt's own words around untrusted parts (which are already inert): no
 * control characters, nothing beyond ASCII, and none of the characters that
 * make a shell substitute, chain, pipe or redirect.
 */
export function inertText(text: string): string {
  return text.replace(/[^\x20-\x7e]|[$`\\;|&<>]/g, hex);
}
