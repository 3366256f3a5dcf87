/**
 * A plan file is trusted by the next `srt exec` as found. `srt compile -o
 * plan.json` in the working directory puts it in the default writable root,
 * so its own command could rewrite it (here: turn the read-only host into a
 * writable one) and the next exec would run the rewrite. The plan srt writes
 * is protected by the plan itself; `srt exec` refuses a plan its command
 * could rewrite, or one reached through a link the command could re-point.
 */
import { symlinkSync, lchownSync, writeFileSync, chownSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  missingTestUser,
  read,
  report,
  runners,
  srt,
  supported,
  useBox,
  writeSettings,
  skipReason,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

/** Rewrites the plan the way an attacker would: every read-only bind of the host becomes writable. */
const rewrite = [
  `sed 's/"--ro-bind"/"--bind"/g' plan.json > p.tmp`,
  "if cat p.tmp > plan.json 2>/dev/null; then echo write=ok; else echo write=failed",
  "  mv -f p.tmp plan.json 2>/dev/null && echo rename=ok || { echo rename=failed; rm -f plan.json 2>/dev/null && echo rm=ok || echo rm=failed; }",
  "fi",
].join("\n");
const escape = "echo x > ../outside/escaped 2>/dev/null && echo outside=written || echo outside=refused";

describe.skipIf(lacking(!supported, skipReason))("plan files", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "a plan written by `srt compile -o` into the writable cwd cannot be rewritten by its command; the next exec is still sandboxed",
      async (ctx) => {
        const b = useBox(ctx, runner);
        writeSettings(b, { filesystem: { allowWrite: ["."] } });
        const compiled = await srt(b, ["compile", "--target", "linux", b.settings, "-o", "plan.json"]);
        expect(compiled.status, compiled.stderr).toBe(0);
        const original = read(b.at("work/plan.json"));
        const first = await srt(b, ["exec", "plan.json", "--", "sh", "-c", rewrite]);
        expect(first.status, first.stderr).toBe(0);
        expect(report(first)).toEqual({ write: "failed", rename: "failed", rm: "failed" });
        expect(read(b.at("work/plan.json"))).toBe(original);
        const second = await srt(b, ["exec", "plan.json", "--", "sh", "-c", escape]);
        expect(second.status, second.stderr).toBe(0);
        expect(report(second)).toEqual({ outside: "refused" });
        expect(read(b.at("outside/escaped"))).toBeUndefined();
      },
    );

    it.concurrent(
      "a plan in a writable root that does not protect itself is refused (exit 2) unless --allow-writable-plan",
      async (ctx) => {
        const b = useBox(ctx, runner);
        writeSettings(b, { filesystem: { allowWrite: ["."] } });
        const printed = await srt(b, ["compile", "--target", "linux", b.settings]);
        expect(printed.status, printed.stderr).toBe(0);
        writeFileSync(b.at("work/plan.json"), printed.stdout);
        if (runner === "srt-test") chownSync(b.at("work/plan.json"), b.uid, b.gid);
        const refused = await srt(b, ["exec", "plan.json", "--", "sh", "-c", `${rewrite}; echo ran=yes`]);
        expect(refused.status, refused.stderr).toBe(2);
        expect(refused.stderr).toContain("--allow-writable-plan");
        expect(refused.stdout).not.toContain("ran=yes");
        expect(read(b.at("work/plan.json"))).toBe(printed.stdout);
        const allowed = await srt(b, ["exec", "plan.json", "--allow-writable-plan", "--", "sh", "-c", "echo ran=yes"]);
        expect(allowed.status, allowed.stderr).toBe(0);
        expect(report(allowed)).toEqual({ ran: "yes" });
      },
    );

    it.concurrent(
      "a plan reached through a symlink inside a writable root is refused (exit 2), whatever the flag",
      async (ctx) => {
        const b = useBox(ctx, runner);
        writeSettings(b, { filesystem: { allowWrite: ["."] } });
        const compiled = await srt(b, ["compile", "--target", "linux", b.settings, "-o", b.at("outside/plan.json")]);
        expect(compiled.status, compiled.stderr).toBe(0);
        symlinkSync("../outside/plan.json", b.at("work/plan.json"));
        if (runner === "srt-test") lchownSync(b.at("work/plan.json"), b.uid, b.gid);
        for (const flags of [[], ["--allow-writable-plan"]]) {
          const out = await srt(b, ["exec", "plan.json", ...flags, "--", "sh", "-c", "echo ran=yes"]);
          expect(out.status, out.stderr).toBe(2);
          expect(out.stderr).toContain("symlink");
          expect(out.stdout).not.toContain("ran=yes");
        }
        // Named by its own path, outside every writable root, the same plan runs.
        const direct = await srt(b, ["exec", b.at("outside/plan.json"), "--", "sh", "-c", "echo ran=yes"]);
        expect(direct.status, direct.stderr).toBe(0);
      },
    );

    it.concurrent("`srt compile -o` does not write through a symlink the command planted", async (ctx) => {
      const b = useBox(ctx, runner, { "outside/bashrc": "# rc\n" });
      symlinkSync("../outside/bashrc", b.at("work/plan.json"));
      if (runner === "srt-test") lchownSync(b.at("work/plan.json"), b.uid, b.gid);
      const out = await srt(b, ["compile", "--target", "linux", b.settings, "-o", "plan.json"]);
      expect(out.status).not.toBe(0);
      expect(read(b.at("outside/bashrc"))).toBe("# rc\n");
    });
  });
});
