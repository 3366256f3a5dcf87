/** `srt check` and `srt explain` on reference-tool settings: the same decisions the proxy and the backends make. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSrt } from "../support/cli.js";
import { tempDir } from "../support/temp.js";

function project(settings: unknown): { dir: string; file: string; env: NodeJS.ProcessEnv } {
  const root = tempDir("srt-explain-ref-");
  const dir = join(root, "proj");
  const home = join(root, "home");
  mkdirSync(dir);
  mkdirSync(home);
  const file = join(dir, "s.json");
  writeFileSync(file, JSON.stringify(settings));
  return { dir, file, env: { HOME: home } };
}

describe("check and explain agree with the proxy", () => {
  it("an allowed localhost:PORT: valid, and explained as the host's loopback, not looked up", () => {
    const p = project({ network: { allowedDomains: ["localhost:3000"], deniedDomains: ["*:22"] } });
    const check = runSrt(["check", p.file], { cwd: p.dir, env: p.env });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stderr).toBe("");
    const text = runSrt(["explain", p.file], { cwd: p.dir, env: p.env }).stdout;
    expect(text).toContain(
      "✓ localhost:3000 is the host's loopback (127.0.0.1, ::1), never looked up  ← /network/allowedDomains/0",
    );
    expect(text).toContain("✗ every host, port 22  ← /network/deniedDomains/0");
    expect(text).toContain("other names that resolve to loopback");
  });

  it("filesystem.disabled: explain says so before anything else about files", () => {
    const p = project({ filesystem: { disabled: true } });
    const r = runSrt(["explain", p.file], { cwd: p.dir, env: p.env });
    const lines = r.stdout.split("\n");
    const loud = lines.findIndex((l) => l.startsWith("!! NO FILE-SYSTEM RULES (filesystem.disabled)"));
    expect(loud).toBeGreaterThan(0);
    expect(loud).toBeLessThan(lines.findIndex((l) => l.startsWith("Reading:")));
    expect(r.stderr).toContain("warning SRT134");
  });

  it("presets: the rules carry preset:NAME and explain names the directories a run will create", () => {
    const p = project({ extends: ["python"] });
    const text = runSrt(["explain", p.file], { cwd: p.dir, env: p.env }).stdout;
    expect(text).toMatch(/✓ ".*\/home\/\.cache\/pip" \[absent now\] {2}← preset:python/);
    expect(text).toMatch(/✓ pypi\.org, any port {2}← preset:python/);
    expect(text).toMatch(
      /\(preset:python: pip and uv: PyPI and their caches; srt creates ".*\/\.cache\/pip", ".*\/\.cache\/uv" when a run starts, the only directories srt creates for you\)/,
    );
  });
});
