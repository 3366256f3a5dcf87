/**
 * V8's code cache of the CLI (runtime/code-cache.ts): whoever can write it chooses the code srt runs,
 * so it is used only from a private directory of the user (the state directory's code-cache/, 0700,
 * not a link), from a regular file of the user nobody else can write, opened without following
 * links, with a header naming the bundle, Node, V8, options and command, and the payload's length and CRC-32 (a damaged file, not a forged one: the
 * directory's checks are what keeps forgers out).
 * Everything else is ignored, and writing refuses a directory it would not read from. Real files.
 */
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  codeCacheDir,
  codeCacheFileName,
  readCodeCache,
  writeCodeCache,
  type CodeCacheKey,
} from "../../src/runtime/code-cache.js";
import { tempDir } from "../support/temp.js";

const uid = process.getuid?.() ?? 0;
const key: CodeCacheKey = {
  build: "0123456789abcdef",
  node: "v20.0.0",
  v8: "11.3",
  arch: "x64",
  options: '[[],""]',
  command: "run",
};
const payload = Buffer.from("compiled code, as V8 would hand it over".repeat(50));

/** A state directory as srt makes it (0700), with a cache for `key` written into it. */
function stateWithCache(): { state: string; file: string } {
  const state = join(tempDir("srtcc-"), "srt-0");
  mkdirSync(state, { mode: 0o700 });
  chmodSync(state, 0o700);
  expect(writeCodeCache(state, key, uid, payload)).toBeUndefined();
  return { state, file: join(codeCacheDir(state), codeCacheFileName(key)) };
}

describe("code cache", () => {
  it("reads back what was written, for the same key only", () => {
    const { state } = stateWithCache();
    expect(readCodeCache(state, key, uid).data).toEqual(payload);
    for (const other of [
      { ...key, build: "fedcba9876543210" },
      { ...key, node: "v20.1.0" },
      { ...key, options: '[["--no-opt"],""]' },
      { ...key, command: "check" },
    ])
      expect(readCodeCache(state, other, uid).data).toBeUndefined();
  });

  it("creates nothing when the state directory does not exist (no run made it)", () => {
    const state = join(tempDir("srtcc-"), "srt-0");
    expect(writeCodeCache(state, key, uid, payload)).toMatch(/not a private directory/);
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
  });

  it("creates code-cache/ private (0700), and the file 0600", () => {
    const { state, file } = stateWithCache();
    const mode = (p: string): number => Number(execFileSync("stat", ["-c", "%a", p], { encoding: "utf8" }).trim());
    expect([mode(state), mode(codeCacheDir(state)), mode(file)]).toEqual([700, 700, 600]);
    // Nothing written aside is left behind.
    expect(readdirSync(codeCacheDir(state))).toEqual([codeCacheFileName(key)]);
  });

  it("ignores a cache whose payload was changed (the header's CRC-32 does not match)", () => {
    const { state, file } = stateWithCache();
    const bytes = readFileSync(file);
    bytes[bytes.length - 3]! ^= 0x20;
    writeFileSync(file, bytes);
    const r = readCodeCache(state, key, uid);
    expect(r.data === undefined ? r.why : "used").toMatch(/checksum/);
  });

  it("ignores a cache cut short, or with bytes added (the header's length does not match)", () => {
    const { state, file } = stateWithCache();
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, -1));
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
    writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(4)]));
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
    writeFileSync(file, bytes);
    expect(readCodeCache(state, key, uid).data).toEqual(payload);
  });

  it("ignores a cache file that is a symlink, even to a valid cache", () => {
    const { state, file } = stateWithCache();
    const elsewhere = join(tempDir("srtcc-"), "planted.bin");
    renameSync(file, elsewhere);
    symlinkSync(elsewhere, file);
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
  });

  it("ignores a cache file others may write, and a FIFO (without blocking)", () => {
    const { state, file } = stateWithCache();
    chmodSync(file, 0o622);
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
    chmodSync(file, 0o600);
    expect(readCodeCache(state, key, uid).data).toEqual(payload);
    rmSync(file);
    execFileSync("mkfifo", [file]);
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
  });

  it.runIf(uid === 0)("ignores a cache file owned by another user", () => {
    const { state, file } = stateWithCache();
    chownSync(file, 12345, 12345);
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
  });

  it("neither reads nor writes through a code-cache/ that is not private: a link, or mode 0755", () => {
    const { state } = stateWithCache();
    const dir = codeCacheDir(state);
    chmodSync(dir, 0o755);
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
    expect(writeCodeCache(state, key, uid, payload)).toMatch(/not a private directory/);
    // A link to a directory that would pass every check.
    const real = join(tempDir("srtcc-"), "real");
    mkdirSync(real, { mode: 0o700 });
    rmSync(dir, { recursive: true });
    symlinkSync(real, dir);
    expect(writeCodeCache(state, key, uid, payload)).toMatch(/not a private directory/);
    expect(readdirSync(real)).toEqual([]);
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
  });

  it("neither reads nor writes when the state directory itself is not private", () => {
    const { state } = stateWithCache();
    chmodSync(state, 0o711);
    expect(readCodeCache(state, key, uid).data).toBeUndefined();
    expect(writeCodeCache(state, key, uid, payload)).toMatch(/not a private directory/);
  });

  it("keeps a bounded number of caches beside the current one", () => {
    const { state } = stateWithCache();
    for (let i = 0; i < 40; i++) writeCodeCache(state, { ...key, command: `c${i}` }, uid, payload);
    expect(readdirSync(codeCacheDir(state)).length).toBeLessThanOrEqual(24);
    expect(readCodeCache(state, { ...key, command: "c39" }, uid).data).toEqual(payload);
  });
});
