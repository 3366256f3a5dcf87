/**
 * The backend registry is the one place backends are wired: `srt compile
 * --emit`, the library's lower() and the goldens (golden-artifacts.ts) all
 * read it. These checks fail when one of them goes back to wiring a backend
 * by hand and drifts from the table.
 */
import { describe, expect, it } from "vitest";
import { lower } from "../src/api/compile.js";
import { debianRoot } from "./support/golden-artifacts.js";
import { backends, backendsFor, lowerAndRender, type TargetOptions } from "../src/backends/registry.js";
import { compileFixture, loadFixture } from "./support/fixtures.js";
import { runSrt } from "./support/cli.js";

const policy = compileFixture(loadFixture("every-key")).policy!;
const options: TargetOptions = { linux: { arch: "x86_64", root: debianRoot }, macos: {} };

describe("backend registry", () => {
  it("names are unique, and so is each target's --emit word (ir is the CLI's own)", () => {
    const all = Object.values(backends);
    expect(new Set(all.map((b) => b.name)).size).toBe(all.length);
    for (const target of ["linux", "macos"] as const) {
      const emits = backendsFor(target).map((b) => b.emit);
      expect(emits.length).toBeGreaterThan(0);
      expect(new Set([...emits, "ir"]).size).toBe(emits.length + 1);
    }
  });

  it.each(["linux", "macos"] as const)(
    "srt compile --target %s offers exactly the registry's backends, the first as default, then ir",
    (target) => {
      const r = runSrt(["compile", "--target", target, "--emit", "nope", "examples/agent.json"]);
      expect(r.stderr).toContain(`choose one of: ${[...backendsFor(target).map((b) => b.emit), "ir"].join(", ")}\n`);
      const [first] = backendsFor(target);
      const byDefault = runSrt(["compile", "--target", target, "examples/agent.json"]);
      expect(byDefault.stdout).toBe(
        runSrt(["compile", "--target", target, "--emit", first!.emit, "examples/agent.json"]).stdout,
      );
    },
  );

  it("the library's lower() is the registry's plan (linux) and Seatbelt profile (macos)", () => {
    expect(lower(policy, "linux", { arch: "x86_64" })).toEqual(backends.plan.lower(policy, options.linux));
    expect(lower(policy, "macos").profile).toBe(lowerAndRender(backends.seatbelt, policy, options));
  });

  it("lowerAndRender reads only the options of the backend's own target", () => {
    const linuxOnly = {
      linux: options.linux,
      get macos(): TargetOptions["macos"] {
        throw new Error("macos options read for a linux backend");
      },
    };
    for (const b of backendsFor("linux")) expect(lowerAndRender(b, policy, linuxOnly)).not.toBe("");
  });
});
