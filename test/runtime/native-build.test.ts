/**
 * A machine without a C compiler: `npm install` (prepare → build) must still give a CLI, so that
 * `srt doctor --fix` can install the compiler and build srt's helpers; the build says loudly what
 * it skipped, and runs refuse (SRT510) until the helpers exist. A compiler that fails is an error.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo.js";

const build = (cc: string) =>
  spawnSync(process.execPath, [`${repoRoot}scripts/build-native.mjs`], {
    encoding: "utf8",
    env: { ...process.env, CC: cc },
  });

describe("scripts/build-native.mjs", () => {
  it("without a compiler: exit 0, each helper named as NOT BUILT with the fix", () => {
    const r = build("/nonexistent/cc");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/native\/srt-supervise NOT BUILT: no C compiler.*srt doctor --fix/);
  });

  it("a compiler that fails is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "srt-cc-"));
    try {
      const cc = join(dir, "cc");
      writeFileSync(cc, "#!/bin/sh\nexit 1\n");
      chmodSync(cc, 0o755);
      expect(build(cc).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("srt doctor --fix's build of the helpers", () => {
  it("never runs a cc planted on PATH (npx puts the project's node_modules/.bin first)", async () => {
    const { buildNativeHelpers } = await import("../../src/runtime/native-build.js");
    const dir = mkdtempSync(join(tmpdir(), "srt-planted-"));
    const saved = process.env["PATH"];
    try {
      const marker = join(dir, "ran");
      writeFileSync(join(dir, "cc"), `#!/bin/sh\ntouch ${marker}\nexit 1\n`);
      chmodSync(join(dir, "cc"), 0o755);
      process.env["PATH"] = `${dir}:${saved ?? ""}`;
      const said: string[] = [];
      expect(buildNativeHelpers((l) => said.push(l), repoRoot.replace(/\/$/, ""))).toBeUndefined();
      expect(existsSync(marker)).toBe(false);
    } finally {
      process.env["PATH"] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
