/**
 * What a command could still do to an always-protected file deeper than srt's search (bwrap does
 * not bind it read-only; only the supervisor guards it) besides opening it for writing: make a
 * hook executable (chmod, fchmodat, fchmod on a read-only fd, chmod through a link), hard-link it
 * to a name it may write, remove it or move it away (a nested repository's commondir or config
 * gone changes which config and hooks git uses there). And a FIFO opened for writing before its
 * reader exists, which must neither fail nor hold every other trapped call of the sandbox while it
 * waits. Real bwrap, root and srt-test.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, skipReason, srt, supported, useBox, writeSettings, type Box } from "./support.js";

const deep = "a/b/c/d/e/f";
const git = `${deep}/.git`;

async function run(b: Box, script: string): Promise<{ stdout: string; lines: Record<string, string>[] }> {
  const file = join(b.outside, "violations.jsonl");
  const out = await srt(b, ["--settings", b.settings, "--violations", file, "-c", script], { timeoutMs: 60_000 });
  expect(out.status, out.stderr).toBe(0);
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, string>);
  return { stdout: out.stdout, lines };
}

/** python3 -c: openat2(AT_FDCWD, "f2", O_RDONLY) (ctypes; no RESOLVE_* flags), prints what it read. */
const OPENAT2_READ = [
  "import ctypes, os",
  "libc = ctypes.CDLL(None, use_errno=True)",
  "how = (ctypes.c_uint64 * 3)(os.O_RDONLY, 0, 0)",
  "fd = libc.syscall(437, -100, b'f2', ctypes.byref(how), 24)",
  "print('read', os.read(fd, 100).decode().strip())",
].join("; ");

const mode = (b: Box, p: string): number => statSync(join(b.work, p)).mode & 0o777;

