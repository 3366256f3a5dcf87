/**
 * Getting around a write-protected path instead of writing it: renaming a
 * parent away and recreating the path, hard links, deleting or replacing the
 * file, a nested user namespace to undo the mounts, and a second concurrent
 * run in the same directory. Each attempt is checked on the host afterwards.
 */
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  type Box,
  boxesUnder,
  engines,
  missingTestUser,
  printed,
  read,
  report,
  runnersFor,
  runtimeArgs,
  sh,
  skipReason,
  startSrt,
  supported,
  tree,
  writeSettings,
} from "./support.js";

/** Shell: waits until the test creates outside/NAME in the box (the host side of a barrier). */
const waitFor = (b: Box, name: string): string => `while [ ! -e ${b.at(`outside/${name}`)} ]; do sleep 0.02; done`;

/** Shell: `t NAME cmd…` runs cmd and prints NAME=ok or NAME=<error text of its last line>. */
const T = `t() { n=$1; shift; if err=$( ("$@") 2>&1 ); then echo "$n=ok"; else err=$(printf '%s' "$err" | tail -n1); echo "$n=\${err##*: }"; fi; }\n`;
const EBUSY = "Device or resource busy";
/** srt's supervisor refuses a new name at a write-protected path before any mount is reached. */
const EACCES = "Permission denied";

const gitLayout = {
  "work/sub/.git/config": "[core]\n\tbare = false\n",
  "work/sub/.git/hooks/pre-commit": "#!/bin/sh\nexit 0\n",
  "work/sub/.git/HEAD": "ref: refs/heads/main\n",
  "work/a/b/c/.npmrc": "# rc v1\n",
  "work/a/b/c/notes.txt": "v1",
};

