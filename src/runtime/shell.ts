/**
 * The shell a sandboxed command runs under, and the argv bwrap is given for it.
 *
 * `srt -c STRING` and `srt [--] cmd args…` both run under a shell, as the reference tool
 * (@anthropic-ai/sandbox-runtime) does: bash when the machine has it, else sh; `--shell` picks
 * another. The shell runs *inside* the sandbox, so it is not a host tool in the trust sense; it is
 * still found by the host-tools rule (system directories, root-owned all the way, never PATH), so
 * that which shell runs does not depend on the caller's PATH and `srt explain` can name it.
 *
 * Argv mode never glues the command's words into shell text (house style 7): the words go in as
 * positional parameters of a fixed launcher script, which looks the command up the way a shell
 * does and then `exec`s it, so the command is the sandbox's process (signals, exit status) and
 * its words reach it byte for byte. What the launcher adds over bwrap's own execvp is the shell's
 * answer when the command cannot run: exit 127 with `srt: foo: command not found` (or `No such
 * file or directory` for a path), 126 with `srt: foo: Permission denied` (or `Is a directory`),
 * instead of `bwrap: execvp foo: …` and status 1, which scripts cannot tell from a failure of
 * the command itself. A shell builtin with no program of that name (`srt -- cd dir`) runs as the
 * builtin. Under bash, srt's supervisor does the launcher's lookup itself and leaves the shell out
 * when it would only have exec'd the command (launcherWordsAt, native/srt-supervise/launch.c).
 */
import { locateTool, nodeToolFs, type ToolFs } from "./host-tools.js";

export interface ChosenShell {
  /** What the sandbox runs (an absolute path). */
  readonly path: string;
  /** Why this one, for `srt explain` and -d. */
  readonly why: string;
  /**
   * bash gets --norc: Debian's bash sources ~/.bashrc even when not interactive if its stdin is a
   * socket (it takes that for sshd), and Node gives a child socketpairs for piped stdio: every
   * command an agent runs would run the user's rc file first (slow, noisy, and not what the
   * command asked for).
   */
  readonly bash: boolean;
}

export type ShellChoice =
  { readonly ok: true; readonly shell: ChosenShell } | { readonly ok: false; readonly message: string };

/**
 * The shell for `--shell SPEC` (a name looked up in the system directories, or an absolute path),
 * or bash when there is one, else sh. A shell that is asked for and missing is an error, never a
 * quiet fall-back to another shell (a script written for bash may misbehave under dash).
 */
export function chooseShell(spec: string | undefined, fs: ToolFs = nodeToolFs): ShellChoice {
  if (spec === undefined) {
    const bash = locateTool("bash", fs);
    if (bash.ok)
      return {
        ok: true,
        shell: { path: bash.tool.path, why: "the default: this machine has bash; --shell chooses another", bash: true },
      };
    const sh = locateTool("sh", fs);
    if (sh.ok)
      return {
        ok: true,
        shell: {
          path: sh.tool.path,
          why: "the default: this machine has no bash; --shell chooses another",
          bash: false,
        },
      };
    return {
      ok: false,
      message: "neither bash nor sh was found in the system directories; name a shell with --shell PATH",
    };
  }
  if (spec.startsWith("/")) {
    const e = fs.lstat(spec);
    if (e === undefined) return { ok: false, message: `--shell ${spec}: no such file` };
    return { ok: true, shell: { path: spec, why: "chosen with --shell", bash: isBash(spec) } };
  }
  if (spec === "" || spec.includes("/"))
    return {
      ok: false,
      message: `--shell takes a shell's name (bash, sh) or an absolute path, not ${JSON.stringify(spec)}`,
    };
  const found = locateTool(spec, fs);
  if (!found.ok)
    return {
      ok: false,
      message: `--shell ${spec}: not found in the system directories${found.rejected.length > 0 ? ` (ignored: ${found.rejected.join("; ")})` : ""}; give its absolute path`,
    };
  return {
    ok: true,
    shell: {
      path: found.tool.path,
      why: "chosen with --shell",
      bash: isBash(found.tool.path) || isBash(found.tool.real),
    },
  };
}

