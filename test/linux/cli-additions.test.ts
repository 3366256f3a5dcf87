/**
 * `--allow-write P` and `--deny-read P` extend the settings for one run in the real sandbox, as
 * root and as srt-test: the added path is writable besides the settings' own, the added deny is
 * unreadable, and the next run without them is back to the settings alone.
 */
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, read, report, runners, srt, supported, useBox, skipReason } from "./support.js";

const script = [
  "echo x > ../outside/written 2>/dev/null && echo write=ok || echo write=refused",
  "cat ../outside/secret >/dev/null 2>&1 && echo read=ok || echo read=refused",
  "echo y > ./in-cwd && echo cwd=ok || echo cwd=refused",
].join("\n");

describe.skipIf(lacking(!supported, skipReason))("command-line additions in a real sandbox", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent("--allow-write and --deny-read apply to this run only, besides the settings", async (ctx) => {
      const b = useBox(ctx, runner, { "outside/secret": "s\n" }, {});
      const added = await srt(b, [
        "-s",
        b.settings,
        "--allow-write",
        "../outside",
        "--deny-read",
        "../outside/secret",
        "-c",
        script,
      ]);
      expect(added.status, added.stderr).toBe(0);
      expect(report(added)).toEqual({ write: "ok", read: "refused", cwd: "ok" });
      expect(read(b.at("outside/written"))).toBe("x\n");
      const plain = await srt(b, ["-s", b.settings, "-c", script]);
      expect(report(plain)).toEqual({ write: "refused", read: "ok", cwd: "ok" });
    });
  });
});
