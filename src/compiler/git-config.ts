/**
 * Just enough of git's config syntax to learn where a repository takes its
 * hooks from (core.hooksPath) and which other files it reads as config
 * (include.path, includeIf.*.path). A port of git's own reader
 * (config.c: git_parse_source, get_base_var, get_value, parse_value), so that
 * a file git accepts reads the same here; a file it rejects is rejected here
 * too, and the compile then fails closed instead of guessing what git would
 * have done. test/compiler/git-config.test.ts checks it against `git config`.
 */

export interface GitConfigEntry {
  /** "section.name" or "section.subsection.name"; section and name lower-cased, the subsection as written. */
  readonly key: string;
  /** undefined for a bare `name` line (a boolean true to git). */
  readonly value: string | undefined;
  readonly line: number;
}

export type GitConfigParse =
  { readonly ok: true; readonly entries: readonly GitConfigEntry[] } | { readonly ok: false; readonly line: number };

// git's sane_ctype: only these four are spaces (not \v or \f), and letters and digits are ASCII only.
const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";
const isAlpha = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isKeyChar = (c: string): boolean => isAlpha(c) || (c >= "0" && c <= "9") || c === "-";
const lower = (c: string): string => (isAlpha(c) ? c.toLowerCase() : c);

export function parseGitConfig(text: string): GitConfigParse {
  // A byte order mark at the start is skipped (git does the same).
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  let line = 1;
  let eof = false;
  /** git's get_next_char: CR LF reads as LF, and the end of the text as one more LF. */
  const next = (): string => {
    if (i >= text.length) {
      eof = true;
      return "\n";
    }
    let c = text[i++]!;
    if (c === "\r" && text[i] === "\n") c = text[i++]!;
    if (c === "\n") line++;
    return c;
  };

  const extendedSection = (base: string, first: string): string | undefined => {
    let c = first;
    do {
      if (c === "\n") return undefined;
      c = next();
    } while (isSpace(c));
    if (c !== '"') return undefined;
    let name = base + ".";
    for (;;) {
      c = next();
      if (c === "\n") return undefined;
      if (c === '"') break;
      if (c === "\\") {
        c = next();
        if (c === "\n") return undefined;
      }
      name += c;
    }
    return next() === "]" ? name : undefined;
  };

  const section = (): string | undefined => {
    let name = "";
    for (;;) {
      const c = next();
      if (eof) return undefined;
      if (c === "]") return name;
      if (isSpace(c)) return extendedSection(name, c);
      if (!isKeyChar(c) && c !== ".") return undefined;
      name += lower(c);
    }
  };

  const value = (): string | undefined => {
    let quote = false;
    let comment = false;
    let spaces = 0;
    let v = "";
    for (;;) {
      let c = next();
      if (c === "\n") return quote ? undefined : v;
      if (comment) continue;
      if (isSpace(c) && !quote) {
        if (v.length > 0) spaces++;
        continue;
      }
      if (!quote && (c === ";" || c === "#")) {
        comment = true;
        continue;
      }
      // Inner runs of spaces survive, one space each; trailing ones are never flushed.
      v += " ".repeat(spaces);
      spaces = 0;
      if (c === "\\") {
        c = next();
        if (c === "\n") continue; // a line continuation
        const escaped = ({ t: "\t", b: "\b", n: "\n", "\\": "\\", '"': '"' } as Record<string, string>)[c];
        if (escaped === undefined) return undefined; // git rejects unknown escapes
        v += escaped;
        continue;
      }
      if (c === '"') {
        quote = !quote;
        continue;
      }
      v += c;
    }
  };

  const entries: GitConfigEntry[] = [];
  let stem = "";
  let comment = false;
  for (;;) {
    const c = next();
    if (c === "\n") {
      if (eof) return { ok: true, entries };
      comment = false;
      continue;
    }
    if (comment || isSpace(c)) continue;
    if (c === "#" || c === ";") {
      comment = true;
      continue;
    }
    const at = line;
    if (c === "[") {
      const s = section();
      if (s === undefined || s.length === 0) return { ok: false, line: at };
      stem = s + ".";
      continue;
    }
    if (!isAlpha(c)) return { ok: false, line: at };
    let key = stem + lower(c);
    let d: string;
    for (;;) {
      d = next();
      if (eof || !isKeyChar(d)) break;
      key += lower(d);
    }
    while (d === " " || d === "\t") d = next();
    if (d === "\n") {
      entries.push({ key, value: undefined, line: at });
      if (eof) return { ok: true, entries };
      continue;
    }
    if (d !== "=") return { ok: false, line: at };
    const v = value();
    if (v === undefined) return { ok: false, line: at };
    entries.push({ key, value: v, line: at });
  }
}

/** include.path and includeIf.<condition>.path: every one counts, whatever its condition (a superset is safe). */
export const isIncludeKey = (key: string): boolean =>
  key === "include.path" || (key.startsWith("includeif.") && key.endsWith(".path"));

/**
 * git's interpolate_path, as far as it can be done without the password
 * database or git's install prefix: `~` and `~/…` become the home directory.
 * `~user/…` and `%(prefix)/…` cannot be resolved here, and say so.
 */
export function interpolateGitPath(
  value: string,
  home: string,
): { readonly ok: true; readonly path: string } | { readonly ok: false } {
  if (value.startsWith("%(prefix)/")) return { ok: false };
  if (!value.startsWith("~")) return { ok: true, path: value };
  const slash = value.indexOf("/");
  const user = slash === -1 ? value.slice(1) : value.slice(1, slash);
  if (user !== "") return { ok: false };
  return { ok: true, path: home + (slash === -1 ? "" : value.slice(slash)) };
}
