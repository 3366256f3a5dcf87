/**
 * The shell commands run under (src/runtime/shell.ts): bash when there is one, else sh, or the
 * one --shell names, found by the host-tools rule (never PATH); and the launcher that gives argv
 * mode the shell's answers (127 not found, 126 not runnable) in srt's wording, run here under
 * every POSIX shell this machine has, outside any sandbox (test/linux/command-status.test.ts runs
 * it in one).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ToolFs, ToolFsEntry } from "../../src/runtime/host-tools.js";
import { chooseShell, launcherScript, shellArgv } from "../../src/runtime/shell.js";
import { tempDir } from "../support/temp.js";

/** Root-owned system directories holding exactly `files` (each root-owned, mode 0755 unless given). */
function systemWith(files: Readonly<Record<string, Partial<ToolFsEntry>>>): ToolFs {
  const dirs = new Set([
    "/",
    "/usr",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/bin",
    "/sbin",
  ]);
  return {
    lstat(path) {
      if (dirs.has(path)) return { kind: "dir", uid: 0, mode: 0o755 };
      const f = files[path];
      return f === undefined ? undefined : { kind: "file", uid: 0, mode: 0o755, ...f };
    },
    readlink: () => undefined,
  };
}

describe("which shell", () => {
  it("bash when the system directories have one, else sh; PATH is never read", () => {
    const both = chooseShell(undefined, systemWith({ "/usr/bin/bash": {}, "/bin/sh": {} }));
    expect(both).toMatchObject({ ok: true, shell: { path: "/usr/bin/bash" } });
    const shOnly = chooseShell(undefined, systemWith({ "/bin/sh": {} }));
    expect(shOnly).toMatchObject({ ok: true, shell: { path: "/bin/sh", why: expect.stringMatching(/no bash/) } });
  });

  it("a bash anyone may rewrite does not count: it is not the one to pick by default", () => {
    const r = chooseShell(undefined, systemWith({ "/usr/local/bin/bash": { mode: 0o777 }, "/bin/sh": {} }));
    expect(r).toMatchObject({ ok: true, shell: { path: "/bin/sh" } });
  });

  it("--shell NAME is looked up the same way; a missing one is an error, never another shell", () => {
    const fs = systemWith({ "/usr/bin/bash": {}, "/bin/sh": {}, "/usr/bin/zsh": {} });
    expect(chooseShell("sh", fs)).toMatchObject({ ok: true, shell: { path: "/bin/sh", why: "chosen with --shell" } });
    expect(chooseShell("zsh", fs)).toMatchObject({ ok: true, shell: { path: "/usr/bin/zsh" } });
    expect(chooseShell("fish", fs)).toEqual({
      ok: false,
      message: "--shell fish: not found in the system directories; give its absolute path",
    });
    expect(chooseShell("/opt/sh", fs)).toEqual({ ok: false, message: "--shell /opt/sh: no such file" });
    expect(chooseShell("bin/sh", fs)).toMatchObject({ ok: false, message: /a shell's name .* or an absolute path/ });
    expect(chooseShell(undefined, systemWith({}))).toMatchObject({ ok: false, message: /neither bash nor sh/ });
  });

  it("a -c string goes to the shell as it is; argv words only ever as positional parameters", () => {
    const sh = { path: "/bin/sh", bash: false };
    expect(shellArgv(sh, { kind: "string", script: "echo $HOME" })).toEqual(["/bin/sh", "-c", "echo $HOME"]);
    const words = ["printf", "%s", "$(id)", "a b"];
    expect(shellArgv({ path: "/usr/bin/bash", bash: true }, { kind: "argv", argv: words })).toEqual([
      "/usr/bin/bash",
      "--norc",
      "-c",
      launcherScript,
      "srt",
      ...words,
    ]);
  });
});

const shells = ["/bin/bash", "/bin/dash", "/bin/busybox"].filter((s) => existsSync(s));

describe.each(shells)("the launcher under %s", (shell) => {
  const dir = tempDir("srt-launch-");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const script = (path: string, body: string, mode = 0o755): void => {
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, mode);
  };
  script(join(bin, "hello"), 'printf "[%s]" "$0" "$@"');
  script(join(bin, "-dash"), 'printf "dash:[%s]" "$@"');
  script(join(bin, "plain"), "echo never", 0o644);
  script(join(dir, "local"), "echo never", 0o644);
  mkdirSync(join(dir, "adir"));
  // Debian's bash sources ~/.bashrc when its stdin is a socket (Node's piped stdio is one): --norc stops it.
  writeFileSync(join(dir, ".bashrc"), "echo bashrc ran >&2\n");
  const argv = shell.endsWith("busybox") ? [shell, "sh"] : shell.endsWith("bash") ? [shell, "--norc"] : [shell];
  const launch = (words: readonly string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(argv[0]!, [...argv.slice(1), "-c", launcherScript, "srt", ...words], {
      cwd: dir,
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, ...env },
      encoding: "utf8",
    });
    return { status: r.status, ...(r.signal === null ? {} : { signal: r.signal }), stdout: r.stdout, stderr: r.stderr };
  };

  it.each([
    [["nosuchcmd"], 127, "srt: nosuchcmd: command not found\n"],
    [[""], 127, "srt: : command not found\n"],
    [["plain"], 126, "srt: plain: Permission denied\n"],
    [["./local"], 126, "srt: ./local: Permission denied\n"],
    [["./adir"], 126, "srt: ./adir: Is a directory\n"],
    [["./missing"], 127, "srt: ./missing: No such file or directory\n"],
    [["-nosuch"], 127, "srt: -nosuch: command not found\n"],
  ])("%j: exit %d, %j", (words, status, stderr) => {
    expect(launch(words)).toEqual({ status, stdout: "", stderr });
  });

  it("runs the program with its words byte for byte, as itself (exec), with its exit status", () => {
    expect(launch(["hello", "a b", "$HOME", "", "*", "-c"])).toEqual({
      status: 0,
      stdout: `[${bin}/hello][a b][$HOME][][*][-c]`,
      stderr: "",
    });
    expect(launch(["sh", "-c", "exit 7"]).status).toBe(7);
    // exec: the program is the process; dying of a signal reaches the caller as that signal.
    expect(launch(["sh", "-c", 'kill -TERM "$$"'])).toMatchObject({ status: null, signal: "SIGTERM" });
    // A name that starts with "-" (after srt's --), which exec would read as its own option.
    expect(launch(["-dash", "x"]).stdout).toBe("dash:[x]");
  });

  it("a builtin with no program of that name runs as the builtin", () => {
    expect(launch(["exit", "5"]).status).toBe(5);
    expect(launch(["cd", "/"]).status).toBe(0);
  });

  it("leaves the command's environment as it was: its own variables do not reach the command", () => {
    const r = launch(["/usr/bin/env"], { __srt_rest: "mine" });
    expect(r.stdout).not.toMatch(/__srt_(dir|file|denied)/);
    expect(launch(["env"]).stdout).not.toMatch(/__srt_/);
  });
});
