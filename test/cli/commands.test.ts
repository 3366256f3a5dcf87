/** The CLI contract of check / explain / compile, through the built bundle. */
import { readFileSync, writeFileSync } from "node:fs";

import { join } from "node:path";
import { tempDir } from "../support/temp.js";
import { describe, expect, it } from "vitest";
import { runSrt } from "../support/cli.js";
import { repoRoot } from "../support/repo.js";

const work = tempDir("srt-cli-");
const home = tempDir("srt-home-");
const env = { HOME: home };

describe("srt check", () => {
  it.each(["agent.json", "offline-build.json", "legacy-permissions.json"])("accepts examples/%s", (name) => {
    const r = runSrt(["check", `examples/${name}`], { env });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.stdout).toMatch(/valid for (linux|macos)/);
    expect(r.status).toBe(0);
  });

  it("uses the defaults when no settings exist, and says so", () => {
    const r = runSrt(["check"], { env, cwd: work });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^defaults: valid/);
  });

  it("falls back to ~/.srt-settings.json when present", () => {
    const h = tempDir("srt-home-");
    writeFileSync(join(h, ".srt-settings.json"), '{"network": {"allowedDomains": ["*.com"]}}');
    const r = runSrt(["check"], { env: { HOME: h }, cwd: work });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${h}/.srt-settings.json:1:33: error SRT200`);
  });

  it("prints warnings but still exits 0", () => {
    const f = join(work, "warn.json");
    writeFileSync(f, '{"allowPty": true}');
    const r = runSrt(["check", "--target", "linux", f], { env });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning SRT400: allowPty has no effect on Linux/);
  });

  it("refuses a settings file given twice", () => {
    expect(runSrt(["check", "a.json", "--settings", "b.json"], { env }).status).toBe(2);
  });
});

describe("srt explain", () => {
  it("describes reads, writes, mandatory denies, network and env with origins", () => {
    const r = runSrt(["explain", "--target", "linux", "examples/agent.json"], { env: { ...env, GITHUB_TOKEN: "t", NODE_ENV: "x" } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Reading: allowed everywhere, except\n/);
    expect(r.stdout).toMatch(/✗ ".*\/\.ssh" \[.*\]  ← \/filesystem\/denyRead\/0/);
    // (Not git-hooks: in a linked worktree checkout the cwd's .git is a file, and only the link is protected here.)
    expect(r.stdout).toMatch(/mandatory:agent-config — coding agents started here run/);
    expect(r.stdout).toMatch(/✓ \*\.github\.com|✓ any subdomain of github\.com \(not github\.com itself\), any port  ← \/network\/allowedDomains\/1/);
    expect(r.stdout).toMatch(/withheld.*GITHUB_TOKEN/);
    // The env policy's result by name (core + NODE_* passes, *_TOKEN never), values never printed.
    expect(r.stdout).toMatch(/passed \(.*\bNODE_ENV\b.*\)/);
    expect(r.stdout).not.toMatch(/passed \(.*GITHUB_TOKEN/);
  });

  it("write-protects ~/.srt-settings.json when home is writable, also while it does not exist", () => {
    const h = tempDir("srt-home-");
    const f = join(work, "home-writable.json");
    writeFileSync(f, '{"filesystem": {"allowWrite": ["~"]}}');
    const r = runSrt(["explain", "--json", "--target", "linux", f], { env: { HOME: h }, cwd: work });
    expect(r.status).toBe(0);
    const ir = JSON.parse(r.stdout) as { filesystem: { rules: { path?: string; origin: string; node?: string; effect: string; access: string }[] } };
    expect(ir.filesystem.rules).toContainEqual(expect.objectContaining({ path: `${h}/.srt-settings.json`, node: "absent", access: "write", effect: "deny", origin: "mandatory:settings-file" }));
  });

  it("--json prints the IR", () => {
    const r = runSrt(["explain", "--json", "examples/agent.json"], { env });
    const ir = JSON.parse(r.stdout) as { kind: string; version: number };
    expect(ir).toMatchObject({ kind: "policy", version: 1 });
  });
});

describe("srt compile", () => {
  it("writes the IR to -o and is deterministic", () => {
    const a = join(work, "a.json");
    const b = join(work, "b.json");
    expect(runSrt(["compile", "--target", "linux", "--emit", "ir", "examples/agent.json", "-o", a], { env }).status).toBe(0);
    expect(runSrt(["compile", "--target", "linux", "--emit", "ir", "examples/agent.json", "-o", b], { env }).status).toBe(0);
    expect(readFileSync(a, "utf8")).toBe(readFileSync(b, "utf8"));
  });

  it("rejects an unknown target or emit kind with exit 2", () => {
    expect(runSrt(["compile", "--target", "windows", "examples/agent.json"], { env }).status).toBe(2);
    const r = runSrt(["compile", "--target", "linux", "--emit", "nope", "examples/agent.json"], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--emit nope is not available for linux; choose one of: /);
  });
});

describe("help and version", () => {
  it.each(["check", "explain", "compile"])("srt %s --help", (cmd) => {
    const r = runSrt([cmd, "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/USAGE/);
  });
  it("--version prints the package version", () => {
    const pkg = JSON.parse(readFileSync(`${repoRoot}package.json`, "utf8")) as { version: string };
    expect(runSrt(["--version"]).stdout).toBe(`${pkg.version}\n`);
  });
});

describe("srt init and srt schema", () => {
  it("writes a valid starter policy once and never overwrites", () => {
    const dir = tempDir("srt-init-");
    const first = runSrt(["init", "--allow-registries"], { cwd: dir, env });
    expect(first.status).toBe(0);
    const text = readFileSync(join(dir, "srt-settings.json"), "utf8");
    expect(JSON.parse(text)).toMatchObject({ network: { allowedDomains: expect.arrayContaining(["registry.npmjs.org"]) }, env: { inherit: "core" } });
    expect(runSrt(["check", join(dir, "srt-settings.json")], { env }).status).toBe(0);
    const again = runSrt(["init"], { cwd: dir, env });
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already exists; not overwriting/);
    expect(readFileSync(join(dir, "srt-settings.json"), "utf8")).toBe(text);
  });

  it("prints the schema the validator was generated from", () => {
    const r = runSrt(["schema"]);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(`${repoRoot}schema/settings.schema.json`, "utf8")));
  });
});
