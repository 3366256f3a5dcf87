/**
 * Read rules under real bwrap: denyRead of a file and of a directory,
 * allowRead carve-outs inside a denied directory, glob denies, and hundreds
 * of denied files in one directory (their start-up time: bench/many-denies.mjs).
 */
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  missingTestUser,
  read,
  report,
  runners,
  runnersFor,
  sh,
  skipReason,
  supported,
  useBox,
  writeSettings,
  boxesUnder,
  engines,
  missingRunc,
} from "./support.js";

/** Shell: `r PATH` prints PATH=<content> or PATH=<error text>. */
const R = `r() { if out=$(cat "$1" 2>&1); then echo "$1=$out"; else echo "$1=\${out##*: }"; fi; }\n`;
const EACCES = "Permission denied";
const ENOENT = "No such file or directory";

const secrets = {
  "home/.ssh/id_rsa": "PRIVATE",
  "home/.ssh/config": "Host x",
  "home/.ssh/known_hosts": "kh",
  "home/.aws/credentials": "AKIA",
  "home/notes.txt": "notes",
  "work/token.txt": "TOKEN",
  "work/readme.txt": "readme",
};

describe.skipIf(lacking(!supported, skipReason))("reads under real bwrap", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (missingRunc) unavailable("under runc (srt --runtime runc): runc is not installed (apt-get install runc)");

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      it.concurrent(
        "denyRead of a file and of a directory; allowRead re-opens one file inside; everything else stays readable",
        async (ctx) => {
          const b = useBox(ctx, runner, secrets);
          writeSettings(b, {
            filesystem: { denyRead: ["~/.ssh", "~/.aws", "token.txt"], allowRead: ["~/.ssh/config"] },
          });
          const h = b.home;
          const out = await sh(
            b,
            `${R}r ${h}/.ssh/id_rsa; r ${h}/.ssh/known_hosts; r ${h}/.ssh/config; r ${h}/.aws/credentials; r token.txt; r readme.txt; r ${h}/notes.txt
          echo ls_aws=$(ls -A ${h}/.aws | tr '\\n' ' '); echo ls_ssh=$(ls -A ${h}/.ssh | tr '\\n' ' ')
          echo grep=$(grep -rl AKIA ${h} 2>/dev/null | wc -l)
          chmod 644 token.txt 2>/dev/null; r token.txt
          echo x > ${h}/.aws/new 2>/dev/null && echo aws_write=ok || echo aws_write=refused`,
          );
          const r = report(out);
          expect(r).toMatchObject({
            [`${h}/.ssh/id_rsa`]: ENOENT,
            [`${h}/.ssh/known_hosts`]: ENOENT,
            [`${h}/.ssh/config`]: "Host x",
            [`${h}/.aws/credentials`]: ENOENT,
            "token.txt": EACCES,
            "readme.txt": "readme",
            [`${h}/notes.txt`]: "notes",
            ls_aws: "",
            grep: "0",
            aws_write: "refused",
          });
          // The carve-out is the only entry of the masked directory.
          expect(r["ls_ssh"]?.trim()).toBe("config");
          expect(read(b.at("home/.aws/new"))).toBeUndefined();
          expect(read(b.at("work/token.txt"))).toBe("TOKEN");
        },
      );

      it.concurrent("glob denies: **/*.pem at any depth and dir/*.key in one directory only", async (ctx) => {
        const b = useBox(ctx, runner, {
          "work/a.pem": "PEM0",
          "work/certs/b.pem": "PEM1",
          "work/deep/x/y/c.pem": "PEM2",
          "work/deep/x/y/c.pem.txt": "not a pem",
          "work/keys/a.key": "KEY",
          "work/keys/.hidden.key": "HKEY",
          "work/keys/a.pub": "PUB",
          "work/keys/sub/b.key": "SUBKEY",
        });
        writeSettings(b, { filesystem: { denyRead: ["**/*.pem", "keys/*.key"] } });
        const files = [
          "a.pem",
          "certs/b.pem",
          "deep/x/y/c.pem",
          "deep/x/y/c.pem.txt",
          "keys/a.key",
          "keys/.hidden.key",
          "keys/a.pub",
          "keys/sub/b.key",
        ];
        const r = report(await sh(b, R + files.map((f) => `r ${f}`).join("\n")));
        // A file mask answers EACCES; a directory whose every entry matched is masked whole (ENOENT inside).
        const seen = Object.fromEntries(
          Object.entries(r).map(([k, v]) => [k, v === EACCES || v === ENOENT ? "denied" : v]),
        );
        expect(seen).toEqual({
          "a.pem": "denied",
          "certs/b.pem": "denied",
          "deep/x/y/c.pem": "denied",
          "deep/x/y/c.pem.txt": "not a pem",
          "keys/a.key": "denied",
          "keys/.hidden.key": "denied",
          "keys/a.pub": "PUB",
          "keys/sub/b.key": "SUBKEY",
        });
        expect(r["deep/x/y/c.pem"]).toBe(EACCES);
      });

      it.concurrent("a deny of dir/* also covers files created in dir after the policy was compiled", async (ctx) => {
        const b = useBox(ctx, runner, { "work/locked/a.txt": "v1", "work/open/b.txt": "v1" });
        writeSettings(b, { filesystem: { denyWrite: ["locked/*"], denyRead: ["../outside/*"] } });
        const r = report(
          await sh(
            b,
            `echo x > locked/new.txt 2>/dev/null && echo new=written || echo new=refused; echo x > open/new.txt && echo open=written; echo x > locked/a.txt 2>/dev/null && echo old=written || echo old=refused`,
          ),
        );
        expect(r).toEqual({ new: "refused", open: "written", old: "refused" });
        expect(read(b.at("work/locked/new.txt"))).toBeUndefined();
        expect(read(b.at("work/locked/a.txt"))).toBe("v1");
      });
    });
  });

  // Sequential and measured in one place, so the two timings see the same machine load.
  // How fast these start is measured by bench/many-denies.mjs (a timed assertion does not belong in a test).
  describe.each(runners)("500 denied files in one directory, as %s", (runner) => {
    const N = 500;
    const layout = (): Record<string, string> =>
      Object.fromEntries(Array.from({ length: N }, (_, i) => [`work/many/f${i}.txt`, `s${i}`]));

    it("denyWrite many/* and denyRead many/* hold", async (ctx) => {
      const b = useBox(ctx, runner, layout());
      writeSettings(b, { filesystem: { denyWrite: ["many/*"] } });
      const w = report(
        await sh(
          b,
          "echo x >> many/f499.txt 2>/dev/null && echo w=written || echo w=refused; echo ok=$(cat many/f7.txt)",
        ),
      );
      writeSettings(b, { filesystem: { denyRead: ["many/*"] } });
      const rd = report(await sh(b, "cat many/f499.txt 2>/dev/null && echo r=read || echo r=refused"));
      expect(w).toEqual({ w: "refused", ok: "s7" });
      expect(rd).toEqual({ r: "refused" });
      expect(read(b.at("work/many/f499.txt"))).toBe("s499");
    });

    // Named files cannot be collapsed (the plan does not know they are all of the directory): one bind each.
    it(`denyRead of ${N} files named one by one holds`, async (ctx) => {
      const b = useBox(ctx, runner, layout());
      writeSettings(b, { filesystem: { denyRead: Array.from({ length: N }, (_, i) => `many/f${i}.txt`) } });
      const check = await sh(b, "cat many/f123.txt 2>/dev/null && echo r=read || echo r=refused");
      expect(report(check), check.stderr).toEqual({ r: "refused" });
    });
  });
});
