/**
 * V8's code cache for the CLI bundle (issue 19): what V8 compiled in one run, loaded by the next
 * instead of parsing and compiling the bundle again (src/cli/load-cli.ts loads it; Node 20 has no
 * module.enableCompileCache, and ES modules cannot take cached data, so the CLI is one CommonJS
 * bundle compiled through vm.Script).
 *
 * Against whom: a sandboxed command of the same user. Whoever can write the cache chooses the
 * code srt runs next on the host: V8 checks no checksum in release builds and matches the source
 * by its length only. So the cache lives in srt's state directory (state-dir.ts), which every
 * sandbox hides whole and no policy can make writable, in `code-cache/`, checked like the state
 * directory itself (a directory of ours, mode 0700, not a link). A cache file is opened without
 * following links and must be a regular file of ours that nobody else can write; its header names
 * the bundle's build (a hash of its bytes), Node, V8, the architecture and the options Node was
 * started with, and carries the CRC-32 and length of the payload. Anything else — or V8 rejecting
 * the data — and the bundle is compiled from source (the cache is a speed-up, never needed to run);
 * the entry then writes a fresh cache when the process exits.
 *
 * The checksum finds a damaged file (V8 checks its own only in debug builds), not a forged one:
 * whoever could write the file could write its checksum too, which is why the directory is what is
 * checked. So CRC-32 (zlib's, in C) rather than SHA-256: node:crypto cost every start ~3 ms of
 * loading and OpenSSL set-up, zlib ~1 ms (issue 19). A Node without zlib.crc32 (before 20.15) uses
 * no cache. The checks, and writing aside, are checked-file.ts's.
 */
import { join } from "node:path";
import { checksum, crc32, readCheckedFile, writeCheckedFile, type CheckedFileKind } from "./checked-file.js";

/** Everything a cache depends on besides its directory: V8 accepts data only for the same source, version and flags. */
export interface CodeCacheKey {
  /** A hash of the bundle's bytes, fixed at build time (V8 itself would only compare the length). */
  readonly build: string;
  readonly node: string;
  readonly v8: string;
  readonly arch: string;
  /** Node's own options (execArgv, NODE_OPTIONS): V8 flags among them change what V8 accepts. */
  readonly options: string;
  /** Which of srt's commands (each compiles other parts of the bundle). */
  readonly command: string;
}

const magic = "srt-code-cache 2";
/** Far above the bundle's cache (under 2 MiB): a bound on what a read allocates. */
const maxBytes = 64 * 1024 * 1024;
/** Caches kept beside the current one: the other commands', other builds' (two installed srts), other Nodes'. */
const keep = 24;

const keyLine = (key: CodeCacheKey): string =>
  JSON.stringify([key.build, key.node, key.v8, key.arch, key.options, key.command]);

/** The file's name: the build, and a short hash of the rest (the header holds the whole key). */
export const codeCacheFileName = (key: CodeCacheKey): string =>
  `${key.build.replace(/[^0-9a-z]/gi, "").slice(0, 16)}-${checksum(keyLine(key), crc32 ?? (() => 0)).replace("-", "")}.bin`;

export const codeCacheDir = (stateDir: string): string => join(stateDir, "code-cache");

const kindOf = (key: CodeCacheKey): CheckedFileKind => ({ magic, key: keyLine(key), maxBytes });

/**
 * The cached data for `key` in the state directory, or undefined (with the reason) when there is none
 * srt may trust. Never throws.
 */
export function readCodeCache(
  stateDir: string,
  key: CodeCacheKey,
  uid: number,
): { readonly data: Buffer } | { readonly data?: undefined; readonly why: string } {
  return readCheckedFile(stateDir, codeCacheDir(stateDir), codeCacheFileName(key), kindOf(key), uid);
}

/**
 * Writes `data` as the cache for `key`. The state directory must exist (a run made it; a cache is
 * no reason to create it) and be private; code-cache/ is created 0700 when missing and checked the
 * same way. Returns why nothing was written, or undefined. Never throws: a cache that cannot be
 * written only costs the next start time.
 */
export function writeCodeCache(stateDir: string, key: CodeCacheKey, uid: number, data: Buffer): string | undefined {
  return writeCheckedFile(stateDir, codeCacheDir(stateDir), codeCacheFileName(key), kindOf(key), uid, data, {
    count: keep,
    suffix: ".bin",
  });
}
