/**
 * A read mask inside a writable root is a mount on the denied path, and a
 * mount moves with its directory: renaming a parent carries the mask along in
 * this run, but the next run compiles the policy for a path that no longer
 * exists and masks nothing — it reads the secret at its new name. The parents
 * are pinned (bound onto themselves), so renaming them fails with EBUSY.
 */
import { describe, expect, it } from "vitest";
import { missingTestUser, read, report, runners, sh, supported, tree, useBox, skipReason } from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

/** Shell: `t NAME cmd…` runs cmd and prints NAME=ok or NAME=<error text of its last line>. */
const T = `t() { n=$1; shift; if err=$( ("$@") 2>&1 ); then echo "$n=ok"; else err=$(printf '%s' "$err" | tail -n1); echo "$n=\${err##*: }"; fi; }\n`;
const EBUSY = "Device or resource busy";

describe.skipIf(lacking(!supported, skipReason))("a read-denied file cannot be moved out of its mask", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "renaming the parents of a masked file fails (EBUSY); a later run reads the secret nowhere",
      async (ctx) => {
        const b = useBox(
          ctx,
          runner,
          { "work/a/b/secret": "SECRET-42", "work/a/b/notes.txt": "v1", "work/a/other.txt": "v1" },
          { filesystem: { denyRead: ["a/b/secret"] } },
        );
        const first = report(
          await sh(
            b,
            [
              T,
              "t mv_a mv a a2",
              "t mv_b mv a/b a/b2",
              "t mv_secret mv a/b/secret a/b/moved",
              // The rest of the tree stays usable.
              "t edit sh -c 'echo v2 > a/b/notes.txt && echo v2 > a/other.txt'",
              "t new_dir sh -c 'mkdir a/c && mv a/c a/d'",
            ].join("\n"),
          ),
        );
        // Whatever the first run managed to move, the second must not find the secret under any name.
        const second = await sh(b, "echo found=$(grep -rl SECRET-42 . 2>/dev/null | sort | tr '\\n' ' ')");
        expect(report(second)).toEqual({ found: "" });
        expect(first).toMatchObject({ mv_a: EBUSY, mv_b: EBUSY, mv_secret: EBUSY, edit: "ok", new_dir: "ok" });
        expect(read(b.at("work/a/b/secret"))).toBe("SECRET-42");
        expect(tree(b.work).filter((p) => /a2|b2|moved/.test(p))).toEqual([]);
      },
    );
  });
});
