/**
 * A command given as words is looked up and run by srt's supervisor itself when bash would only
 * have exec'd it (native/srt-supervise/launch.c): the command must not be able to tell. In the
 * real sandbox, as root and as srt-test: what it runs, with which argv[0], status and message,
 * and the environment it gets, compared with the launcher script run by bash on the same words,
 * for environments bash rewrites; and what still needs the shell
 * (builtins, a script without "#!") still gets it. (A PATH entry bash's exec takes that the
 * launcher's lookup skips, a FIFO with execute bits, also goes to the shell; bash hangs opening
 * it, before and after this.) test/linux/command-status.test.ts covers the 126/127 answers.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { launcherScript } from "../../src/runtime/shell.js";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, PATH, runners, srt, supported, useBox, skipReason, type Box } from "./support.js";

/** The launcher itself, under bash, on the same words: what the command got before the supervisor launched it. */
const viaLauncher = `set -- /usr/bin/env\n${launcherScript}`;
const bash = ["/usr/bin/bash", "/bin/bash"].find((p) => existsSync(p));
const policy = { filesystem: { allowWrite: ["."] } };

/** The command's environment, sorted, with the run's own directory names made equal. */
const envOf = (text: string): string[] =>
  text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.replace(/\/runs\/[0-9a-f]+\//, "/runs/RUN/"))
    .sort();

function put(b: Box, rel: string, text: string, mode: number): void {
  writeFileSync(b.at(rel), text);
  chmodSync(b.at(rel), mode);
  if (b.runner === "srt-test") chownSync(b.at(rel), b.uid, b.gid);
}

async function run(b: Box, words: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return srt(b, ["--settings", b.settings, "--", ...words], { env });
}

describe.skipIf(lacking(!supported || bash === undefined, skipReason))("the supervisor's own launch", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent("the environment is the one bash's exec gives, also where bash rewrites it", async (ctx) => {
      const b = useBox(ctx, runner, { "work/sub/.keep": "" }, policy);
      symlinkSync(b.at("work"), b.at("link"));
      for (const env of [
        {},
        { SHLVL: "5", OLDPWD: b.at("nowhere"), _: "/x/y" },
        { SHLVL: "998", OLDPWD: b.at("outside"), PWD: "/" },
        { SHLVL: "999", PWD: b.at("link") },
        { SHLVL: "05", PWD: "relative" },
        { SHLVL: "-1", PWD: b.at("work/sub/..") },
        { PS4: "+x ", OPTIND: "7", "BASH_FUNC_f%%": "() { :; }", "a-b": "1" },
      ]) {
        const direct = await run(b, ["/usr/bin/env"], env);
        const shell = await srt(b, ["--settings", b.settings, "-c", viaLauncher], { env });
        expect(direct.status, direct.stderr).toBe(0);
        expect(direct.stderr, JSON.stringify(env)).toBe(shell.stderr);
        expect(envOf(direct.stdout), JSON.stringify(env)).toEqual(envOf(shell.stdout));
      }
    });

    it.concurrent("words reach the program byte for byte, argv[0] as the launcher passes it", async (ctx) => {
      const b = useBox(ctx, runner, {}, policy);
      put(b, "work/-dash", '#!/bin/sh\nprintf "[%s]" "$0" "$@"\n', 0o755);
      put(b, "work/hello", '#!/bin/sh\nprintf "[%s]" "$0" "$@"\n', 0o755);
      const env = { PATH: `:${PATH}` };
      expect((await run(b, ["-dash", "a b", "$HOME"], env)).stdout).toBe(`[./-dash][a b][$HOME]`);
      expect((await run(b, ["hello", "", "*"], env)).stdout).toBe(`[./hello][][*]`);
      expect((await run(b, ["./hello", "x"])).stdout).toBe(`[./hello][x]`);
      expect((await run(b, ["sh", "-c", 'echo "$0"; exit 4'])).status).toBe(4);
      expect((await run(b, ["sh", "-c", 'echo "$0"'])).stdout).toBe("sh\n");
    });

    it.concurrent("what needs the shell still gets it", async (ctx) => {
      const b = useBox(ctx, runner, {}, policy);
      // No "#!": the kernel refuses it (ENOEXEC) and bash runs it as a script.
      put(b, "work/noshebang", 'echo "script ran: $1"\n', 0o755);
      expect(await run(b, ["./noshebang", "x"])).toMatchObject({ status: 0, stdout: "script ran: x\n" });
      // A builtin with no program of that name.
      expect((await run(b, ["exit", "5"])).status).toBe(5);
      expect(await run(b, ["cd", "/"])).toMatchObject({ status: 0, stderr: "" });
      // A non-executable file first, a program later: the program runs.
      mkdirSync(b.at("work/bin"));
      put(b, "work/bin/env", "not a program\n", 0o644);
      expect((await run(b, ["env"], { PATH: `${b.at("work/bin")}:${PATH}`, X: "1" })).stdout).toMatch(/^X=1$/m);
    });
  });
});
