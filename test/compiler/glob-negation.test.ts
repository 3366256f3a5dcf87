/** `[!…]` is not a negation with srt's glob options (picomatch reads it as "! or …"): refused with a hint; `[^…]` works. */
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { compileSettings } from "../../src/compiler/index.js";
import { globOptions } from "../../src/compiler/paths.js";
import { createFixtureHost } from "../support/fixture-host.js";

const compile = (denyRead: string[]) =>
  compileSettings({
    text: JSON.stringify({ filesystem: { denyRead } }),
    file: "/home/u/s.json",
    host: createFixtureHost(
      { dirs: ["/home/u/proj"], files: ["/home/u/proj/k/a.key", "/home/u/proj/k/b.key"] },
      { cwd: "/home/u/proj", home: "/home/u" },
    ),
    target: "linux",
  });

describe("negated character classes in globs", () => {
  it("the reason: picomatch with srt's options reads [!a] as the class of ! and a", () => {
    expect(picomatch.isMatch("/x/b", "/x/[!a]", globOptions)).toBe(false);
    expect(picomatch.isMatch("/x/!", "/x/[!a]", globOptions)).toBe(true);
    expect(picomatch.isMatch("/x/b", "/x/[^a]", globOptions)).toBe(true);
  });
  it("[!…] is an error with a hint; nothing is compiled", () => {
    const r = compile(["k/[!a].key"]);
    expect(r.policy).toBeUndefined();
    const d = r.diagnostics.find((x) => x.severity === "error");
    expect(d?.message).toMatch(/not a negation/);
    expect(JSON.stringify(d)).toContain("[^");
  });
  it("[^…] denies what it says", () => {
    const r = compile(["k/[^a].key"]);
    const paths = r.policy?.filesystem.rules
      .filter((x) => x.kind === "path" && x.access === "read")
      .map((x) => (x.kind === "path" ? x.path : ""));
    expect(paths).toEqual(["/home/u/proj/k/b.key"]);
  });
});
