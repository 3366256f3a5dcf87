/** What a plan's command can change on the host (plan.hostWrites), and how a spelled path is exposed to it. */
import { describe, expect, it } from "vitest";
import { exposureOf, hostWritesOf, lowerLinuxPlan, writableRootOf } from "../../src/backends/bwrap/index.js";
import { compileSettings } from "../../src/compiler/index.js";
import { createFixtureHost } from "../support/fixture-host.js";

const w = { roots: ["/p", "/p/ro/again"], except: ["/p/ro", "/p/masked"] };

describe("writableRootOf", () => {
  it("the deepest entry on a path decides; a protected path at the same depth as a root wins", () => {
    expect(writableRootOf(w, "/p/x")).toBe("/p");
    expect(writableRootOf(w, "/p")).toBe("/p");
    expect(writableRootOf(w, "/p/ro/f")).toBeUndefined();
    expect(writableRootOf(w, "/p/ro/again/f")).toBe("/p/ro/again");
    expect(writableRootOf(w, "/p/masked")).toBeUndefined();
    expect(writableRootOf(w, "/q")).toBeUndefined();
    expect(writableRootOf({ roots: ["/p"], except: ["/p"] }, "/p/x")).toBeUndefined();
    expect(writableRootOf({ roots: ["/"], except: [] }, "/etc/passwd")).toBe("/");
  });

  it("a compiled plan records its writable roots and the protected paths inside them, not the pins between", () => {
    const host = createFixtureHost({ files: ["/p/.git/config", "/p/a/.npmrc"] }, { cwd: "/p", home: "/h" });
    const r = compileSettings({ text: "{}", file: "default", host, target: "linux" });
    const plan = lowerLinuxPlan(r.policy!, "x86_64");
    expect(plan.hostWrites.roots).toEqual(["/p"]);
    expect(plan.hostWrites.except).toContain("/p/a/.npmrc");
    expect(plan.hostWrites.except).not.toContain("/p/a");
    expect(
      hostWritesOf(
        [
          { op: "mask-dir", path: "/p/s", origin: ["/o"] },
          { op: "remount-ro", path: "/p/s", origin: ["/o"] },
        ],
        "/run/user/0/srt",
      ),
    ).toEqual({ roots: [], except: ["/run/user/0/srt", "/p/s"] });
    // The state directory is hidden whole in every sandbox (lower.ts): nothing in it is the command's to change.
    expect(plan.hostWrites.except).toContain(plan.context.stateDir);
  });
});

describe("exposureOf", () => {
  const host = createFixtureHost(
    {
      files: ["/p/plan.json", "/p/ro/plan.json", "/o/plan.json"],
      symlinks: { "/p/link.json": "/o/plan.json", "/o/via": "/p" },
    },
    { cwd: "/p", home: "/h" },
  );
  it("a file outside the writable roots, or protected inside them, is not exposed", () => {
    expect(exposureOf(w, host, "/o/plan.json")).toBeUndefined();
    expect(exposureOf(w, host, "/p/ro/plan.json")).toBeUndefined();
  });
  it("a writable file, also when spelled through a link outside (its real path counts)", () => {
    expect(exposureOf(w, host, "/p/plan.json")).toEqual({ kind: "writable", real: "/p/plan.json", root: "/p" });
    expect(exposureOf(w, host, "/o/via/plan.json")).toEqual({ kind: "writable", real: "/p/plan.json", root: "/p" });
  });
  it("a link inside a writable root on the way, even to a file outside", () => {
    expect(exposureOf(w, host, "/p/link.json")).toEqual({ kind: "link", link: "/p/link.json", root: "/p" });
  });
});
