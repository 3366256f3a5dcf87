/**
 * The run mode's own options: `srt [options] [-c "string" | [--] cmd args…]`.
 * srt's options end at `--` or at the first word that is not an option, so
 * nothing after the command is ever read as an srt option (DESIGN §6).
 */
export interface RunOptions {
  readonly settings?: string;
  readonly debug: boolean;
  readonly quiet: boolean;
  readonly violations?: string;
  /** --control-fd N: JSON lines, each a settings object replacing the network policy of the running command. */
  readonly controlFd?: number;
  /** --proxies DIR (srt exec): use the proxies of a library sandbox listening in DIR instead of starting its own. */
  readonly proxies?: string;
  /** --allow-writable-plan (srt exec): run a plan its own command could rewrite (see exec.ts). */
  readonly allowWritablePlan?: true;
  readonly command: readonly string[];
}

export type ParsedRun = { readonly ok: true; readonly options: RunOptions } | { readonly ok: false; readonly message: string };

const valued = new Set(["--settings", "--violations", "-c", "--control-fd", "--proxies"]);

export function parseRunArgs(argv: readonly string[], shell = "/bin/sh"): ParsedRun {
  let settings: string | undefined;
  let violations: string | undefined;
  let debug = false;
  let quiet = false;
  let shellString: string | undefined;
  let controlFd: number | undefined;
  let proxies: string | undefined;
  let allowWritablePlan = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    let value: string | undefined;
    if (valued.has(name)) {
      value = eq > 0 && arg.startsWith("--") ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) return { ok: false, message: `${name} needs a value` };
    }
    switch (name) {
      case "--settings":
        settings = value;
        break;
      case "--violations":
        violations = value;
        break;
      case "-c":
        shellString = value;
        break;
      case "--control-fd":
        // 0-2 are the command's stdio; a control channel there would be read by the command too.
        if (!/^[0-9]+$/.test(value!) || Number(value) < 3 || Number(value) > 0x7fffffff) return { ok: false, message: `--control-fd needs a descriptor number of 3 or more, not ${JSON.stringify(value)}` };
        controlFd = Number(value);
        break;
      case "--proxies":
        proxies = value;
        break;
      case "--allow-writable-plan":
        allowWritablePlan = true;
        break;
      case "-d":
      case "--debug":
        debug = true;
        break;
      case "-q":
      case "--quiet":
        quiet = true;
        break;
      default:
        return { ok: false, message: `unknown option ${arg} (srt's options come before the command; use -- before a command that starts with -)` };
    }
  }
  const rest = argv.slice(i);
  const extra = { ...(controlFd === undefined ? {} : { controlFd }), ...(proxies === undefined ? {} : { proxies }), ...(allowWritablePlan ? { allowWritablePlan: true as const } : {}) };
  if (shellString !== undefined) {
    if (rest.length > 0) return { ok: false, message: `-c takes one shell string; unexpected ${JSON.stringify(rest[0])} after it` };
    return { ok: true, options: { ...(settings === undefined ? {} : { settings }), ...(violations === undefined ? {} : { violations }), debug, quiet, ...extra, command: [shell, "-c", shellString] } };
  }
  if (rest.length === 0) return { ok: false, message: "no command given (srt [options] -- command [args…] or srt -c \"string\")" };
  return { ok: true, options: { ...(settings === undefined ? {} : { settings }), ...(violations === undefined ? {} : { violations }), debug, quiet, ...extra, command: rest } };
}