describe.skipIf(lacking(!supported, skipReason))("the supervisor and deep protected files", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    it.concurrent(
      "a deep hook is not made executable, linked, removed or moved away; ordinary files are",
      async (ctx) => {
        const hook = "#!/bin/sh\necho hook\n";
        const b = useBox(ctx, runner, {
          [`work/${git}/HEAD`]: "ref: refs/heads/main\n",
          [`work/${git}/config`]: "[core]\n",
          [`work/${git}/commondir`]: ".\n",
          [`work/${git}/hooks/pre-commit`]: hook,
          [`work/${git}/hooks/pre-push`]: hook,
          [`work/${git}/hooks/post-checkout`]: hook,
          [`work/${git}/hooks/pre-merge-commit`]: hook,
          [`work/${deep}/.npmrc`]: "orig",
          "work/plain.sh": "#!/bin/sh\n",
          "work/gone.txt": "",
        });
        writeSettings(b, { mandatoryDenySearchDepth: 1 });
        const { stdout, lines } = await run(
          b,
          [
            `chmod +x ${git}/hooks/pre-commit; echo chmod=$?`,
            `python3 -c "import os; os.chmod('${git}/hooks/pre-push', 0o755)"; echo fchmodat=$?`,
            `python3 -c "import os; os.fchmod(os.open('${git}/hooks/post-checkout', os.O_RDONLY), 0o755)"; echo fchmod=$?`,
            `ln -s ${git}/hooks/pre-merge-commit lnk && chmod 755 lnk; echo chmod-link=$?`,
            `ln ${deep}/.npmrc hard; echo link=$?`,
            `python3 -c "import os; os.link('${deep}/.npmrc', 'hard2', follow_symlinks=True)"; echo linkat=$?`,
            `rm -f ${git}/config; echo unlink=$?`,
            `mv ${git} ${deep}/g; echo rename-gitdir=$?`,
            "mkdir -p n/g/hooks && mv n/g n/.git; echo rename-to-gitdir=$?",
            "mkdir -p n/h/objects && mv n/h n/.git; echo rename-plain-to-gitdir=$?",
            `mv ${git}/commondir cd2; echo rename=$?`,
            "chmod 755 plain.sh; echo plain-chmod=$?",
            "ln plain.sh plain2 && rm plain2 && mv gone.txt moved.txt; echo plain-rest=$?",
            `chmod 600 ${git}/hooks/pre-commit; echo chmod-off=$?`,
          ].join("\n"),
        );
        for (const k of [
          "chmod",
          "fchmodat",
          "fchmod",
          "chmod-link",
          "link",
          "linkat",
          "unlink",
          "rename",
          "rename-gitdir",
          "rename-to-gitdir",
        ])
          expect(stdout).toMatch(new RegExp(`^${k}=[1-9]`, "m"));
        for (const k of ["plain-chmod", "plain-rest", "chmod-off", "rename-plain-to-gitdir"])
          expect(stdout).toContain(`${k}=0`);
        for (const h of ["pre-push", "post-checkout", "pre-merge-commit"])
          expect(mode(b, `${git}/hooks/${h}`) & 0o111, h).toBe(0);
        expect(mode(b, `${git}/hooks/pre-commit`)).toBe(0o600); // taking a bit away changes nothing git runs
        expect(statSync(join(b.work, deep, ".npmrc")).nlink).toBe(1);
        expect(readFileSync(join(b.work, git, "config"), "utf8")).toBe("[core]\n");
        expect(readFileSync(join(b.work, git, "commondir"), "utf8")).toBe(".\n");
        expect(statSync(join(b.work, git, "hooks")).isDirectory()).toBe(true);
        expect(statSync(join(b.work, "n/g/hooks")).isDirectory()).toBe(true);
        expect(mode(b, "plain.sh")).toBe(0o755);
        expect(statSync(join(b.work, "moved.txt")).isFile()).toBe(true);
        for (const [op, path] of [
          ["chmod", `${git}/hooks/pre-commit`],
          ["link", `${deep}/.npmrc`],
          ["unlink", `${git}/config`],
          ["rename", `${git}/commondir`],
        ] as const)
          expect(
            lines.find((l) => l["path"] === join(b.work, path) && l["operation"] === op),
            `${op} ${path}`,
          ).toMatchObject({ errno: "EACCES" });
      },
      90_000,
    );

    it.concurrent(
      "a FIFO opened for writing waits for its reader without holding another process's trapped call",
      async (ctx) => {
        const b = useBox(ctx, runner, {});
        writeSettings(b, {});
        const { stdout } = await run(
          b,
          [
            "mkfifo ff",
            // The writer waits in its open (trapped: O_WRONLY) until `cat` opens the other end.
            `python3 -c "import os; fd = os.open('ff', os.O_WRONLY | os.O_NOFOLLOW); os.write(fd, b'through-fifo'); os.close(fd)" &`,
            "sleep 0.5",
            // Another process's trapped call (a creating open) meanwhile.
            "timeout 5 sh -c 'echo x > other.txt'; echo other=$?",
            "timeout 5 cat ff; echo; echo cat=$?",
            "wait $!; echo writer=$?",
            // A reader through openat2 (always trapped) waits for its writer the same way.
            "mkfifo f2",
            `python3 -c "${OPENAT2_READ}" &`,
            "sleep 0.5",
            "timeout 5 sh -c 'echo y > other2.txt'; echo other2=$?",
            "echo via-openat2 > f2",
            "wait $!; echo reader=$?",
            // The same through the caller's own /proc/self/fd link to the FIFO (a magic link).
            "mkfifo f4",
            `python3 -c "import os; p = os.open('f4', os.O_PATH); fd = os.open('/proc/self/fd/%d' % p, os.O_WRONLY); os.write(fd, b'via-proc')" &`,
            "sleep 0.5",
            "timeout 5 cat f4; echo; echo cat4=$?",
            "wait $!; echo writer4=$?",
            // A writer killed while it waits: its worker gives up, later calls go on.
            "mkfifo f3",
            `timeout 1 python3 -c "import os; os.open('f3', os.O_WRONLY)"; echo killed=$?`,
            "timeout 5 sh -c 'echo z > other3.txt'; echo other3=$?",
            // No reader and O_NONBLOCK: ENXIO at once, as the kernel answers.
            `python3 -c "import os; os.open('ff', os.O_WRONLY | os.O_NONBLOCK)" 2>&1 | grep -o "No such device or address"`,
          ].join("\n"),
        );
        for (const k of ["other=0", "other2=0", "other3=0", "reader=0", "killed=124", "cat4=0", "writer4=0"])
          expect(stdout).toContain(k);
        expect(stdout).toContain("via-proc");
        expect(stdout).toContain("read via-openat2");
        expect(stdout).toContain("through-fifo");
        expect(stdout).toContain("cat=0");
        expect(stdout).toContain("writer=0");
        expect(stdout).toContain("No such device or address");
        expect(readFileSync(join(b.work, "other.txt"), "utf8")).toBe("x\n");
      },
      90_000,
    );
  });
});
