/**
 * srt's state directory inside a writable root (`srt` run in /tmp, or `allowWrite: ["/tmp"]`): both
 * Linux backends hide it whole in every sandbox, so the mandatory search does not list it. Listing it
 * bought nothing and tied every compile to other runs' run directories, which exist only while those
 * runs do: one concurrent run made the compile memo miss. Seatbelt does not hide it, so a macOS
 * compile still searches there.
 */
import { describe, expect, it } from "vitest";
import { compileSettings, type Target } from "../../src/compiler/index.js";
import type { Host } from "../../src/compiler/host.js";
import { createFixtureHost } from "../support/fixture-host.js";

const stateDir = "/w/tmp/srt-0";
const fs = {
  dirs: [
    // Another run's directory, and in it something shaped like a repository, as a command could never
    // make there (the sandbox sees an empty read-only directory) but a walk would protect.
    `${stateDir}/runs/0123456789ab/x/objects`,
    `${stateDir}/runs/0123456789ab/x/refs`,
    `${stateDir}/compile-memo`,
    "/w/tmp/other/.git/objects",
    "/w/tmp/other/.git/refs",
  ],
  files: [`${stateDir}/runs/0123456789ab/x/HEAD`, "/w/tmp/other/.git/HEAD", "/w/src/a.ts"],
};

/** The paths of the compile's rules, and every directory it listed. */
function compile(target: Target): { rules: readonly (string | undefined)[]; listed: string[] } {
  const fixture = createFixtureHost(fs, {
    cwd: "/w",
    home: "/h",
    uid: 0,
    stateDir,
    platform: target === "macos" ? "darwin" : "linux",
  });
  const listed: string[] = [];
  const host: Host = { ...fixture, readdir: (p) => (listed.push(p), fixture.readdir(p)) };
  const r = compileSettings({ text: "{}", file: "/h/.srt-settings.json", host, target });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { rules: r.policy!.filesystem.rules.map((rule) => (rule.kind === "path" ? rule.path : undefined)), listed };
}

const inside = (p: string | undefined): boolean => p !== undefined && (p === stateDir || p.startsWith(`${stateDir}/`));

describe("srt's state directory in a writable root", () => {
  it("Linux: the search does not list it, and puts no rule below it", () => {
    const { rules, listed } = compile("linux");
    expect(listed.filter(inside)).toEqual([]);
    expect(rules.filter(inside)).toEqual([]);
    // Its siblings are searched as before: a repository next to it is protected.
    expect(listed).toContain("/w/tmp");
    expect(rules).toContain("/w/tmp/other/.git/hooks");
  });

  it("macOS, where Seatbelt does not hide it: searched as any other directory", () => {
    const { rules, listed } = compile("macos");
    expect(listed).toContain(`${stateDir}/runs/0123456789ab`);
    expect(rules).toContain(`${stateDir}/runs/0123456789ab/x/hooks`);
  });
});
