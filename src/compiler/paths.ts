/**
 * Path spelling → one absolute, normalized spelling, decided once: `~`,
 * relative paths, `.`/`..`, duplicate and trailing slashes, a trailing `/**`
 * (the same as the directory itself, since every directory rule covers its
 * subtree), and whether the entry is a glob. Purely lexical; symlinks are the
 * expand stage's business.
 */
import picomatch from "picomatch";
import { hasStraySurrogate } from "./byte-paths.js";

export interface PathSpec {
  /** Absolute and normalized; for a glob, the whole normalized pattern. */
  readonly path: string;
  readonly glob: boolean;
}

export type PathResult =
  | { readonly ok: true; readonly spec: PathSpec }
  | {
      readonly ok: false;
      readonly message: string;
      readonly hint?: string;
      /** The glob syntax is at fault (SRT203), not the path (SRT202). */ readonly glob: boolean;
    };

/**
 * Glob syntax srt accepts: `*`, `**`, `?`, `[...]`. Braces, extglobs and
 * negation are off so that every backend (picomatch walks on Linux, regexes
 * in Seatbelt) reads a pattern the same way; dot files match, because a deny
 * on `**\/*.pem` must cover `.hidden.pem`.
 */
export const globOptions = { dot: true, nobrace: true, noextglob: true, nonegate: true } as const;

/**
 * The pattern as picomatch must see it. Even with those options off,
 * picomatch reads `( | )` and `{n}` as regex syntax, so a deny on
 * `~/my (old) keys/*.pem` matched nothing and protected nothing. In srt globs
 * they are ordinary characters (as in the Seatbelt backend's regexes).
 */
export const picomatchPattern = (pattern: string): string => pattern.replace(/[(){}|]/g, "\\$&");

const globChars = /[*?[\]]/;

export function normalizePath(
  raw: string,
  literal: boolean,
  env: { readonly cwd: string; readonly home: string },
): PathResult {
  if (raw.includes("\0"))
    return { ok: false, glob: false, message: "path contains a NUL byte", hint: "no file name can contain NUL" };
  // \udc80-\udcff stand for the bytes 0x80-0xff (byte-paths.ts); any other lone surrogate names nothing.
  if (hasStraySurrogate(raw))
    return {
      ok: false,
      glob: false,
      message: "path contains a lone UTF-16 surrogate that stands for no byte",
      hint: "write \\udc80-\\udcff for the bytes 0x80-0xff of a name that is not UTF-8",
    };
  if (raw.trim() === "") return { ok: false, glob: false, message: "path is empty" };
  let text = raw;
  if (text === "~" || text.startsWith("~/")) text = env.home + text.slice(1);
  else if (text.startsWith("~"))
    return {
      ok: false,
      glob: false,
      message: `"${raw.split("/")[0]}" (another user's home) is not supported`,
      hint: "write the absolute path",
    };
  if (!text.startsWith("/")) text = `${env.cwd}/${text}`;

  const glob = !literal && globChars.test(text);
  const out: string[] = [];
  let sawWildcard = false;
  for (const seg of text.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      // "a/*/.." cannot be simplified without knowing what "*" matched.
      if (sawWildcard)
        return {
          ok: false,
          glob: true,
          message: "`..` after a wildcard cannot be resolved",
          hint: "write the pattern without `..`",
        };
      out.pop();
      continue;
    }
    if (glob && globChars.test(seg)) sawWildcard = true;
    out.push(seg);
  }
  // A trailing "**" means "everything below", which is what a directory rule already covers.
  while (glob && out.length > 0 && out[out.length - 1] === "**" && !out.slice(0, -1).some((s) => globChars.test(s)))
    out.pop();
  const path = "/" + out.join("/");
  const isGlob = glob && globChars.test(path);
  if (isGlob) {
    const problem = globProblem(path);
    if (problem !== undefined) return { ok: false, glob: true, ...problem };
  }
  return { ok: true, spec: { path, glob: isGlob } };
}

function globProblem(pattern: string): { message: string; hint?: string } | undefined {
  const first = pattern.split("/")[1] ?? "";
  if (globChars.test(first)) {
    return {
      message:
        "a glob with a wildcard in its first component would have to walk the whole file system (/proc, /sys, every mount)",
      hint: "anchor it below a directory, e.g. ~/**/*.pem",
    };
  }
  // With srt's glob options picomatch reads `[!a]` as the class "! or a", not "not a" — the
  // opposite of what a shell user means, and a deny that silently covers the wrong files.
  if (/\[!/.test(pattern))
    return { message: "`[!…]` in a glob is not a negation here", hint: "write the negated class as `[^…]`" };
  const opens = (pattern.match(/\[/g) ?? []).length;
  const closes = (pattern.match(/]/g) ?? []).length;
  if (opens !== closes)
    return { message: "unbalanced `[` `]` in glob", hint: 'for a literal bracket use {"path": …, "literal": true}' };
  try {
    picomatch.makeRe(picomatchPattern(pattern), globOptions);
  } catch (e) {
    return { message: `invalid glob: ${e instanceof Error ? e.message : String(e)}` };
  }
  return undefined;
}

/** Static directory prefix of a glob (where its walk starts) and the part after it. */
export function globBase(pattern: string): { base: string; rest: string } {
  const segs = pattern.split("/").slice(1);
  const i = segs.findIndex((s) => globChars.test(s));
  return { base: "/" + segs.slice(0, i).join("/"), rest: segs.slice(i).join("/") };
}

/** Path helpers for the normalized absolute paths of the IR (no node:path: the compiler and backends are pure). */
export const isWithin = (path: string, root: string): boolean =>
  path === root || root === "/" || path.startsWith(root + "/");

export const dirname = (p: string): string => {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
};

export const joinPath = (dir: string, name: string): string => (dir === "/" ? `/${name}` : `${dir}/${name}`);

/** Components below the root: "/" is 0, "/a/b" is 2. */
export const pathDepth = (p: string): number => (p === "/" ? 0 : p.split("/").length - 1);
