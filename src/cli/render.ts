/**
 * Diagnostics for people (`file:line:col: error CODE: message` and a code
 * frame, like compilers print) and for machines (`--json`).
 */
import { showBytes } from "../compiler/byte-paths.js";
import { lineColumn, locateJson, offsetOfPointer, type Diagnostic } from "../compiler/index.js";

export interface SettingsSource {
  /** Absolute path, or "default" when no file was used. */
  readonly file: string;
  readonly text: string | undefined;
}

export interface LocatedDiagnostic extends Diagnostic {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** Adds file:line:col and orders the diagnostics as they appear in the file. */
export function locate(ds: readonly Diagnostic[], src: SettingsSource): LocatedDiagnostic[] {
  let locations: ReturnType<typeof locateJson> | undefined;
  const located = ds.map((d): LocatedDiagnostic => {
    if (src.text === undefined) return { ...d, file: src.file };
    let offset = d.offset;
    if (offset === undefined) {
      try {
        locations ??= locateJson(src.text);
        offset = offsetOfPointer(locations, d.pointer);
      } catch {
        offset = 0; // text that never parsed: point at its start
      }
    }
    const { line, column } = lineColumn(src.text, offset);
    return { ...d, file: src.file, line, column };
  });
  return located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

export function renderHuman(ds: readonly LocatedDiagnostic[], src: SettingsSource, color: boolean): string {
  const paint = (code: string, s: string): string => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const lines = src.text?.split("\n") ?? [];
  return ds
    .map((d) => {
      const where =
        d.line === undefined ? `${d.file === "default" ? "srt" : d.file}` : `${d.file}:${d.line}:${d.column}`;
      const sev = d.severity === "error" ? paint("31;1", "error") : paint("33;1", "warning");
      const out = [
        `${where}: ${sev} ${d.code}: ${visible(d.message)}${d.pointer ? ` (at ${visible(d.pointer)})` : ""}`,
      ];
      if (d.line !== undefined && d.column !== undefined) {
        // A URL's user:password (a parentProxy's credentials) is starred out, length kept so the caret still points right.
        const text = (lines[d.line - 1] ?? "")
          .replace(/\r$/, "")
          .replace(
            /(\b[a-z][a-z0-9+.-]*:\/\/)([^\s"'@/]+)@/gi,
            (_m, scheme: string, userinfo: string) => `${scheme}${"*".repeat(userinfo.length)}@`,
          );
        // Long lines (minified JSON) get a window around the column.
        const start = Math.max(0, d.column - 60);
        const shown = visible(text.slice(start, start + 120));
        const gutter = String(d.line).padStart(4);
        out.push(
          `${gutter} | ${shown}`,
          `${" ".repeat(gutter.length)} | ${" ".repeat(Math.max(0, d.column - 1 - start))}${paint("36", "^")}`,
        );
      }
      if (d.hint) out.push(`     = hint: ${visible(d.hint)}`);
      return out.join("\n");
    })
    .join("\n");
}

/**
 * Control characters from settings or file names (a NUL, a newline in a path,
 * an ESC sequence in a directory name) are shown as escapes: printed raw they
 * could fake diagnostic lines or drive the terminal. Bytes of a name that is
 * not UTF-8 are shown as \xNN (printed raw they would become U+FFFD).
 */
const visible = (s: string): string =>
  showBytes(
    s.replace(
      /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ),
  );

export const renderJson = (ds: readonly LocatedDiagnostic[]): string => JSON.stringify(ds, null, 2);
