/**
 * What one run leaves behind must not stop later runs (denial of service),
 * under real bwrap as root and as srt-test: a directory whose name is not
 * UTF-8 and a directory the user cannot list (chmod 000) inside the working
 * directory. The next run starts, says what it did about them, and still
 * protects what lies there: a shell start-up file inside the odd name stays
 * read-only, and the locked directory stays locked (it is read-only whole, so
 * the command cannot chmod it back and look inside).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { missingTestUser, report, runners, sh, supported, useBox, skipReason } from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const oddName = Buffer.from([0xff, 0x2d, 0x64, 0x69, 0x72]); // "\xff-dir"

describe.skipIf(lacking(!supported, skipReason))("names and permissions left by an earlier run", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "run 1 makes a non-UTF-8 directory with a .npmrc and a chmod-000 directory; run 2 still starts and neither opens up",
      async (ctx) => {
        const b = useBox(ctx, runner);
        const one = await sh(
          b,
          `d=$(printf '\\377-dir'); mkdir "$d" && mkdir locked && echo inside > locked/secret && chmod 000 locked && echo planted=yes`,
        );
        expect(report(one)["planted"], one.stderr).toBe("yes");
        // A run cannot make a .npmrc (srt's supervisor); the host can, as a clone would.
        writeFileSync(
          Buffer.concat([Buffer.from(`${b.work}/`), Buffer.from([0xff]), Buffer.from("-dir/.npmrc")]),
          "original\n",
        );
        if (runner === "srt-test") spawnSync("chown", ["-R", `${b.uid}:${b.gid}`, b.work]);

        const two = await sh(
          b,
          `d=$(printf '\\377-dir'); if err=$( (echo pwned >> "$d/.npmrc") 2>&1 ); then echo npmrc=written; else echo "npmrc=\${err##*: }"; fi; if err=$(chmod 755 locked 2>&1); then echo chmod=done; else echo "chmod=\${err##*: }"; fi; echo ran=yes`,
        );
        expect(two.status, two.stderr).toBe(0);
        const r = report(two);
        expect(r["ran"]).toBe("yes");
        // The existing .npmrc is write-protected: srt's supervisor refuses the O_CREAT append first.
        expect(r["npmrc"]).toBe("Permission denied");
        if (runner === "root") {
          // Root lists anything: locked is an ordinary directory of the writable root.
          expect(r["chmod"]).toBe("done");
        } else {
          // locked is masked whole (SRT310); srt's supervisor refuses the chmod +x before the
          // read-only mount would (EROFS).
          expect(r["chmod"]).toBe("Permission denied");
          expect(two.stderr).toContain("SRT310");
          expect(two.stderr).toContain(`${b.work}/locked cannot be listed`);
        }
        // People see the byte as \xff, never a raw byte or its U+FFFD stand-in.
        expect(two.stderr).not.toContain("\ufffd");

        const names = readdirSync(b.work, { encoding: "buffer" });
        // Nothing else was left, e.g. placeholders under a mangled (U+FFFD) spelling of the name.
        expect(names.filter((n) => !n.equals(oddName)).map((n) => n.toString("utf8"))).toEqual(["locked"]);
        expect(readFileSync(Buffer.concat([Buffer.from(`${b.work}/`), oddName, Buffer.from("/.npmrc")]), "utf8")).toBe(
          "original\n",
        );
      },
    );
  });
});