const isBash = (path: string): boolean => path.slice(path.lastIndexOf("/") + 1) === "bash";

/**
 * The launcher's text: POSIX sh, so it runs under bash, dash and busybox alike. It uses no
 * variables of its own but `__srt_*` (unset before the command runs, so a variable of that name in
 * the caller's environment is the only thing it can change) and changes no shell option.
 *   $1…  the command and its arguments, as the user gave them
 * A name without a slash is looked for in each PATH entry (an empty one is the working directory,
 * as for the shell); the first executable regular file wins and `exec` runs it (`exec` searches
 * PATH the same way; a name starting with "-" is run by the path found, which `exec` cannot
 * take as an option). A file found that is not executable is "Permission denied" (126), as bash
 * says; nothing found but a builtin or function of the shell runs that; else "command not found".
 */
export const launcherScript = [
  // bash's exec reads a leading "-" as its own option and dash's refuses "--": such a word is
  // run by a path that starts otherwise (the same file).
  'case $1 in -*/*) __srt_file=./$1; shift; set -- "$__srt_file" "$@"; unset __srt_file;; esac',
  "case $1 in",
  "*/*)",
  '  if [ -d "$1" ]; then printf "srt: %s: Is a directory\\n" "$1" >&2; exit 126; fi',
  '  if [ ! -e "$1" ]; then printf "srt: %s: No such file or directory\\n" "$1" >&2; exit 127; fi',
  '  if [ ! -x "$1" ]; then printf "srt: %s: Permission denied\\n" "$1" >&2; exit 126; fi',
  '  exec "$@";;',
  '"")',
  '  printf "srt: : command not found\\n" >&2; exit 127;;',
  "esac",
  "__srt_rest=${PATH-}:",
  "__srt_denied=",
  'while [ -n "$__srt_rest" ]; do',
  "  __srt_dir=${__srt_rest%%:*}",
  "  __srt_rest=${__srt_rest#*:}",
  "  __srt_file=${__srt_dir:-.}/$1",
  '  if [ -f "$__srt_file" ] && [ -x "$__srt_file" ]; then',
  '    case $1 in -*) shift; set -- "$__srt_file" "$@";; esac',
  "    unset __srt_rest __srt_dir __srt_file __srt_denied",
  '    exec "$@"',
  "  fi",
  '  if [ -z "$__srt_denied" ] && [ -e "$__srt_file" ] && [ ! -d "$__srt_file" ]; then __srt_denied=$__srt_file; fi',
  "done",
  'if [ -n "$__srt_denied" ]; then printf "srt: %s: Permission denied\\n" "$1" >&2; exit 126; fi',
  "unset __srt_rest __srt_dir __srt_file __srt_denied",
  'if command -v -- "$1" >/dev/null 2>&1; then "$@"; exit; fi',
  'printf "srt: %s: command not found\\n" "$1" >&2',
  "exit 127",
].join("\n");

/** What the sandbox runs: the string under `shell -c`, or the words through the launcher. */
export function shellArgv(
  shell: Pick<ChosenShell, "path" | "bash">,
  what:
    { readonly kind: "string"; readonly script: string } | { readonly kind: "argv"; readonly argv: readonly string[] },
): string[] {
  const run = shell.bash ? [shell.path, "--norc"] : [shell.path];
  return what.kind === "string" ? [...run, "-c", what.script] : [...run, "-c", launcherScript, "srt", ...what.argv];
}

/**
 * Where the words start when `argv` is bash running the launcher (shellArgv's argv mode), else
 * undefined. srt's supervisor then looks the command up itself and runs it without the shell
 * when the shell would only have exec'd it (native/srt-supervise/launch.c, which reproduces what
 * bash does to the environment); anything else still goes to the shell.
 */
export function launcherWordsAt(argv: readonly string[]): number | undefined {
  return argv.length > 5 && argv[1] === "--norc" && argv[2] === "-c" && argv[3] === launcherScript && argv[4] === "srt"
    ? 5
    : undefined;
}
