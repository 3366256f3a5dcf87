/** The CLI contract of check / explain / compile, through the built bundle. */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

import { join, resolve } from "node:path";
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

  it("reads the file SRT_SETTINGS names (as the Rust port does); --settings wins over it", () => {
    const h = tempDir("srt-home-");
    writeFileSync(join(h, ".srt-settings.json"), "{}");
    const f = join(work, "from-env.json");
    writeFileSync(f, '{"network": {"allowedDomains": ["*.com"]}}');
    const r = runSrt(["check"], { env: { HOME: h, SRT_SETTINGS: f }, cwd: work });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}:1:33: error SRT200`);
    const named = runSrt(["check", "--settings", join(h, ".srt-settings.json")], {
      env: { HOME: h, SRT_SETTINGS: f },
      cwd: work,
    });
    expect(named.status, named.stderr).toBe(0);
  });

  it("refuses an SRT_SETTINGS that is empty or names a missing file, never falling back", () => {
    const h = tempDir("srt-home-");
    writeFileSync(join(h, ".srt-settings.json"), "{}");
    const empty = runSrt(["check"], { env: { HOME: h, SRT_SETTINGS: "" }, cwd: work });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/SRT100: SRT_SETTINGS is set but empty/);
    const missing = runSrt(["check"], { env: { HOME: h, SRT_SETTINGS: "nowhere.json" }, cwd: work });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(join(work, "nowhere.json"));
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
    const r = runSrt(["explain", "--target", "linux", "examples/agent.json"], {
      env: { ...env, GITHUB_TOKEN: "t", NODE_ENV: "x" },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Reading: allowed everywhere, except\n/);
    expect(r.stdout).toMatch(/✗ ".*\/\.ssh" \[.*\]  ← \/filesystem\/denyRead\/0/);
    // (Not git-hooks: in a linked worktree checkout the cwd's .git is a file, and only the link is protected here.)
    expect(r.stdout).toMatch(/mandatory:agent-config — coding agents started here run/);
    expect(r.stdout).toMatch(
      /✓ \*\.github\.com|✓ any subdomain of github\.com \(not github\.com itself\), any port  ← \/network\/allowedDomains\/1/,
    );
    expect(r.stdout).toMatch(/withheld.*GITHUB_TOKEN/);
    // The env policy's result by name (core + NODE_* passes, *_TOKEN never), values never printed.
    expect(r.stdout).toMatch(/passed \(.*\bNODE_ENV\b.*\)/);
    expect(r.stdout).not.toMatch(/passed \(.*GITHUB_TOKEN/);
  });

  it("--runtime: the limits lines are that engine's; an unknown one is SRT547 (exit 2)", () => {
    const f = join(work, "limits-runtime.json");
    writeFileSync(f, '{"limits": {"pids": 64, "fileSize": "1MiB"}}');
    const under = (runtime: string): string =>
      runSrt(["explain", "--target", "linux", "--runtime", runtime, f], { env: { ...env, HOME: home } }).stdout;
    const asWhom = process.getuid?.() === 0 ? "as root" : "rootless";
    // How each holds is said only on Linux (elsewhere: "decided on the host that runs the command").
    if (process.platform === "linux") {
      expect(under("docker")).toContain(`Resource limits (under docker, ${asWhom}):`);
      expect(under("docker")).toContain("RLIMIT_FSIZE for each process (docker --ulimit fsize)");
      expect(under("runc")).toContain("RLIMIT_FSIZE for each process (the spec's process.rlimits, set by runc)");
    }
    const bad = runSrt(["explain", "--runtime", "lxc", f], { env: { ...env, HOME: home } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      "srt: error SRT547: --runtime lxc: srt runs commands under bwrap, runc, crun, docker or podman\n",
    );
    const doctor = runSrt(["doctor", "--runtime", "lxc"], { env: { ...env, HOME: home } });
    expect(doctor.status).toBe(2);
    expect(doctor.stderr).toContain("SRT547: --runtime lxc");
  });

  it("write-protects ~/.srt-settings.json when home is writable, also while it does not exist", () => {
    const h = tempDir("srt-home-");
    const f = join(work, "home-writable.json");
    writeFileSync(f, '{"filesystem": {"allowWrite": ["~"]}}');
    const r = runSrt(["explain", "--json", "--target", "linux", f], { env: { HOME: h }, cwd: work });
    expect(r.status).toBe(0);
    const ir = JSON.parse(r.stdout) as {
      filesystem: { rules: { path?: string; origin: string; node?: string; effect: string; access: string }[] };
    };
    expect(ir.filesystem.rules).toContainEqual(
      expect.objectContaining({
        path: `${h}/.srt-settings.json`,
        node: "absent",
        access: "write",
        effect: "deny",
        origin: "mandatory:settings-file",
      }),
    );
  });

  it("write-protects the file SRT_SETTINGS names, also when --settings names another", () => {
    const h = tempDir("srt-home-");
    const later = join(h, "later.json");
    const f = join(work, "home-writable-env.json");
    writeFileSync(f, '{"filesystem": {"allowWrite": ["~"]}}');
    const r = runSrt(["explain", "--json", "--target", "linux", "--settings", f], {
      env: { HOME: h, SRT_SETTINGS: later },
      cwd: work,
    });
    expect(r.status, r.stderr).toBe(0);
    const ir = JSON.parse(r.stdout) as { filesystem: { rules: { path?: string; effect: string; access: string }[] } };
    expect(ir.filesystem.rules).toContainEqual(
      expect.objectContaining({ path: later, access: "write", effect: "deny" }),
    );
  });

  it("shows srt's state directory (text and --json), and that a writable root around it leaves it hidden", () => {
    const tmp = tempDir("srt-tmp-");
    const uid = process.getuid?.() ?? 0;
    const f = join(work, "tmp-writable.json");
    writeFileSync(f, JSON.stringify({ filesystem: { allowWrite: [tmp] } }));
    const text = runSrt(["explain", "--target", "linux", f], {
      env: { ...env, TMPDIR: tmp, XDG_RUNTIME_DIR: "" },
      cwd: work,
    });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      `srt's state directory ${tmp}/srt-${uid} (run directories, placeholder registry; hidden in every sandbox)`,
    );
    expect(text.stdout).toContain(`✗ "${tmp}/srt-${uid}" srt's state directory, although inside "${tmp}": hidden`);
    const json = runSrt(["explain", "--json", "--target", "linux", f], {
      env: { ...env, TMPDIR: tmp, XDG_RUNTIME_DIR: "" },
      cwd: work,
    });
    expect((JSON.parse(json.stdout) as { context: { stateDir: string } }).context.stateDir).toBe(`${tmp}/srt-${uid}`);
  });

  it("--json prints the IR", () => {
    const r = runSrt(["explain", "--json", "examples/agent.json"], { env });
    const ir = JSON.parse(r.stdout) as { kind: string; version: number };
    expect(ir).toMatchObject({ kind: "policy", version: 1 });
  });
});

