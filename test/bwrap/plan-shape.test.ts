/** A plan read back (a file for srt exec, an object for createSandbox) is refused unless complete. */
import { describe, expect, it } from "vitest";
import { linuxPlanProblem, lowerLinuxPlan } from "../../src/backends/bwrap/index.js";
import { compileSettings } from "../../src/compiler/index.js";
import { createFixtureHost } from "../support/fixture-host.js";

const host = createFixtureHost({ dirs: ["/p"] }, { cwd: "/p", home: "/h" });
const plan = lowerLinuxPlan(compileSettings({ text: "{}", file: "default", host, target: "linux" }).policy!, "x86_64");

describe("linuxPlanProblem", () => {
  it("accepts a plan this srt lowered, also after a JSON round trip", () => {
    expect(linuxPlanProblem(plan)).toBeUndefined();
    expect(linuxPlanProblem(JSON.parse(JSON.stringify(plan)))).toBeUndefined();
  });

  it.each(["detachable", "hostWrites", "pidNamespace", "placeholders", "seccomp", "bwrap", "limits"])(
    "refuses a plan without %s (an older srt's): recompile it",
    (field) => {
      const { [field as keyof typeof plan]: _dropped, ...older } = plan;
      expect(linuxPlanProblem(older)).toBe("plan is incomplete or damaged; recompile it");
    },
  );

  it("refuses what is not a plan, another version or another target", () => {
    expect(linuxPlanProblem(null)).toMatch(/^not an srt plan/);
    expect(linuxPlanProblem({ ...plan, version: 2 })).toBe("plan version 2 is not supported by this srt");
    expect(linuxPlanProblem({ ...plan, target: "macos" })).toMatch(/runs linux plans/);
    expect(linuxPlanProblem({ ...plan, hostWrites: { roots: [1], except: [] } })).toMatch(/recompile/);
  });
});
