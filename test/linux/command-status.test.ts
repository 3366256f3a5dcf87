/**
 * A command that cannot run answers as a shell would, in the real sandbox: exit 127 and
 * `srt: foo: command not found` for a missing command, 126 and `srt: foo: Permission denied` for
 * one that cannot be executed — never bwrap's `execvp` message and status 1, which a script cannot
 * tell from the command's own failure. As root and as srt-test, without and with network access
 * (the bridge holds the command until it listens), and through `srt exec`. Commands run under bash
 * when the machine has it (`srt -c`) or the shell --shell names, without the user's ~/.bashrc.
 */
import { existsSync, mkdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, srt, supported, useBox, writeSettings, skipReason, type Box } from "./support.js";
import { networkSkipReason, networkSupported } from "../network/support.js";

const policies = {
  "no network": { filesystem: { allowWrite: ["."] } },
  network: { filesystem: { allowWrite: ["."] }, network: { allowedDomains: ["example.com"] } },
} as const;

const bash = ["/usr/bin/bash", "/bin/bash"].find((p) => existsSync(p));

/** The ways to run a command: the run mode, and srt exec on a plan compiled outside the writable cwd. */
async function runBoth(b: Box, words: readonly string[]) {
  const direct = await srt(b, ["--settings", b.settings, "--", ...words]);
  const compiled = await srt(b, ["compile", "--target", "linux", b.settings, "-o", b.at("plan.json")]);
  expect(compiled.status, compiled.stderr).toBe(0);
  const exec = await srt(b, ["exec", b.at("plan.json"), "--", ...words]);
  return { direct, exec };
}

describe.skipIf(lacking(!supported, skipReason))("a command that cannot run", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (!networkSupported) unavailable(`with network access: ${networkSkipReason}`);

  const kinds = networkSupported ? (["no network", "network"] as const) : (["no network"] as const);
  describe.each(runners)("as %s", (runner) => {
    describe.each(kinds)("%s", (kind) => {
      it.concurrent("not found: 127, `srt: NAME: command not found`", async (ctx) => {
        const b = useBox(ctx, runner, { "work/plain": "echo never\n" }, policies[kind]);
        for (const [words, status, line] of [
          [["nosuchcommand", "arg"], 127, "srt: nosuchcommand: command not found\n"],
          [["./missing"], 127, "srt: ./missing: No such file or directory\n"],
          [["./plain"], 126, "srt: ./plain: Permission denied\n"],
          [["/etc"], 126, "srt: /etc: Is a directory\n"],
        ] as const) {
          const { direct, exec } = await runBoth(b, words);
          for (const r of [direct, exec]) {
            expect(r.status, r.stderr).toBe(status);
            expect(r.stderr).toBe(line);
            expect(r.stdout).toBe("");
          }
        }
      });

      it.concurrent("a program that runs keeps its own status and words", async (ctx) => {
        const b = useBox(ctx, runner, {}, policies[kind]);
        const { direct, exec } = await runBoth(b, ["sh", "-c", 'printf "[%s]" "$@"; exit 3', "x", "a b", "$HOME"]);
        for (const r of [direct, exec]) {
          expect(r.status, r.stderr).toBe(3);
          expect(r.stdout).toBe("[a b][$HOME]");
        }
      });
    });

    it.concurrent("-c runs under bash when there is one (else sh), without ~/.bashrc; --shell chooses", async (ctx) => {
      const b = useBox(ctx, runner, { "home/.bashrc": "echo bashrc-ran\n" });
      writeSettings(b, policies["no network"]);
      mkdirSync(b.at("work/d"), { recursive: true });
      const dflt = await srt(b, ["-s", b.settings, "-c", 'echo "$0:${BASH_VERSION:+bash}"']);
      expect(dflt.status, dflt.stderr).toBe(0);
      expect(dflt.stdout).toBe(bash ? `${bash}:bash\n` : "/usr/bin/sh:\n");
      const sh = await srt(b, ["-s", b.settings, "--shell", "sh", "-c", 'echo "${BASH_VERSION:-no bash}"']);
      expect(sh.stdout).toBe("no bash\n");
      const missing = await srt(b, ["-s", b.settings, "--shell", "nosuchshell", "-c", "true"]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/^srt: error SRT520: --shell nosuchshell: not found/);
    });
  });
});
