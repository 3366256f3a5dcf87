/**
 * Diagnostics are values, never exceptions: every stage returns the ones it
 * found. Codes are stable (users grep for them, `--json` consumers switch on
 * them) and all live in this one catalog.
 */
import { compareStrings } from "./compare.js";

export type Severity = "error" | "warning";

export const catalog = {
  SRT100: { severity: "error", title: "settings file cannot be read" },
  SRT101: { severity: "error", title: "settings file is empty" },
  SRT102: { severity: "error", title: "settings file is too large" },
  SRT103: { severity: "error", title: "malformed JSON" },
  SRT104: { severity: "error", title: "JSON nested too deeply" },
  SRT110: { severity: "error", title: "unknown key" },
  SRT111: { severity: "error", title: "key of the reference tool that srt does not support" },
  SRT112: { severity: "error", title: "value does not match the schema" },
  SRT113: { severity: "error", title: "both settings dialects in one file" },
  SRT120: { severity: "error", title: "invalid permission rule" },
  SRT121: { severity: "warning", title: "permission rule without sandbox meaning" },
  SRT122: { severity: "error", title: "sandbox cannot be disabled" },
  SRT200: { severity: "error", title: "invalid domain pattern" },
  SRT201: { severity: "error", title: "invalid IP address or CIDR range" },
  SRT202: { severity: "error", title: "invalid path" },
  SRT203: { severity: "error", title: "invalid glob" },
  SRT204: { severity: "warning", title: "mitm domain is not allowed" },
  SRT300: { severity: "error", title: "path cannot be inspected" },
  SRT301: { severity: "error", title: "glob expansion exceeded its budget" },
  SRT302: { severity: "error", title: "mandatory-deny search exceeded its budget" },
  SRT303: { severity: "warning", title: "glob matches nothing" },
  SRT304: { severity: "warning", title: "writable path does not exist" },
  SRT305: { severity: "warning", title: "policy hands the sandbox a powerful resource" },
  SRT306: { severity: "error", title: "writable path leads out of the writable area through a symlink" },
  SRT307: { severity: "error", title: "a protected path is a symlink this target cannot protect" },
  SRT308: { severity: "error", title: "writable path is inside srt's state directory" },
  SRT310: { severity: "warning", title: "a directory that cannot be listed is protected whole" },
  SRT311: { severity: "warning", title: "an allow glob matches nothing in a directory that cannot be listed" },
  SRT315: { severity: "error", title: "settings file reached through a symlink in a writable directory" },
  SRT316: { severity: "error", title: "a file srt writes for the run is named through a symlink in a writable directory" },
  SRT317: { severity: "warning", title: "srt's package is reached through a symlink in a writable directory" },
  SRT320: { severity: "error", title: "the home directory would be writable by default" },
  SRT321: { severity: "error", title: "git config cannot be read as git would" },
  SRT400: { severity: "warning", title: "key has no effect on this target" },
  SRT401: { severity: "warning", title: "option weakens the sandbox" },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type DiagnosticCode = keyof typeof catalog;

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  /** JSON pointer into the settings document ("" = the whole document). */
  readonly pointer: string;
  /** Byte offset into the settings text, when the pointer cannot say (syntax errors). */
  readonly offset?: number;
  readonly hint?: string;
}

export function diagnostic(
  code: DiagnosticCode,
  pointer: string,
  message: string,
  extra: { hint?: string | undefined; offset?: number | undefined } = {},
): Diagnostic {
  return {
    code,
    severity: catalog[code].severity,
    message,
    pointer,
    ...(extra.offset === undefined ? {} : { offset: extra.offset }),
    ...(extra.hint === undefined ? {} : { hint: extra.hint }),
  };
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === "error");

/** Stable order for output and goldens: by pointer position, then code. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) => (a.offset ?? -1) - (b.offset ?? -1) || compareStrings(a.pointer, b.pointer) || compareStrings(a.code, b.code) || compareStrings(a.message, b.message),
  );
}
