/**
 * Stage 1: text → JSON value. Refuses, with a diagnostic, anything that could
 * make later stages slow or ambiguous: huge files, absurd nesting, duplicate
 * keys. Never throws.
 */
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { findJsonError } from "./json-error.js";
import { locateJson, type JsonLocations } from "./json-locate.js";

/** Settings are hand-written policies; 1 MiB is far above any real one. */
export const MAX_SETTINGS_BYTES = 1024 * 1024;
/** The schema is 4 levels deep; 64 leaves room for ignoreViolations maps. */
export const MAX_DEPTH = 64;

export type ParseResult =
  | {
      readonly ok: true;
      readonly value: unknown;
      readonly locations: JsonLocations;
      readonly diagnostics: readonly Diagnostic[];
    }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export function parseSettings(text: string): ParseResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const bytes = utf8Length(body);
  if (bytes > MAX_SETTINGS_BYTES) {
    return fail(diagnostic("SRT102", "", { bytes }));
  }
  if (body.trim() === "") return fail(diagnostic("SRT101", "", {}));
  const deep = firstTooDeep(body);
  if (deep !== undefined) {
    return fail(diagnostic("SRT104", "", { depth: MAX_DEPTH }, { offset: deep }));
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    // Our own scanner names the place and the reason; V8's message is the fallback.
    const found = findJsonError(body);
    const message = found?.message ?? (e instanceof Error ? e.message : String(e));
    return fail(diagnostic("SRT103", "", { kind: "syntax", detail: message }, found ? { offset: found.offset } : {}));
  }
  const locations = locateJson(body);
  const diagnostics = locations.duplicates.map((d) =>
    diagnostic("SRT103", d.pointer, { kind: "duplicate", key: d.pointer.slice(d.pointer.lastIndexOf("/") + 1) }),
  );
  if (diagnostics.length > 0) return fail(...diagnostics);
  return { ok: true, value, locations, diagnostics: [] };
}

const fail = (...diagnostics: Diagnostic[]): ParseResult => ({ ok: false, diagnostics });

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? (i++, 4) : 3;
  }
  return n;
}

/** Offset of the first bracket that exceeds MAX_DEPTH, skipping strings. */
function firstTooDeep(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "{" || c === "[") {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === "}" || c === "]") {
      depth--;
    }
  }
  return undefined;
}
