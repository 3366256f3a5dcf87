/**
 * A file srt keeps for itself in its state directory and trusts on a later run (a cache): what a
 * sandboxed command of the same user must never be able to write, since whoever writes it chooses
 * what srt does next on the host.
 *
 * So the file lives in a subdirectory of the state directory (state-dir.ts), which every sandbox
 * hides whole and no policy can make writable, and both directories are checked as the state
 * directory itself is (ours, mode 0700, not a link). The file is opened without following links
 * and must be a regular file of ours that nobody else can write. Its header names what it is for
 * (a magic line and a key: anything else is another file's) and carries the length and CRC-32 of
 * the payload, which finds a damaged file, not a forged one: whoever could write the file could
 * write its checksum too, which is why the directories are what is checked. Files are written
 * aside and renamed in, so a concurrent srt reads the old file or the new one, never half of one.
 *
 * A Node without zlib.crc32 (before 20.15) keeps no such files. Nothing here throws: a cache that
 * cannot be read or written only costs time.
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

/** What a file is: its magic line, the key it was written for, and a bound on what a read allocates. */
export interface CheckedFileKind {
  readonly magic: string;
  readonly key: string;
  readonly maxBytes: number;
}

/** zlib.crc32 (Node ≥ 20.15), or undefined. */
export const crc32 = (zlib as { crc32?: (data: Uint8Array | string) => number }).crc32;

/** A checksum of `data`: its length and CRC-32, as 17 hex digits (8 + 1 + 8). */
export const checksum = (data: Uint8Array | string, crc: (d: Uint8Array | string) => number): string =>
  `${Buffer.byteLength(data).toString(16).padStart(8, "0")}-${crc(data).toString(16).padStart(8, "0")}`;
const checksumLength = 17;

const header = (kind: CheckedFileKind, digest: string): Buffer =>
  Buffer.from(`${kind.magic}\n${kind.key}\n${digest}\n`);

/** The payload of `dir/name` (dir inside `stateDir`), or why there is none srt may trust. */
export function readCheckedFile(
  stateDir: string,
  dir: string,
  name: string,
  kind: CheckedFileKind,
  uid: number,
): { readonly data: Buffer } | { readonly data?: undefined; readonly why: string } {
  if (crc32 === undefined) return { why: `this Node (${process.version}) has no zlib.crc32` };
  if (!privateDir(stateDir, uid) || !privateDir(dir, uid))
    return { why: `${dir} is not a private directory of uid ${uid}` };
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put there must not hang the start (fstat refuses it below).
    fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return { why: `no file (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o022) !== 0 || st.size > kind.maxBytes)
      return { why: "it is not a regular file of ours that only we can write" };
    const bytes = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, got);
      if (n === 0) break;
      got += n;
    }
    const body = bytes.subarray(0, got);
    // Header: magic, the key, the payload's checksum, each on its own line.
    const expected = header(kind, "0".repeat(checksumLength));
    const sum = checksumLength + 1;
    if (
      body.length < expected.length ||
      !body.subarray(0, expected.length - sum).equals(expected.subarray(0, -sum)) ||
      body[expected.length - 1] !== 0x0a
    )
      return { why: "it was written for another build, Node or key" };
    const digest = body.subarray(expected.length - sum, expected.length - 1).toString("latin1");
    const data = body.subarray(expected.length);
    if (checksum(data, crc32) !== digest) return { why: "its checksum is wrong" };
    return { data };
  } catch (e) {
    return { why: `cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` as `dir/name` (dir inside `stateDir`, created 0700 when missing). The state
 * directory must exist and be private: a cache is no reason to create it. Keeps the newest `keep`
 * files ending in `suffix` in `dir`. Returns why nothing was written, or undefined.
 */
export function writeCheckedFile(
  stateDir: string,
  dir: string,
  name: string,
  kind: CheckedFileKind,
  uid: number,
  data: Buffer,
  keep: { readonly count: number; readonly suffix: string },
): string | undefined {
  if (crc32 === undefined) return `this Node (${process.version}) has no zlib.crc32`;
  if (!privateDir(stateDir, uid)) return `${stateDir} is not a private directory of uid ${uid}`;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") return `cannot create ${dir}`;
  }
  if (!privateDir(dir, uid)) return `${dir} is not a private directory of uid ${uid}`;
  // Exclusive ("wx"): a name that exists already, planted or left by a crash, fails the write.
  const aside = join(dir, `.${name}.${process.pid}.${Date.now().toString(36)}`);
  try {
    writeFileSync(aside, Buffer.concat([header(kind, checksum(data, crc32)), data]), { flag: "wx", mode: 0o600 });
    renameSync(aside, join(dir, name));
  } catch (e) {
    try {
      unlinkSync(aside);
    } catch {
      // Never created.
    }
    return `cannot write it (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  prune(dir, name, keep);
  return undefined;
}

/** Keeps the newest few files beside the current one. */
function prune(dir: string, current: string, keep: { readonly count: number; readonly suffix: string }): void {
  try {
    const others = readdirSync(dir)
      .filter((f) => f.endsWith(keep.suffix) && f !== current)
      .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of others.slice(keep.count - 1)) unlinkSync(join(dir, f));
  } catch {
    // A concurrent srt pruned first: nothing to do.
  }
}
