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
 * no cache.
 */
import * as zlib from "node:zlib";
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { privateDir } from "./state-dir.js";

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

/** zlib.crc32 (Node ≥ 20.15), or undefined. */
const crc32 = (zlib as { crc32?: (data: Uint8Array | string) => number }).crc32;

/** A checksum of `data`: its length and CRC-32, as 17 hex digits (8 + 1 + 8). */
const checksum = (data: Uint8Array | string, crc: (d: Uint8Array | string) => number): string =>
  `${Buffer.byteLength(data).toString(16).padStart(8, "0")}-${crc(data).toString(16).padStart(8, "0")}`;
const checksumLength = 17;

/** The file's name: the build, and a short hash of the rest (the header holds the whole key). */
export const codeCacheFileName = (key: CodeCacheKey): string =>
  `${key.build.replace(/[^0-9a-z]/gi, "").slice(0, 16)}-${checksum(keyLine(key), crc32 ?? (() => 0)).replace("-", "")}.bin`;

export const codeCacheDir = (stateDir: string): string => join(stateDir, "code-cache");

const header = (key: CodeCacheKey, digest: string): Buffer => Buffer.from(`${magic}\n${keyLine(key)}\n${digest}\n`);

/**
 * The cached data for `key` in the state directory, or undefined (with the reason) when there is none
 * srt may trust. Never throws.
 */
export function readCodeCache(
  stateDir: string,
  key: CodeCacheKey,
  uid: number,
): { readonly data: Buffer } | { readonly data?: undefined; readonly why: string } {
  const dir = codeCacheDir(stateDir);
  if (crc32 === undefined) return { why: `this Node (${process.version}) has no zlib.crc32` };
  if (!privateDir(stateDir, uid) || !privateDir(dir, uid))
    return { why: `${dir} is not a private directory of uid ${uid}` };
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put there must not hang the start (fstat refuses it below).
    fd = openSync(join(dir, codeCacheFileName(key)), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return { why: `no cache (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o022) !== 0 || st.size > maxBytes)
      return { why: "the cache file is not a regular file of ours that only we can write" };
    const bytes = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, got);
      if (n === 0) break;
      got += n;
    }
    const body = bytes.subarray(0, got);
    // Header: magic, the key, the payload's checksum, each on its own line.
    const expected = header(key, "0".repeat(checksumLength));
    const sum = checksumLength + 1;
    if (
      body.length < expected.length ||
      !body.subarray(0, expected.length - sum).equals(expected.subarray(0, -sum)) ||
      body[expected.length - 1] !== 0x0a
    )
      return { why: "the cache was made for another build, Node or options" };
    const digest = body.subarray(expected.length - sum, expected.length - 1).toString("latin1");
    const data = body.subarray(expected.length);
    if (checksum(data, crc32) !== digest) return { why: "the cache's checksum is wrong" };
    return { data };
  } catch (e) {
    return { why: `cannot read the cache (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` as the cache for `key`. The state directory must exist (a run made it; a cache is
 * no reason to create it) and be private; code-cache/ is created 0700 when missing and checked the
 * same way. The file is written aside and renamed in, so a concurrent srt reads the old cache or the
 * new one, never half of one. Returns why nothing was written, or undefined. Never throws: a cache
 * that cannot be written only costs the next start time.
 */
export function writeCodeCache(stateDir: string, key: CodeCacheKey, uid: number, data: Buffer): string | undefined {
  const dir = codeCacheDir(stateDir);
  if (crc32 === undefined) return `this Node (${process.version}) has no zlib.crc32`;
  if (!privateDir(stateDir, uid)) return `${stateDir} is not a private directory of uid ${uid}`;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") return `cannot create ${dir}`;
  }
  if (!privateDir(dir, uid)) return `${dir} is not a private directory of uid ${uid}`;
  const name = codeCacheFileName(key);
  // Exclusive ("wx"): a name that exists already, planted or left by a crash, fails the write.
  const aside = join(dir, `.${name}.${process.pid}.${Date.now().toString(36)}`);
  try {
    writeFileSync(aside, Buffer.concat([header(key, checksum(data, crc32)), data]), { flag: "wx", mode: 0o600 });
    renameSync(aside, join(dir, name));
  } catch (e) {
    try {
      unlinkSync(aside);
    } catch {
      // Never created.
    }
    return `cannot write the cache (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  prune(dir, name);
  return undefined;
}

/** Keeps the newest few caches (other builds, Nodes, options) beside the current one. */
function prune(dir: string, current: string): void {
  try {
    const others = readdirSync(dir)
      .filter((f) => f.endsWith(".bin") && f !== current)
      .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of others.slice(keep - 1)) unlinkSync(join(dir, f));
  } catch {
    // A concurrent srt pruned first: nothing to do.
  }
}
