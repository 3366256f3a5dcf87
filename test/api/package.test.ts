/**
 * The published package, not the source tree: `npm pack`, install the
 * tarball into a fresh project (offline from the npm cache that `npm ci`
 * filled), then run its `srt --version`, a sandboxed `srt -- true`, and the
 * library through its package name with its types. Reports the install size.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import { repoRoot } from "../support/repo.js";
import { skipReason, supported } from "./support.js";

const pkg = JSON.parse(
  execFileSync("node", ["-p", "JSON.stringify(require('./package.json'))"], { cwd: repoRoot, encoding: "utf8" }),
) as { version: string };

describe.skipIf(
  lacking(!supported, skipReason) ||
    lacking(process.env["SRT_SKIP_PACK"] === "1", "npm pack → install → run: SRT_SKIP_PACK=1"),
)("npm pack → install → run", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "srtpack-"));
    // --ignore-scripts: the tarball already holds dist/ (prepare built it in this checkout).
    execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: repoRoot, stdio: "ignore" });
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, tgz)], {
      cwd: dir,
      stdio: "ignore",
      timeout: 120_000,
    });
  }, 180_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("the installed srt runs: --version and a sandboxed command", () => {
    const version = spawnSync("npx", ["--offline", "srt", "--version"], { cwd: dir, encoding: "utf8" });
    expect(version.stdout.trim()).toBe(pkg.version);
    // HOME elsewhere: run from home itself (or a parent of it), the default policy is refused (SRT320).
    const home = mkdtempSync(join(tmpdir(), "srtpack-home-"));
    const run = spawnSync("npx", ["--offline", "srt", "--", "sh", "-c", "echo inside $SRT_SANDBOX"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, HOME: home },
    });
    rmSync(home, { recursive: true, force: true });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe("inside 1\n");
    const du = execFileSync("du", ["-sh", "node_modules"], { cwd: dir, encoding: "utf8" }).trim();
    console.log(`fresh install of the tarball: ${du}`);
  });

  it("the library loads by package name, with types", () => {
    expect(existsSync(join(dir, "node_modules/srt-sandbox/dist/types/index.d.ts"))).toBe(true);
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        "import { compile, createSandbox, SandboxManager } from 'srt-sandbox'; const c = compile({}); console.log(typeof createSandbox, typeof SandboxManager.initialize, c.ir !== undefined);",
      ],
      { cwd: dir, encoding: "utf8" },
    );
    expect(r.stdout.trim(), r.stderr).toBe("function function true");
  });
});
