/** `extends`: tool-cache presets as data (schema/presets.json), merged with `preset:NAME` origins. */
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileSettings } from "../../src/compiler/index.js";
import { presetNames, presetTable } from "../../src/compiler/presets.js";
import { createPresetCacheDirs, extendedPresets } from "../../src/cli/preset-dirs.js";
import schema from "../../schema/settings.schema.json" with { type: "json" };
import { createFixtureHost } from "../support/fixture-host.js";

const host = createFixtureHost(
  { dirs: ["/home/u/proj", "/home/u/.npm", "/home/u/.cache"], files: [] },
  { cwd: "/home/u/proj", home: "/home/u" },
);
const compile = (settings: unknown) =>
  compileSettings({ text: JSON.stringify(settings), file: "/home/u/proj/s.json", host, target: "linux" });

describe("the preset table", () => {
  it("the schema's extends enum and the table name the same presets", () => {
    expect((schema.definitions.extends.items as { enum: string[] }).enum).toEqual(presetNames);
  });
  it("no preset makes a directory of programs the host runs writable", () => {
    for (const name of presetNames)
      for (const d of presetTable[name].cacheDirs) expect(d, `${name}: ${d}`).not.toMatch(/\/bin(\/|$)/);
  });
  it("no cache directory of a preset lies in a path srt always write-protects (it would stay read-only)", () => {
    const dirs = presetNames.flatMap((n) => presetTable[n].cacheDirs.map((d) => d.replace("~", "/home/u")));
    const full = createFixtureHost(
      { dirs: ["/home/u/proj", ...dirs], files: [] },
      { cwd: "/home/u/proj", home: "/home/u" },
    );
    const r = compileSettings({
      text: JSON.stringify({ extends: presetNames }),
      file: "/home/u/proj/s.json",
      host: full,
      target: "linux",
    });
    const protectedPaths = r.policy!.filesystem.rules.flatMap((x) =>
      x.kind === "path" && x.origin.startsWith("mandatory:") && x.access === "write" && x.effect === "deny"
        ? [x.path]
        : [],
    );
    for (const d of dirs)
      expect(
        protectedPaths.filter((p) => d === p || d.startsWith(`${p}/`)),
        d,
      ).toEqual([]);
  });
  it("every preset compiles: its hosts and caches are valid entries", () => {
    const r = compile({ extends: presetNames });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });
});

describe("extends", () => {
  it("adds the preset's hosts and caches with origin preset:NAME, keeping the default working directory", () => {
    const p = compile({ extends: ["node"], network: { allowedDomains: ["example.com"] } }).policy!;
    expect(p.network.rules.filter((r) => r.origin === "preset:node").map((r) => r.source)).toEqual(
      presetTable.node.allowedDomains,
    );
    const writes = p.filesystem.rules.filter((r) => r.kind === "path" && r.access === "write" && r.effect === "allow");
    expect(writes.map((r) => [r.kind === "path" ? r.path : "", r.origin])).toEqual(
      expect.arrayContaining([
        ["/home/u/proj", "default:cwd"],
        ["/home/u/.npm", "preset:node"],
        ["/home/u/.cache/yarn", "preset:node"],
      ]),
    );
    const npx = p.filesystem.rules.find((r) => r.kind === "path" && r.path === "/home/u/.npm/_npx");
    expect(npx).toMatchObject({ access: "write", effect: "deny", origin: "preset:node" });
  });
  it("an absent cache directory is not a warning (the run creates it); an unknown preset is a schema error", () => {
    expect(compile({ extends: ["node"] }).diagnostics).toEqual([]);
    const bad = compile({ extends: ["nodejs"] });
    expect(bad.policy).toBeUndefined();
    expect(bad.diagnostics[0]).toMatchObject({ code: "SRT112", pointer: "/extends/0" });
  });
  it("with allowWrite the caches still add to it", () => {
    const p = compile({ extends: ["python"], filesystem: { allowWrite: ["src"] } }).policy!;
    const writes = p.filesystem.rules.filter((r) => r.kind === "path" && r.access === "write" && r.effect === "allow");
    expect(writes.map((r) => r.origin).sort()).toEqual(["/filesystem/allowWrite/0", "preset:python", "preset:python"]);
  });
});

