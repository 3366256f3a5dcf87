/**
 * The walk budget is in entries *and* wall-clock time. Fixture hosts have a
 * frozen clock, so goldens only exercise the entry limit; here the clock moves.
 */
import { describe, expect, it } from "vitest";
import { compileSettings } from "../../src/compiler/index.js";
import type { Host } from "../../src/compiler/host.js";
import { createFixtureHost } from "../support/fixture-host.js";

const env = { cwd: "/p", home: "/h" };
const files = Array.from({ length: 200 }, (_, i) => `/p/d${i % 20}/f${i}.txt`);

/** Every readdir costs `step` ms of the host's clock. */
function slowHost(step: number): Host {
  const base = createFixtureHost({ files: [...files, "/p/d3/.npmrc"] }, env);
  let clock = 0;
  return { ...base, now: () => clock, readdir: (p) => ((clock += step), base.readdir(p)) };
}

const compile = (host: Host, settings: unknown, maxMillis: number) =>
  compileSettings({
    text: JSON.stringify(settings),
    file: "/h/.srt-settings.json",
    host,
    target: "linux",
    limits: { maxEntries: 1_000_000, maxMillis },
  });

describe("time budget", () => {
  it("a mandatory-deny search that runs out of time is an error (SRT302), not a partial result", () => {
    const r = compile(slowHost(10), {}, 100);
    expect(r.policy).toBeUndefined();
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: "SRT302", severity: "error", message: expect.stringContaining("time budget") }),
    ]);
  });

  it("a glob walk that runs out of time is an error (SRT301)", () => {
    const r = compile(slowHost(10), { filesystem: { denyRead: ["/p/**/*.txt"] } }, 100);
    expect(r.policy).toBeUndefined();
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        code: "SRT301",
        pointer: "/filesystem/denyRead/0",
        message: expect.stringContaining("time budget"),
      }),
    ]);
  });

  it("the same walks within their time find everything, at any depth", () => {
    const r = compile(slowHost(1), { filesystem: { denyRead: ["/p/**/*.txt"] } }, 1000);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const paths = r.policy!.filesystem.rules.flatMap((x) => (x.kind === "path" ? [x.path] : []));
    expect(paths).toContain("/p/d3/.npmrc");
    expect(paths).toContain("/p/d0");
  });
});
