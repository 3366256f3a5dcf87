/**
 * A settings file named through a symlink (`--settings policy.json` ->
 * conf/real.json, a stow-managed ~/.srt-settings.json). A read-only mount
 * lands on the link's target; the link itself stays replaceable by whoever
 * can write its directory. Inside a writable root, the command could point
 * it at a permissive policy that the next run would use: refused. Outside,
 * no sandbox can change the link, and the target stays protected.
 */
import { mkdirSync, readlinkSync, symlinkSync, writeFileSync, lchownSync, chownSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { missingTestUser, read, report, runners, srt, supported, useBox, type Box, skipReason } from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const policy = JSON.stringify({ filesystem: { allowWrite: ["."] } });
/** The command's attack: re-point the link at a policy of its own, and rewrite the real file. */
const attack = `echo '{"filesystem":{"allowWrite":["/"]}}' > evil.json; ln -sfn evil.json policy.json 2>/dev/null && echo relink=ok || echo relink=failed; echo '{}' > conf/real.json 2>/dev/null && echo real=written || echo real=refused`;

function own(b: Box, ...paths: string[]): void {
  if (b.runner !== "srt-test") return;
  for (const p of paths) lchownSync(p, b.uid, b.gid);
}

describe.skipIf(lacking(!supported, skipReason))("settings named through a symlink", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "a link inside the writable working directory is refused (exit 2, SRT315); nothing runs",
      async (ctx) => {
        const b = useBox(ctx, runner);
        mkdirSync(b.at("work/conf"));
        writeFileSync(b.at("work/conf/real.json"), policy);
        symlinkSync("conf/real.json", b.at("work/policy.json"));
        own(b, b.at("work/conf"), b.at("work/conf/real.json"), b.at("work/policy.json"));
        const out = await srt(b, ["--settings", "policy.json", "-c", `${attack}; echo ran=yes`]);
        expect(out.status, out.stderr).toBe(2);
        expect(out.stderr).toContain("SRT315");
        expect(out.stdout).not.toContain("ran=yes");
        expect(readlinkSync(b.at("work/policy.json"))).toBe("conf/real.json");
        expect(read(b.at("work/conf/real.json"))).toBe(policy);
      },
    );

    it.concurrent(
      "a link outside the writable roots works, and its target inside them stays protected",
      async (ctx) => {
        const b = useBox(ctx, runner);
        mkdirSync(b.at("work/conf"));
        writeFileSync(b.at("work/conf/real.json"), policy);
        symlinkSync("work/conf/real.json", b.at("policy.json"));
        own(b, b.at("work/conf"), b.at("work/conf/real.json"), b.at("policy.json"));
        if (runner === "srt-test") chownSync(b.root, b.uid, b.gid);
        const out = await srt(b, [
          "--settings",
          b.at("policy.json"),
          "-c",
          `echo '{}' > conf/real.json 2>/dev/null && echo real=written || echo real=refused; ln -sfn x ../policy.json 2>/dev/null && echo relink=ok || echo relink=failed; echo ran=yes`,
        ]);
        expect(out.status, out.stderr).toBe(0);
        expect(report(out)).toEqual({ real: "refused", relink: "failed", ran: "yes" });
        expect(read(b.at("work/conf/real.json"))).toBe(policy);
        expect(readlinkSync(b.at("policy.json"))).toBe("work/conf/real.json");
      },
    );
  });
});
