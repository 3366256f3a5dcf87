/**
 * A writable path planted as a symlink by an earlier run, under real bwrap as
 * root and as srt-test: run A (the working directory writable) turns `build`
 * into a link to `../outside`; run B, whose policy makes only `build`
 * writable, must not start, and nothing may be written outside. Naming the
 * link's target in allowWrite says the redirection is meant.
 */
import { describe, expect, it } from "vitest";
import {
  missingTestUser,
  read,
  report,
  runners,
  sh,
  supported,
  tree,
  useBox,
  writeSettings,
  skipReason,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

describe.skipIf(lacking(!supported, skipReason))("symlinks planted by an earlier run", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "run A plants build -> ../outside; run B (allowWrite: build) is refused and writes nothing outside",
      async (ctx) => {
        const b = useBox(ctx, runner, { "work/build/old.o": "v1" });
        const a = await sh(b, "rm -rf build && ln -s ../outside build && echo planted=yes");
        expect(report(a)["planted"], a.stderr).toBe("yes");

        writeSettings(b, { filesystem: { allowWrite: [b.at("work/build")] } });
        const out = await sh(b, "echo pwned > build/x; echo pwned > build/.bashrc; echo ran=yes");
        expect(out.status, out.stdout).toBe(2);
        expect(report(out)["ran"]).toBeUndefined();
        expect(out.stderr).toContain("SRT306");
        expect(out.stderr).toContain(b.outside);
        expect(tree(b.outside)).toEqual([]);
      },
    );

    it.concurrent(
      "an intermediate planted link (allowWrite: gen/out, gen -> ../outside) is refused too",
      async (ctx) => {
        const b = useBox(ctx, runner, { "outside/out": null });
        const a = await sh(b, "ln -s ../outside gen && echo planted=yes");
        expect(report(a)["planted"], a.stderr).toBe("yes");
        writeSettings(b, { filesystem: { allowWrite: [b.at("work/gen/out")] } });
        const out = await sh(b, "echo pwned > gen/out/x; echo ran=yes");
        expect(out.status, out.stdout).toBe(2);
        expect(tree(b.outside)).toEqual(["out/"]);
      },
    );

    it.concurrent(
      "naming the link's target in allowWrite makes the same policy run, writing where the link leads",
      async (ctx) => {
        const b = useBox(ctx, runner);
        await sh(b, "ln -s ../outside build");
        writeSettings(b, { filesystem: { allowWrite: [b.at("work/build"), b.outside] } });
        const out = await sh(b, "echo ok > build/x && echo ran=yes");
        expect(out.status, out.stderr).toBe(0);
        expect(report(out)["ran"]).toBe("yes");
        expect(read(b.at("outside/x"))).toBe("ok\n");
      },
    );
  });
});