describe.skipIf(process.platform !== "linux")("srt doctor", () => {
  it("names the state directory and whether it is safe", () => {
    const tmp = tempDir("srt-tmp-");
    const uid = process.getuid?.() ?? 0;
    const r = runSrt(["doctor", "--json"], {
      env: { ...env, TMPDIR: tmp, XDG_RUNTIME_DIR: "", PATH: process.env["PATH"] },
    });
    const checks = JSON.parse(r.stdout) as { name: string; ok: boolean; detail: string }[];
    expect(checks.find((c) => c.name === "state directory")).toMatchObject({
      ok: true,
      detail: expect.stringContaining(`${tmp}/srt-${uid}`),
    });
    // The test sandbox made it as a run would (where bwrap exists); either way it becomes unsafe now.
    mkdirSync(join(tmp, `srt-${uid}`), { recursive: true, mode: 0o755 });
    chmodSync(join(tmp, `srt-${uid}`), 0o755);
    const bad = JSON.parse(
      runSrt(["doctor", "--json"], { env: { ...env, TMPDIR: tmp, XDG_RUNTIME_DIR: "", PATH: process.env["PATH"] } })
        .stdout,
    ) as typeof checks;
    expect(bad.find((c) => c.name === "state directory")).toMatchObject({
      ok: false,
      detail: expect.stringContaining("mode is 0755"),
    });
  });
});

describe.skipIf(process.platform !== "linux")("srt __cleanup (run by a dead run's watchdog)", () => {
  it("acts only on a private state dir and a run id of the form srt makes", () => {
    const base = tempDir("srt-tmp-");
    const state = join(base, "state");
    mkdirSync(join(state, "runs"), { recursive: true, mode: 0o700 });
    chmodSync(state, 0o700);
    mkdirSync(join(base, "victim"));
    writeFileSync(join(base, "victim", "holds"), "not srt's");
    expect(runSrt(["__cleanup", state, "../../victim"]).status).toBe(1);
    expect(readFileSync(join(base, "victim", "holds"), "utf8")).toBe("not srt's");
    expect(runSrt(["__cleanup", state, "0123456789ab"]).status).toBe(0);
    chmodSync(state, 0o755);
    expect(runSrt(["__cleanup", state, "0123456789ab"]).status).toBe(1);
  });
});

describe("srt compile", () => {
  it("writes the IR to -o and is deterministic", () => {
    const a = join(work, "a.json");
    const b = join(work, "b.json");
    expect(
      runSrt(["compile", "--target", "linux", "--emit", "ir", "examples/agent.json", "-o", a], { env }).status,
    ).toBe(0);
    expect(
      runSrt(["compile", "--target", "linux", "--emit", "ir", "examples/agent.json", "-o", b], { env }).status,
    ).toBe(0);
    expect(readFileSync(a, "utf8")).toBe(readFileSync(b, "utf8"));
  });

  it("rejects an unknown target or emit kind with exit 2", () => {
    expect(runSrt(["compile", "--target", "windows", "examples/agent.json"], { env }).status).toBe(2);
    const r = runSrt(["compile", "--target", "linux", "--emit", "nope", "examples/agent.json"], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--emit nope is not available for linux; choose one of: /);
  });
});