describe.skipIf(lacking(!supported, skipReason))("protected paths cannot be sidestepped", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it.concurrent(
        "renaming a parent of a protected path fails (pinned, EBUSY); the path cannot be recreated",
        async (ctx) => {
          const b = useBox(ctx, runner, gitLayout);
          const script = [
            T,
            "t mv_a mv a a.old",
            "t mv_abc mv a/b/c a/b/c.old",
            "t mv_git mv sub/.git sub/.git.old",
            "t mv_sub mv sub sub.old",
            "t rm_git rm -rf sub/.git",
            // Had any rename worked, these would create the protected paths afresh.
            "t recreate_hook sh -c 'mkdir -p sub/.git/hooks && echo evil > sub/.git/hooks/pre-commit'",
            "t recreate_rc sh -c 'mkdir -p a/b/c && echo evil > a/b/c/.npmrc'",
            // The unprotected parts stay usable.
            "t edit_notes sh -c 'echo v2 > a/b/c/notes.txt'",
            "t new_dir sh -c 'mkdir -p a/b/x && mv a/b/x a/b/y'",
          ].join("\n");
          const r = report(await sh(b, script));
          expect(r).toMatchObject({
            mv_a: EBUSY,
            mv_abc: EBUSY,
            // sub/.git holds git-directory names: srt's supervisor refuses the move before the kernel
            // would (EBUSY, a pinned mount point), so the command sees EACCES and the refusal is reported.
            mv_git: EACCES,
            mv_sub: EBUSY,
            recreate_hook: EACCES,
            recreate_rc: EACCES,
            edit_notes: "ok",
            new_dir: "ok",
          });
          expect(r["rm_git"]).not.toBe("ok");
          // .git itself is writable (HEAD, objects, refs); only hooks and config are protected.
          for (const rel of ["work/sub/.git/config", "work/sub/.git/hooks/pre-commit", "work/a/b/c/.npmrc"])
            expect(read(b.at(rel)), rel).toBe(gitLayout[rel as keyof typeof gitLayout]);
          expect(read(b.at("work/a/b/c/notes.txt"))).toBe("v2\n");
          expect(tree(b.work).filter((p) => p.includes(".old"))).toEqual([]);
        },
      );

      it.concurrent("a hard link to a protected file fails; deleting or replacing it fails", async (ctx) => {
        const b = useBox(ctx, runner, { ...gitLayout, "work/.npmrc": "registry=v1\n", "work/plain.txt": "v1" });
        const script = [
          T,
          "t link_rc ln a/b/c/.npmrc rc-link",
          "t link_cfg ln sub/.git/config cfg-link",
          "t rm_rc rm -f a/b/c/.npmrc",
          "t rm_npmrc rm -f .npmrc",
          "t replace_npmrc sh -c 'echo evil > npmrc.new && mv -f npmrc.new .npmrc'",
          "t rename_npmrc mv .npmrc npmrc.moved",
          "t cp_over sh -c 'echo evil > x && cp x sub/.git/config'",
          // The control: a hard link to an unprotected file in the same mount works.
          "t link_plain ln plain.txt plain-link",
        ].join("\n");
        const r = report(await sh(b, script));
        // srt's supervisor checks links, removals and renames of protected names at any depth and
        // refuses them first (EACCES, reported); without it the read-only binds still refuse them
        // (EXDEV for the links, EBUSY for the mount points).
        expect(r).toMatchObject({
          link_rc: EACCES,
          link_cfg: EACCES,
          rm_rc: EACCES,
          rm_npmrc: EACCES,
          replace_npmrc: EACCES,
          rename_npmrc: EACCES,
          link_plain: "ok",
        });
        expect(r["cp_over"]).not.toBe("ok");
        expect(read(b.at("work/.npmrc"))).toBe("registry=v1\n");
        expect(read(b.at("work/a/b/c/.npmrc"))).toBe("# rc v1\n");
        expect(read(b.at("work/sub/.git/config"))).toBe(gitLayout["work/sub/.git/config"]);
        expect(read(b.at("work/rc-link"))).toBeUndefined();
        expect(read(b.at("work/cfg-link"))).toBeUndefined();
        expect(read(b.at("work/npmrc.moved"))).toBeUndefined();
        expect(read(b.at("work/plain-link"))).toBe("v1");
      });

      it.concurrent(
        "a nested user namespace (unshare -Ur) is refused, so mounts cannot be undone to rewrite .git/config",
        async (ctx) => {
          const b = useBox(ctx, runner, gitLayout);
          const escape = "umount sub/.git/config; echo evil > sub/.git/config";
          const script = [
            T,
            `t unshare_ur unshare -Ur sh -c '${escape}'`,
            `t unshare_rm unshare -Urm sh -c '${escape}'`,
            `t unshare_m unshare -m sh -c '${escape}'`,
            "t umount umount sub/.git/config",
            // Raw unshare(CLONE_NEWUSER), not through util-linux.
            `t python_unshare /usr/bin/python3 -c "import ctypes, os; l = ctypes.CDLL(None, use_errno=True); rc = l.unshare(0x10000000); rc == 0 or exit(os.strerror(ctypes.get_errno()))"`,
          ].join("\n");
          const r = report(await sh(b, script));
          expect(r["unshare_ur"]).toBe("Operation not permitted");
          expect(r["unshare_rm"]).toBe("Operation not permitted");
          expect(r["unshare_m"]).toBe("Operation not permitted");
          expect(r["umount"]).not.toBe("ok");
          expect(r["python_unshare"]).toBe("Operation not permitted");
          expect(read(b.at("work/sub/.git/config"))).toBe(gitLayout["work/sub/.git/config"]);
        },
      );

      it.concurrent(
        "with allowNestedUserNamespaces the namespace is created, yet the mounts stay and .git/config is unchanged",
        async (ctx) => {
          const b = useBox(ctx, runner, gitLayout);
          writeSettings(b, { allowNestedUserNamespaces: true });
          // -U without -r: as root the kernel refuses to map uid 0 without CAP_SETFCAP (Linux 5.12+), srt-test may map itself.
          const escape = "umount sub/.git/config; mount --bind /dev/null sub/.git/config; echo evil > sub/.git/config";
          const script = [
            T,
            "t userns unshare -U true",
            `t escape_u unshare -Um sh -c '${escape}'`,
            `t escape_ur unshare -Urm sh -c '${escape}'`,
            "t write_plain unshare -U sh -c 'echo v2 > a/b/c/notes.txt'",
          ].join("\n");
          const r = report(await sh(b, script));
          expect(r["userns"]).toBe("ok");
          expect(r["escape_u"]).not.toBe("ok");
          expect(r["escape_ur"]).not.toBe("ok");
          expect(r["write_plain"]).toBe("ok");
          expect(read(b.at("work/sub/.git/config"))).toBe(gitLayout["work/sub/.git/config"]);
          expect(read(b.at("work/a/b/c/notes.txt"))).toBe("v2\n");
        },
      );

      it.concurrent(
        "a run compiled while another run's placeholders existed stays protected after that run removed them",
        async (ctx) => {
          // The second run sees .yarnrc & co. as existing files (no placeholders of its own) and binds them;
          // had the first run unlinked them, the kernel would detach those mounts and .yarnrc become creatable.
          const b = useBox(ctx, runner, { "work/readme": "v1" });
          const before = tree(b.work);
          const first = startSrt(b, [
            ...runtimeArgs(b),
            "--settings",
            b.settings,
            "-c",
            `echo ready; ${waitFor(b, "first")}`,
          ]);
          await printed(first, "ready\n");
          const late = startSrt(b, [
            ...runtimeArgs(b),
            "--settings",
            b.settings,
            "-c",
            `${T}echo ready; ${waitFor(b, "second")}; t late_rc sh -c 'echo evil >> .yarnrc'; t late_npmrc sh -c 'echo evil > .npmrc'; t late_ok sh -c 'echo v2 > readme'`,
          ]);
          await printed(late, "ready\n");
          // The second run is inside its sandbox, compiled while the first one's placeholders existed; end the first.
          writeFileSync(b.at("outside/first"), "");
          expect((await first.done).status).toBe(0);
          writeFileSync(b.at("outside/second"), "");
          const second = await late.done;
          const r = report(second);
          expect(second.status, second.stderr).toBe(0);
          expect(r["late_rc"]).not.toBe("ok");
          expect(r["late_npmrc"]).not.toBe("ok");
          expect(r["late_ok"]).toBe("ok");
          expect(read(b.at("work/.yarnrc"))).toBeUndefined();
          expect(tree(b.work)).toEqual(before);
        },
      );

      it.concurrent(
        "a run that ends first does not remove placeholders a concurrent run in the same directory still relies on",
        async (ctx) => {
          const b = useBox(ctx, runner, { "work/readme": "v1" });
          const before = tree(b.work);
          const long = startSrt(b, [
            ...runtimeArgs(b),
            "--settings",
            b.settings,
            "-c",
            `${T}echo ready; ${waitFor(b, "long")}; t late_rc sh -c 'echo evil >> .yarnrc'; t late_mcp sh -c 'echo evil > .mcp.json'; t late_ok sh -c 'echo v2 > readme'`,
          ]);
          await printed(long, "ready\n");
          // The long run is inside its sandbox; a short one starts and ends before it goes on.
          const short = await sh(b, "true");
          expect(short.status).toBe(0);
          writeFileSync(b.at("outside/long"), "");
          const out = await long.done;
          const r = report(out);
          expect(r["late_rc"]).not.toBe("ok");
          expect(r["late_mcp"]).not.toBe("ok");
          expect(r["late_ok"]).toBe("ok");
          expect(read(b.at("work/.yarnrc"))).toBeUndefined();
          expect(read(b.at("work/.mcp.json"))).toBeUndefined();
          expect(tree(b.work)).toEqual(before);
        },
      );
    });
  });
});
