/**
 * The Host is the compiler's only window onto the machine. `expand` is the only
 * stage that calls it; everything it learns is recorded in the IR so that the
 * backends stay pure and golden tests can run on an in-memory file system.
 */

export type NodeKind = "file" | "dir" | "symlink" | "other";

export interface HostStat {
  readonly kind: NodeKind;
  /** Owner and permission bits (mode & 0o7777): whether a sandbox of this user could have made what is there. */
  readonly uid: number;
  readonly mode: number;
}

/**
 * Errors the Host may report for a path; anything else is a bug in the Host.
 * Paths are strings in which a byte that is not part of valid UTF-8 is the
 * lone surrogate U+DC80+ (byte-paths.ts), so every name on disk can be named.
 */
export type HostErrorCode = "ENOENT" | "ENOTDIR" | "EACCES" | "ELOOP" | "EIO" | "EILSEQ" | "EFBIG";

export type HostResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: HostErrorCode };

export interface Host {
  /** lstat: never follows the final symlink. */
  lstat(path: string): HostResult<HostStat>;
  /** Fully resolved real path (all symlinks followed); ENOENT when any component is missing. */
  realpath(path: string): HostResult<string>;
  /**
   * Entries with their lstat kind (from d_type, so a walk needs no stat per
   * file), in any order: callers sort.
   */
  readdir(path: string): HostResult<readonly DirEntry[]>;
  readlink(path: string): HostResult<string>;
  /**
   * A small text file's contents (symlinks followed, as git follows them when
   * it reads config), for the few files whose *contents* decide what must be
   * protected (git config, `.git` files, commondir). EFBIG when it holds more
   * than `maxBytes`; EILSEQ when it is not valid UTF-8; EISDIR is reported as
   * EIO. Never a partial read: a truncated config could hide a hooks path.
   */
  readFile(path: string, maxBytes: number): HostResult<string>;
  /** Monotonic milliseconds, for walk time budgets only (fixture hosts return a constant). */
  now(): number;
  readonly env: HostEnv;
}

export interface DirEntry {
  readonly name: string;
  readonly kind: NodeKind;
}

export interface HostEnv {
  readonly cwd: string;
  readonly home: string;
  readonly platform: "linux" | "darwin";
  readonly uid: number;
  /**
   * srt's per-user state directory (absolute, symlinks in its parent resolved):
   * `$XDG_RUNTIME_DIR/srt` or `<temp dir>/srt-<uid>`. It may not exist yet.
   */
  readonly stateDir: string;
  /** srt's environment: where it moves shell and tool config (ZDOTDIR, XDG_CONFIG_HOME, XDG_DATA_HOME). */
  readonly vars: Readonly<Record<string, string>>;
}
