/** A writable root is the base mount itself: bound after /dev and /proc it would cover them with the host's. */
import { describe, expect, it } from "vitest";
import { flatten } from "../../src/backends/bwrap/argv.js";
import { lowerBwrap } from "../../src/backends/bwrap/index.js";
import { compileSettings } from "../../src/compiler/index.js";
import { createFixtureHost } from "../support/fixture-host.js";

describe('allowWrite ["/"]', () => {
  it("binds / writable first, then the fresh /dev and /proc, and never binds / again", () => {
    const r = compileSettings({
      text: JSON.stringify({ filesystem: { allowWrite: ["/"] } }),
      file: "/home/u/s.json",
      host: createFixtureHost({ dirs: ["/home/u/proj"], files: [] }, { cwd: "/home/u/proj", home: "/home/u" }),
      target: "linux",
    });
    const argv = flatten(lowerBwrap(r.policy!).groups).map((a) => (typeof a === "string" ? a : `<${a.slot}>`));
    expect(argv.slice(0, 7)).toEqual(["--bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
    const rootBinds = argv.flatMap((a, i) =>
      a.endsWith("bind") && argv[i + 1] === "/" && argv[i + 2] === "/" ? [i] : [],
    );
    expect(rootBinds).toEqual([0]);
  });
});
