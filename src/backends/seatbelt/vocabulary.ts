/**
 * The part of SBPL (Seatbelt profile language) that srt speaks: the
 * operations, filters and modifiers the builder may emit and the validator
 * accepts. One list for both, so the validator cannot drift from what the
 * backend writes. Names follow Apple's system profiles
 * (/System/Library/Sandbox/Profiles/*.sb) and Chromium's/Firefox's macOS
 * sandbox policies; anything not listed here is rejected by `validateSbpl`.
 */

/** Operations (the second word of `(allow OP …)`). A trailing `*` is SBPL's own family wildcard. */
export const operations = [
  "default",
  "file*",
  "file-read*",
  "file-read-data",
  "file-read-metadata",
  "file-read-xattr",
  "file-write*",
  "file-write-create",
  "file-write-data",
  "file-write-flags",
  "file-write-mode",
  "file-write-owner",
  "file-write-setugid",
  "file-write-times",
  "file-write-unlink",
  "file-write-xattr",
  "file-ioctl",
  "file-map-executable",
  "file-link",
  "process*",
  "process-exec",
  "process-exec*",
  "process-fork",
  "process-info*",
  "signal",
  "sysctl*",
  "sysctl-read",
  "mach-lookup",
  "appleevent-send",
  "lsopen",
  "ipc-posix-shm",
  "ipc-posix-shm*",
  "ipc-posix-sem",
  "network*",
  "network-outbound",
  "network-inbound",
  "network-bind",
  "system-socket",
  "pseudo-tty",
  "user-preference-read",
] as const;
export type Operation = (typeof operations)[number];

/** Filters (lists inside a rule). `require-*` are SBPL's boolean combinators over other filters. */
export const filters = [
  "literal",
  "subpath",
  "prefix",
  "regex",
  "path",
  "path-literal",
  "path-regex",
  "global-name",
  "global-name-prefix",
  "local-name",
  "ipc-posix-name",
  "sysctl-name",
  "remote",
  "local",
  "target",
  "vnode-type",
  "require-any",
  "require-all",
  "require-not",
] as const;
export type FilterName = (typeof filters)[number];

/** Address families for `(remote …)` / `(local …)`. */
export const socketKinds = ["ip", "tcp", "udp", "unix-socket"] as const;
export type SocketKind = (typeof socketKinds)[number];

/** Process targets for `(target …)`. */
export const targets = ["self", "same-sandbox", "children"] as const;
export type Target = (typeof targets)[number];

/** Action modifiers: `(with message "…")` tags a denial in the unified log. */
export const modifiers = ["message", "report", "no-report"] as const;

/** Forms allowed at the top level of a profile. */
export const topLevelForms = ["version", "allow", "deny", "import", "define"] as const;

/** Expressions allowed where a string is expected (run-time values via `sandbox-exec -D`). */
export const stringExpressions = ["param", "string-append"] as const;

/**
 * Longest string or regex the builder emits. macOS paths are limited to
 * MAXPATHLEN (1024 bytes); a regex built from such a path roughly doubles.
 * No single atom may grow past this, which keeps us far from libsandbox's
 * own limits and means we never glue lists of paths into one string.
 */
export const maxAtomBytes = 4096;

export const isOperation = (s: string): s is Operation => (operations as readonly string[]).includes(s);
export const isFilterName = (s: string): s is FilterName => (filters as readonly string[]).includes(s);
