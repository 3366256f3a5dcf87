/**
 * What srt protects of itself, beyond the goldens (self-protection,
 * srt-installed-pnpm, self-output-files, settings-through-links,
 * output-through-link): the cases where it must *not* act.
 */
import { describe, expect, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import { compileSettings, launcherNames, type PathRule, type SelfOutput } from "../../src/compiler/index.js";
import { linksOnPath } from "../../src/compiler/links.js";
import { createFixtureHost, type FixtureFs } from "../support/fixture-host.js";

const env = { cwd: "/p", home: "/h" };
const compile = (
  fs: FixtureFs,
  o: { file?: string; installDir?: string; outputs?: SelfOutput[]; text?: string } = {},
) =>
  compileSettings({
    text: o.text ?? "{}",
    file: o.file ?? "default",
    host: createFixtureHost(fs, env),
    target: "linux",
    ...(o.installDir ? { installDir: o.installDir } : {}),
    ...(o.outputs ? { outputs: o.outputs } : {}),
  });
const denied = (r: ReturnType<typeof compile>, origin: string): string[] =>
  (r.policy?.filesystem.rules ?? [])
    .filter((x): x is PathRule => x.kind === "path" && x.effect === "deny" && x.origin === origin)
    .map((x) => x.path);

describe("srt's installation", () => {
  it("the launcher names are package.json's bin names", () => {
    expect([...launcherNames].sort()).toEqual(Object.keys(pkg.bin).sort());
  });

  it("a .bin whose srt leads to another package is left alone; the package root is still protected", () => {
    const r = compile(
      {
        files: ["/p/node_modules/srt-sandbox/dist/srt.mjs", "/p/node_modules/other/srt.js"],
        symlinks: { "/p/node_modules/.bin/srt": "../other/srt.js" },
      },
      { installDir: "/p/node_modules/srt-sandbox" },
    );
    expect(denied(r, "mandatory:srt-installation")).toEqual(["/p/node_modules/srt-sandbox"]);
  });

  it("an installation outside every writable root adds nothing, .bin included", () => {
    const r = compile(
      {
        files: ["/opt/app/node_modules/srt-sandbox/dist/srt.mjs"],
        symlinks: { "/opt/app/node_modules/.bin/srt": "../srt-sandbox/dist/srt.mjs" },
      },
      { installDir: "/opt/app/node_modules/srt-sandbox" },
    );
    expect(denied(r, "mandatory:srt-installation")).toEqual([]);
    expect(r.diagnostics).toEqual([]);
  });
});

describe("settings reached through symlinks", () => {
  it("a link outside the writable roots is fine, and the target inside them stays protected", () => {
    const r = compile(
      { files: ["/p/conf/real.json"], symlinks: { "/h/policy.json": "/p/conf/real.json" } },
      { file: "/h/policy.json" },
    );
    expect(r.diagnostics).toEqual([]);
    expect(denied(r, "mandatory:settings-file")).toEqual(["/p/conf/real.json"]);
  });

  it("a link that is itself the writable root cannot be swapped (its own directory is not writable)", () => {
    const r = compile(
      { files: ["/data/proj/srt.json"], symlinks: { "/h/proj": "/data/proj" }, owners: { "/h": 0 } },
      { file: "/h/proj/srt.json", text: '{"filesystem":{"allowWrite":["/h/proj"]}}' },
    );
    expect(r.diagnostics.map((d) => d.code)).toEqual([]);
  });

  it("a link in a directory on the way, inside a writable root, is refused (SRT315)", () => {
    const r = compile({ files: ["/x/real/srt.json"], symlinks: { "/p/cfg": "/x/real" } }, { file: "/p/cfg/srt.json" });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["SRT315"]);
    expect(r.diagnostics[0]?.message).toContain("through the symlink /p/cfg");
  });
});

describe("files srt writes for the run", () => {
  it("outside the writable roots: nothing to protect, nothing to refuse", () => {
    const r = compile({ dirs: ["/h/plans"] }, { outputs: [{ path: "/h/plans/plan.json", rule: "plan-file" }] });
    expect(r.diagnostics).toEqual([]);
    expect(denied(r, "mandatory:plan-file")).toEqual([]);
  });
});

describe("linksOnPath", () => {
  it("lists each link at its real location, through relative and absolute hops, and stops at what does not exist", () => {
    const host = createFixtureHost(
      { files: ["/r/b/f"], symlinks: { "/a": "/r", "/r/l": "b", "/r/b/g": "../../n/x" } },
      env,
    );
    expect(linksOnPath(host, "/a/l/f")).toEqual({ ok: true, links: ["/a", "/r/l"] });
    expect(linksOnPath(host, "/a/l/g/deeper")).toEqual({ ok: true, links: ["/a", "/r/l", "/r/b/g"] });
  });
});