describe.skipIf(process.platform !== "linux")("srt exec", () => {
  it("refuses a plan from before a field the runtime needs (pidNamespace) with exit 2: recompile it", () => {
    const compiled = runSrt(["compile", "--target", "linux", "--emit", "plan"], { env, cwd: work });
    expect(compiled.status).toBe(0);
    const plan = JSON.parse(compiled.stdout) as Record<string, unknown>;
    expect(plan["pidNamespace"]).toBe(true);
    const dir = tempDir("srt-plan-");
    const { pidNamespace: _, ...older } = plan;
    writeFileSync(join(dir, "old.json"), JSON.stringify(older));
    const old = runSrt(["exec", join(dir, "old.json"), "--", "true"], { env, cwd: work });
    expect(old.stderr).toContain("plan is incomplete or damaged; recompile it");
    expect(old.status).toBe(2);
    // The same plan with the field passes the check (and runs, where this machine can sandbox).
    writeFileSync(join(dir, "new.json"), JSON.stringify(plan));
    expect(runSrt(["exec", join(dir, "new.json"), "--", "true"], { env, cwd: work }).stderr).not.toContain("recompile");
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

describe("srt's own installation", () => {
  it("the CLI and the library write-protect the same directory: the package, wherever the code that asks lives", async () => {
    const settings = join(tempDir("srt-install-"), "settings.json");
    writeFileSync(settings, "{}");
    // cwd is the package, so it lies in a writable path and the guard applies.
    const cli = runSrt(["explain", "--json", "--settings", settings], { cwd: repoRoot, env });
    const guarded = (value: unknown): unknown[] => {
      if (Array.isArray(value)) return value.flatMap(guarded);
      if (typeof value !== "object" || value === null) return [];
      const o = value as Record<string, unknown>;
      return o["origin"] === "mandatory:srt-installation" ? [o["path"]] : Object.values(o).flatMap(guarded);
    };
    expect(guarded(JSON.parse(cli.stdout))).toEqual([repoRoot.replace(/\/$/, "")]);
    const { compile } = await import("../../src/api/compile.js");
    expect(guarded(compile({}, { cwd: repoRoot, home }).ir)).toEqual([repoRoot.replace(/\/$/, "")]);
  });
});

describe("srt init and srt schema", () => {
  it("writes a valid starter policy once and never overwrites", () => {
    const dir = tempDir("srt-init-");
    const first = runSrt(["init", "--allow-registries"], { cwd: dir, env });
    expect(first.status).toBe(0);
    const text = readFileSync(join(dir, "srt-settings.json"), "utf8");
    // The registries come with their caches (presets), so npm and pip can write them.
    expect(JSON.parse(text)).toMatchObject({
      extends: ["node", "python", "rust", "go"],
      env: { inherit: "core" },
    });
    expect(runSrt(["check", join(dir, "srt-settings.json")], { env }).status).toBe(0);
    const explained = runSrt(["explain", join(dir, "srt-settings.json")], { env, cwd: dir }).stdout;
    expect(explained).toMatch(/✓ registry\.npmjs\.org, any port {2}← preset:node/);
    expect(explained).toMatch(/\.npm" \[(dir|absent now)\] {2}← preset:node/);
    const again = runSrt(["init"], { cwd: dir, env });
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already exists; not overwriting/);
    expect(readFileSync(join(dir, "srt-settings.json"), "utf8")).toBe(text);
    // Editors follow $schema: it must name the schema srt ships.
    const schemaRef = (JSON.parse(text) as { $schema: string }).$schema;
    expect(existsSync(resolve(dir, schemaRef)), schemaRef).toBe(true);
  });

  it("--extends writes the presets it names and refuses unknown ones", () => {
    const dir = tempDir("srt-init-");
    expect(runSrt(["init", "--extends", "python, git"], { cwd: dir, env }).status).toBe(0);
    const written = JSON.parse(readFileSync(join(dir, "srt-settings.json"), "utf8")) as Record<string, unknown>;
    expect(written["extends"]).toEqual(["python", "git"]);
    const bad = runSrt(["init", "other.json", "--extends", "nodejs"], { cwd: dir, env });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown preset "nodejs" (known: node, python, rust, go, git)');
    expect(existsSync(join(dir, "other.json"))).toBe(false);
  });

  it("prints the schema the validator was generated from", () => {
    const r = runSrt(["schema"]);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(`${repoRoot}schema/settings.schema.json`, "utf8")));
  });
});
