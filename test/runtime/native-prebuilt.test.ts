/**
 * The published package's prebuilt helpers (`npm run build:prebuilt`): the
 * same sources cross-built for linux-arm64 with Debian's aarch64-linux-gnu-gcc
 * give aarch64 executables whose `srt-supervise --probe` answers under qemu's
 * user-mode emulation; and findNative takes this architecture's prebuilt
 * helper over the checkout's own build, never another architecture's.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findNative, nativeTarget } from "../../src/runtime/native.js";
import { lacking } from "../support/requirements.js";
import { repoRoot } from "../support/repo.js";

const onPath = (name: string): string | undefined =>
  spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim() || undefined;
const cross = onPath("aarch64-linux-gnu-gcc");
const qemu = onPath("qemu-aarch64-static") ?? onPath("qemu-aarch64");
/** Debian's arm64 cross libc (libc6-arm64-cross): the dynamic loader and libc the emulated helper needs. */
const sysroot = "/usr/aarch64-linux-gnu";

/** e_machine of an ELF file, when it is a 64-bit little-endian one. */
function elfMachine(path: string): number | undefined {
  const h = readFileSync(path).subarray(0, 20);
  const elf = h[0] === 0x7f && h.subarray(1, 4).toString() === "ELF";
  return elf && h[4] === 2 && h[5] === 1 ? h.readUInt16LE(18) : undefined;
}
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

const scratch = mkdtempSync(join(tmpdir(), "srt-prebuilt-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(
  lacking(
    nativeTarget() !== "linux-x64" || cross === undefined || qemu === undefined || !existsSync(sysroot),
    "the prebuilt helpers are built on linux-x64 and need aarch64-linux-gnu-gcc and qemu-aarch64-static (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static)",
  ),
)("npm run build:prebuilt", () => {
  it("builds every helper for linux-arm64 as an aarch64 ELF; srt-supervise --probe answers under qemu", () => {
    const out = join(scratch, "out");
    const r = spawnSync(process.execPath, [`${repoRoot}scripts/build-native.mjs`, "--prebuilt", "--out", out], {
      encoding: "utf8",
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    for (const name of ["srt-supervise", "srt-relay", "limits"]) {
      expect(elfMachine(join(out, "linux-arm64", name)), `linux-arm64/${name}`).toBe(EM_AARCH64);
      expect(elfMachine(join(out, "linux-x64", name)), `linux-x64/${name}`).toBe(EM_X86_64);
    }
    const probe = spawnSync(qemu!, ["-L", sysroot, join(out, "linux-arm64", "srt-supervise"), "--probe"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(probe.status, probe.stderr).toBe(0);
    const v = JSON.parse(probe.stdout) as Record<string, unknown>;
    expect(Object.keys(v).sort()).toEqual(["addfd", "landlock", "listener", "syncWake"]);
    expect([typeof v["listener"], typeof v["addfd"], typeof v["landlock"], typeof v["syncWake"]]).toEqual([
      "boolean",
      "boolean",
      "number",
      "boolean",
    ]);
    expect(Number.isInteger(v["landlock"])).toBe(true);
  }, 300_000);

  it("an unknown target or a missing cross compiler is an error, never a silent skip", () => {
    const script = `${repoRoot}scripts/build-native.mjs`;
    const unknown = spawnSync(process.execPath, [script, "--prebuilt", "--out", join(scratch, "u"), "linux-mips"], {
      encoding: "utf8",
    });
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown target linux-mips/);
    const missing = spawnSync(process.execPath, [script, "--prebuilt", "--out", join(scratch, "m"), "linux-arm64"], {
      encoding: "utf8",
      env: { ...process.env, CC_ARM64: "/nonexistent/aarch64-gcc" },
    });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/no C compiler \/nonexistent\/aarch64-gcc for linux-arm64/);
  });
});

describe("findNative picks by architecture", () => {
  const root = join(scratch, "pkg");
  const put = (rel: string, mode = 0o755): void => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), "");
    chmodSync(join(root, rel), mode);
  };
  it("this architecture's prebuilt helper, else the checkout's own build; another architecture's never", () => {
    put("dist/native/helper");
    put("dist/native/linux-arm64/helper");
    put("dist/native/linux-x64/other", 0o644);
    expect(findNative("helper", root, "linux-arm64")).toBe(join(root, "dist/native/linux-arm64/helper"));
    expect(findNative("helper", root, "linux-x64")).toBe(join(root, "dist/native/helper"));
    // Not executable: not taken; and nothing else of that name.
    expect(findNative("other", root, "linux-x64")).toBeUndefined();
    expect(findNative("absent", root, "linux-arm64")).toBeUndefined();
    expect(nativeTarget("linux", "arm64")).toBe("linux-arm64");
    expect(nativeTarget()).toBe(`${process.platform}-${process.arch}`);
  });
});
