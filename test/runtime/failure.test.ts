import { describe, expect, it } from "vitest";
import { runtimeCatalog } from "../../src/compiler/diagnostics.js";
import { failureLine, failureOf, RuntimeFailure } from "../../src/runtime/failure.js";
import { ensureStateDir } from "../../src/runtime/state-dir.js";
import { createSandbox, RuntimeFailure as Exported } from "../../src/index.js";
import { nodeLinuxFs } from "../../src/runtime/linux/node-deps.js";

describe("runtime failure codes", () => {
  it("a step that knows what failed keeps its code; anything else gets the caller's fallback", () => {
    expect(failureOf(new RuntimeFailure("SRT501", "state dir"), "SRT508")).toEqual({
      kind: "failed",
      code: "SRT501",
      message: "state dir",
    });
    expect(failureOf(new Error("boom"), "SRT508")).toEqual({ kind: "failed", code: "SRT508", message: "boom" });
  });

  it("a refused state directory says SRT501", () => {
    let thrown: unknown;
    try {
      ensureStateDir(nodeLinuxFs, "/proc/srt-no-such-dir", process.getuid?.() ?? 0);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RuntimeFailure);
    expect((thrown as RuntimeFailure).code).toBe("SRT501");
  });

  it("prints like a compile diagnostic, with a code from the runtime section of the catalog", () => {
    expect(failureLine({ code: "SRT504", message: "bwrap failed" })).toBe("srt: error SRT504: bwrap failed");
    expect(failureLine({ code: "SRT503", message: "p.json: no such file" }, "srt exec")).toBe(
      "srt exec: error SRT503: p.json: no such file",
    );
    expect(Object.keys(runtimeCatalog).every((c) => /^SRT5\d\d$/.test(c))).toBe(true);
  });

  it("the library throws them too: a plan it refuses says SRT503", async () => {
    expect(Exported).toBe(RuntimeFailure);
    await expect(createSandbox({ kind: "srt-plan" } as never)).rejects.toMatchObject({
      name: "RuntimeFailure",
      code: "SRT503",
    });
  });
});
