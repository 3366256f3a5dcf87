/**
 * Which settings a command uses: `--settings F` (or a positional F), else the
 * file SRT_SETTINGS names (as the Rust port reads it), else
 * ~/.srt-settings.json, else the defaults. A file that was named, on the
 * command line or in SRT_SETTINGS, but cannot be read is an error, never a
 * silent fall-back to the defaults.
 */
import { closeSync, lstatSync, openSync, readSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { resolve } from "node:path";
import { diagnostic, type Diagnostic } from "../compiler/diagnostics.js";
import type { SettingsSource } from "./render.js";

/** Read at most this much: parse reports the real size, but a 2 GB file must not be slurped. */
const READ_LIMIT = 16 * 1024 * 1024;

export type LoadedSettings =
  | { readonly ok: true; readonly source: SettingsSource }
  | { readonly ok: false; readonly source: SettingsSource; readonly diagnostics: Diagnostic[] };

/** Where settings are read from when none are named. */
export const defaultSettingsPath = (env: NodeJS.ProcessEnv): string =>
  resolve(env["HOME"] ?? homedir(), ".srt-settings.json");

/** The file SRT_SETTINGS names, if the variable is set (set but empty is an error where it is read). */
export const settingsFromEnv = (env: NodeJS.ProcessEnv): string | undefined => env["SRT_SETTINGS"];

export function loadSettings(given: string | undefined, cwd: string, env: NodeJS.ProcessEnv): LoadedSettings {
  const named = given ?? settingsFromEnv(env);
  if (named === undefined) {
    const fallback = defaultSettingsPath(env);
    // Only "nothing there" means the defaults. A dangling link or an unreadable
    // file is a policy someone meant to apply: reading it reports the error.
    try {
      lstatSync(fallback);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        return { ok: true, source: { file: "default", text: undefined } };
    }
    return read(fallback);
  }
  if (named === "")
    return fail("default", diagnostic("SRT100", "", { kind: given === undefined ? "empty-env" : "no-name" }));
  return read(resolve(cwd, named));
}

function read(file: string): LoadedSettings {
  try {
    const st = statSync(file);
    if (st.isDirectory()) return fail(file, diagnostic("SRT100", "", { kind: "directory", file }));
    if (st.size > READ_LIMIT) return fail(file, diagnostic("SRT102", "", { file, bytes: st.size }));
    // A pipe or device (/dev/stdin, <(…), /dev/zero) has no size to check up front: read a bounded amount.
    const buf = readBounded(file);
    if (buf === undefined) return fail(file, diagnostic("SRT102", "", { file }));
    // Invalid UTF-8 would be silently replaced by U+FFFD and could change a path.
    const text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
    return { ok: true, source: { file, text } };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof TypeError) return fail(file, diagnostic("SRT100", "", { kind: "not-utf8", file }));
    return fail(
      file,
      diagnostic(
        "SRT100",
        "",
        code === "ENOENT" ? { kind: "missing", file } : { kind: "unreadable", file, reason: code ?? String(e) },
      ),
    );
  }
}

function readBounded(file: string): Buffer | undefined {
  const fd = openSync(file, "r");
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > READ_LIMIT) return undefined;
    }
  } finally {
    closeSync(fd);
  }
}

function fail(file: string, d: Diagnostic): LoadedSettings {
  return { ok: false, source: { file, text: undefined }, diagnostics: [d] };
}