describe("creating the cache directories", () => {
  const root = mkdtempSync(join(tmpdir(), "srt-presets-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  it("reads the presets from the settings text; not JSON means none", () => {
    expect(extendedPresets('{"extends": ["go", "node", "x"]}')).toEqual(["node", "go"]);
    expect(extendedPresets("{nope")).toEqual([]);
    expect(extendedPresets(undefined)).toEqual([]);
  });
  it("makes each missing component, mode 0700, and leaves existing ones", () => {
    const home = join(root, "h1");
    mkdirSync(join(home, ".cache"), { recursive: true });
    const r = createPresetCacheDirs(["python"], home);
    expect(r.created).toEqual([join(home, ".cache/pip"), join(home, ".cache/uv")]);
    expect(statSync(join(home, ".cache/pip")).mode & 0o777).toBe(0o700);
    expect(createPresetCacheDirs(["python"], home).created).toEqual([]);
  });
  it("never through a symlink: a link planted in the home does not choose where srt creates anything", () => {
    const home = join(root, "h2");
    const elsewhere = join(root, "elsewhere");
    mkdirSync(home);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(home, "go"));
    const r = createPresetCacheDirs(["go"], home);
    expect(r.created).toEqual([join(home, ".cache"), join(home, ".cache/go-build")]);
    expect(r.skipped).toEqual([`${join(home, "go")} (a symlink)`]);
    expect(existsSync(join(elsewhere, "pkg"))).toBe(false);
  });
});

describe("rust: cargo's download caches inside the protected ~/.cargo", () => {
  const cargo = "/home/u/.cargo";
  const h = createFixtureHost(
    {
      dirs: ["/home/u/proj", `${cargo}/registry/index`, `${cargo}/git/checkouts`, `${cargo}/bin`],
      files: [`${cargo}/config.toml`, `${cargo}/credentials.toml`, `${cargo}/env`, `${cargo}/bin/cargo`],
    },
    { cwd: "/home/u/proj", home: "/home/u" },
  );
  const compileHere = (settings: unknown) =>
    compileSettings({ text: JSON.stringify(settings), file: "/home/u/proj/s.json", host: h, target: "linux" }).policy!;
  /** Whether the deepest write rule on path (the one every backend obeys) allows it. */
  const writable = (p: ReturnType<typeof compileHere>, path: string): boolean => {
    const on = p.filesystem.rules
      .filter((r) => r.kind === "path" && r.access === "write" && (path === r.path || path.startsWith(`${r.path}/`)))
      .sort((a, b) => (a.kind === "path" && b.kind === "path" ? a.path.length - b.path.length : 0));
    const deepest = on.at(-1);
    const denied = on.filter((r) => r.kind === "path" && deepest?.kind === "path" && r.path === deepest.path);
    return deepest !== undefined && denied.every((r) => r.effect === "allow");
  };

  it("registry/ and git/ are writable; config, credentials, env and bin/ stay outside every writable path", () => {
    const p = compileHere({ extends: ["rust"] });
    for (const cache of [`${cargo}/registry`, `${cargo}/git`]) {
      expect(writable(p, `${cache}/x`), cache).toBe(true);
      expect(p.filesystem.rules).toContainEqual(
        expect.objectContaining({ kind: "path", path: cache, access: "write", effect: "allow", origin: "preset:rust" }),
      );
    }
    for (const path of [
      `${cargo}/config.toml`,
      `${cargo}/config`,
      `${cargo}/credentials.toml`,
      `${cargo}/credentials`,
      `${cargo}/env`,
      `${cargo}/bin/cargo`,
      `${cargo}/bin/new`,
      `${cargo}/registry-evil`,
    ])
      expect(writable(p, path), path).toBe(false);
    // Nothing on ~/.cargo itself, nor the caches denied by a ~/.cargo protection.
    expect(
      p.filesystem.rules.filter((r) => r.kind === "path" && r.access === "write" && r.path.startsWith(cargo)),
    ).toEqual(expect.not.arrayContaining([expect.objectContaining({ effect: "deny", path: cargo })]));
  });

  it("only the caches: a writable path elsewhere in ~/.cargo, or ~/.cargo itself, still protects it whole", () => {
    for (const allow of [`${cargo}/bin`, cargo, `${cargo}/config.toml`]) {
      const p = compileHere({ extends: ["rust"], filesystem: { allowWrite: [allow] } });
      expect(writable(p, `${cargo}/config.toml`), allow).toBe(false);
      expect(writable(p, `${cargo}/bin/cargo`), allow).toBe(false);
      expect(p.filesystem.rules).toContainEqual(
        expect.objectContaining({ path: cargo, access: "write", effect: "deny", origin: "mandatory:tool-config" }),
      );
    }
  });

  it("a writable project's .cargo stays protected whole, its registry/ included", () => {
    const p = compileHere({ extends: ["rust"], filesystem: { allowWrite: [".", "/home/u/proj/.cargo/registry"] } });
    expect(writable(p, "/home/u/proj/.cargo/config.toml")).toBe(false);
    expect(writable(p, "/home/u/proj/.cargo/registry/x")).toBe(false);
    expect(writable(p, "/home/u/proj/src")).toBe(true);
  });
});
