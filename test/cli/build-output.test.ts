/**
 * What `npm pack` publishes from dist/ is the current build and nothing else: the CLI is its entry
 * (dist/srt.cjs, CommonJS: package.json's bin), one bundle (dist/cli.cjs) and the ES module entry
 * of earlier builds (dist/srt.mjs, a wrapper of srt.cjs), and no chunk of an older build (the CLI was once
 * split into lazily loaded ES chunks, and a rebuild left old graphs beside the new one: two
 * `doctor` chunks went out in the package). The entry names the hash of the bundle beside it, so
 * V8's code cache of another build is never applied to this one (runtime/code-cache.ts).
 */
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo.js";

const dist = join(repoRoot, "dist");

describe("build output", () => {
  it("the CLI is dist/srt.cjs and dist/cli.cjs, with no chunks of an older build", () => {
    expect(existsSync(join(dist, "srt.cjs"))).toBe(true);
    expect(existsSync(join(dist, "srt.mjs"))).toBe(true);
    expect(existsSync(join(dist, "cli.cjs"))).toBe(true);
    expect(existsSync(join(dist, "chunks"))).toBe(false);
    // One CommonJS file: nothing left for a module loader to resolve at start-up.
    expect(readFileSync(join(dist, "cli.cjs"), "utf8")).not.toMatch(/\bimport\(/);
    // ASCII: src/cli/load-cli.ts reads it as latin1, the same string only then.
    expect(readFileSync(join(dist, "cli.cjs"), "latin1")).toMatch(/^[\x00-\x7f]*$/);
  });

  it("the entry names the hash of the bundle beside it", () => {
    const hash = createHash("sha256")
      .update(readFileSync(join(dist, "cli.cjs")))
      .digest("hex")
      .slice(0, 16);
    expect(readFileSync(join(dist, "srt.cjs"), "utf8")).toContain(JSON.stringify(hash));
  });

  it("package.json's bin is the CommonJS entry, which starts no ES module loader", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ srt: "dist/srt.cjs" });
    // Node's list of the built-in modules it loaded: an ES module entry adds its loader's resolver,
    // translators and module jobs, with fs/promises and readline (issue 19).
    const probe = join(repoRoot, "test/support/builtins-probe.cjs");
    const loaded = (entry: string): string[] => {
      const out = spawnSync(process.execPath, ["-r", probe, join(dist, entry), "--version"], { encoding: "utf8" });
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout).toMatch(/^\d+\.\d+\.\d+/);
      return (/^builtins=(.*)$/m.exec(out.stderr)?.[1] ?? "").split(" ");
    };
    const esmLoader = ["internal/modules/esm/module_job", "internal/modules/esm/resolve", "internal/fs/promises"];
    const cjs = loaded("srt.cjs");
    expect(cjs.filter((m) => esmLoader.includes(m))).toEqual([]);
    // Nor does --version load what only compiling the CLI with its code cache needs.
    expect(cjs.filter((m) => ["vm", "zlib", "v8"].includes(m))).toEqual([]);
    // The probe sees them through the wrapper of earlier builds, which still runs.
    expect(loaded("srt.mjs")).toEqual(expect.arrayContaining(esmLoader));
  });

  it("npm pack would publish the entry, the bundle and the library, and no chunks", () => {
    const [packed] = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repoRoot, encoding: "utf8" }),
    ) as { files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(["dist/srt.cjs", "dist/srt.mjs", "dist/cli.cjs", "dist/index.mjs"]));
    expect(files.filter((p) => p.startsWith("dist/") && !/^dist\/(types|native)\//.test(p)).sort()).toEqual([
      "dist/cli.cjs",
      "dist/index.mjs",
      "dist/srt.cjs",
      "dist/srt.mjs",
    ]);
  });
});
