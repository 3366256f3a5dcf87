/**
 * The host-side walk that names a writable root's directory for the supervisor
 * (runtime/linux/root-identity.ts): real files, real symlinks. A link anywhere on the way is
 * found as the link, never followed; an absent root is said to be absent.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rootIdentity } from "../../src/runtime/linux/root-identity.js";

const dir = mkdtempSync(join(tmpdir(), "srt-rootid-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "a/b"), { recursive: true });
mkdirSync(join(dir, "elsewhere/b"), { recursive: true });
symlinkSync("elsewhere", join(dir, "link"));
symlinkSync("a/b", join(dir, "leaf"));

describe.skipIf(process.platform !== "linux")("rootIdentity", () => {
  it("a real directory: its device and inode", () => {
    const st = statSync(join(dir, "a/b"), { bigint: true });
    expect(rootIdentity(join(dir, "a/b"))).toEqual({ kind: "found", dev: String(st.dev), ino: String(st.ino) });
  });

  it("a link on the way or at the end is found, not followed", () => {
    expect(rootIdentity(join(dir, "link/b"))).toEqual({ kind: "link", at: join(dir, "link") });
    expect(rootIdentity(join(dir, "leaf"))).toEqual({ kind: "link", at: join(dir, "leaf") });
  });

  it("an absent root", () => {
    expect(rootIdentity(join(dir, "a/none"))).toEqual({ kind: "absent" });
  });
});
