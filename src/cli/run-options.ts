/**
 * The options of the commands that run a command: `srt [options] [-c "string" | [--] cmd args…]`
 * and `srt exec plan.json [options] [--] cmd args…`. Where srt's options end (`--` or the first
 * word that is not an option, DESIGN §6) is decided by the one parser in args.ts.
 */
import type { ArgsDef } from "citty";
import type { RunAdditions } from "../compiler/additions.js";
import { listOption } from "./args.js";
import type { ToolFs } from "../runtime/host-tools.js";
import { chooseShell, shellArgv, type ChosenShell } from "../runtime/shell.js";
import { failureLine } from "../runtime/failure.js";
import { limitsRuntimes, type LimitsRuntime } from "../runtime/linux/limits/engine.js";

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
  /** --shell: a shell's name or absolute path (default: bash, else sh; see runtime/shell.ts). */
  readonly shell?: string;
  /** -c STRING: run it under the shell; `command` is then empty. */
  readonly script?: string;
  /** --allow-domain and friends: added to the settings for this run. */
  readonly additions?: RunAdditions;
  /** The command's words as given (argv mode); they run through the shell's launcher. */
  readonly command: readonly string[];
}

export type ParsedRun =
  { readonly ok: true; readonly options: RunOptions } | { readonly ok: false; readonly message: string };

/** What the words after srt's options are, for --help. */
export const runsWhat =
  "the command to run and its arguments (srt's options end at -- or at the first word that is not an option)";

/** Shared by the run mode and srt exec. */
export const runArgs = {
  debug: { type: "boolean", alias: "d", description: "timings and what srt set up, on stderr" },
  quiet: { type: "boolean", alias: "q", description: "no summary of what the sandbox denied" },
  violations: { type: "string", valueHint: "F", description: "append what the sandbox denied to F, as JSON lines" },
  "control-fd": {
    type: "string",
    valueHint: "N",
    description: "read JSON settings lines from descriptor N (3 or more); each replaces the network policy",
  },
  // -c as in sh -c; the long name is there because citty's --help shows every option by one.
  "shell-command": {
    type: "string",
    alias: "c",
    valueHint: "string",
    description: "run a shell command string (bash -c, else sh -c; see --shell) instead of a command",
  },
  shell: {
    type: "string",
    valueHint: "bash|sh|PATH",
    description: "the shell -c strings and commands run under (default: bash if this machine has it, else sh)",
  },
} as const satisfies ArgsDef;

/**
 * The run mode's additions to the settings for this run (compiler/additions.ts), repeatable.
 * `srt exec` refuses them: a plan's policy is fixed when it is compiled.
 */
export const additionArgs = {
  "allow-domain": {
    type: "string",
    valueHint: "D",
    description: "also allow host D for this run, as in network.allowedDomains (repeatable)",
  },
  "deny-domain": {
    type: "string",
    valueHint: "D",
    description: "also refuse host D for this run, as in network.deniedDomains (repeatable)",
  },
  "allow-write": {
    type: "string",
    valueHint: "P",
    description: "also make P writable for this run, besides allowWrite or its default (repeatable)",
  },
  "deny-read": {
    type: "string",
    valueHint: "P",
    description: "also make P unreadable for this run, as in filesystem.denyRead (repeatable)",
  },
} as const satisfies ArgsDef;

export const additionNames = Object.keys(additionArgs);

/** `srt exec` runs a compiled plan under bwrap or runc: the container options are the run mode's. */
export const containerOptions: Readonly<Record<string, string>> = Object.fromEntries(
  ["--docker-image", "--docker-name", "--docker-workdir", "--allow-host-network"].map((o) => [
    o,
    `${o} is for the run mode (\`srt ${o} … -- cmd\` runs the command in a Docker container); srt exec runs a compiled plan with bwrap or runc`,
  ]),
);

/** The run mode's Docker options (src/cli/docker-options.ts); each --docker-* implies --runtime docker. */
export const dockerArgs = {
  "docker-image": {
    type: "string",
    valueHint: "IMAGE",
    description:
      "run in a Docker container from IMAGE (on the engine already: srt never pulls); implies --runtime docker",
  },
  "docker-name": { type: "string", valueHint: "NAME", description: "the container's name; implies --runtime docker" },
  "docker-workdir": {
    type: "string",
    valueHint: "DIR",
    description: "the command's working directory in the container; implies --runtime docker",
  },
  "allow-host-network": {
    type: "boolean",
    description: 'confirm docker.networkMode "host": the container gets the host\'s network, NOT FILTERED',
  },
} as const satisfies ArgsDef;

/** --runtime: the engine a run uses (explain and doctor take it too: their limits lines are that engine's). */
export const runtimeArg = {
  runtime: {
    type: "string",
    valueHint: "NAME",
    description: "bwrap (default), runc, crun, docker or podman: the same policy in an OCI container",
  },
} as const satisfies ArgsDef;

export type RuntimeName = LimitsRuntime;

/** The runtime `--runtime` and the --docker-* options choose (they imply docker), or why none. */
export function chooseRuntime(
  runtime: string | undefined,
  docker: boolean,
): { readonly ok: true; readonly runtime: RuntimeName } | { readonly ok: false; readonly message: string } {
  const chosen = runtime ?? (docker ? "docker" : "bwrap");
  if (!(limitsRuntimes as readonly string[]).includes(chosen))
    return {
      ok: false,
      message: failureLine({
        code: "SRT547",
        message: `--runtime ${chosen}: srt runs commands under bwrap, runc, crun, docker or podman`,
      }),
    };
  if (chosen !== "docker" && chosen !== "podman" && docker)
    return {
      ok: false,
      message: `srt: --docker-image, --docker-name and --docker-workdir run the command under Docker, not --runtime ${chosen}`,
    };
  return { ok: true, runtime: chosen as RuntimeName };
}

/** The run options as citty parsed them; srt exec adds its own two. */
export interface RunArgs {
  readonly settings?: string | undefined;
  readonly debug?: boolean | undefined;
  readonly quiet?: boolean | undefined;
  readonly violations?: string | undefined;
  readonly "control-fd"?: string | undefined;
  readonly "shell-command"?: string | undefined;
  readonly shell?: string | undefined;
  readonly "allow-domain"?: string | undefined;
  readonly "deny-domain"?: string | undefined;
  readonly "allow-write"?: string | undefined;
  readonly "deny-read"?: string | undefined;
  readonly proxies?: string | undefined;
  readonly "allow-writable-plan"?: boolean | undefined;
}

/** The parsed options and the command's words as one RunOptions, or the usage error in them. */
export function runOptions(args: RunArgs, words: readonly string[]): ParsedRun {
  let controlFd: number | undefined;
  const fd = args["control-fd"];
  if (fd !== undefined) {
    // 0-2 are the command's stdio; a control channel there would be read by the command too.
    if (!/^[0-9]+$/.test(fd) || Number(fd) < 3 || Number(fd) > 0x7fffffff)
      return { ok: false, message: `--control-fd needs a descriptor number of 3 or more, not ${JSON.stringify(fd)}` };
    controlFd = Number(fd);
  }
  const string = args["shell-command"];
  if (string !== undefined && words.length > 0)
    return { ok: false, message: `-c takes one shell string; unexpected ${JSON.stringify(words[0])} after it` };
  if (string === undefined && words.length === 0)
    return { ok: false, message: 'no command given (srt [options] -- command [args…] or srt -c "string")' };
  const additions: RunAdditions = {
    allowDomains: listOption(args["allow-domain"]),
    denyDomains: listOption(args["deny-domain"]),
    allowWrite: listOption(args["allow-write"]),
    denyRead: listOption(args["deny-read"]),
  };
  const options: RunOptions = {
    ...(Object.values(additions).some((l: readonly string[]) => l.length > 0) ? { additions } : {}),
    ...(args.settings === undefined ? {} : { settings: args.settings }),
    ...(args.violations === undefined ? {} : { violations: args.violations }),
    debug: args.debug === true,
    quiet: args.quiet === true,
    ...(controlFd === undefined ? {} : { controlFd }),
    ...(args.proxies === undefined ? {} : { proxies: args.proxies }),
    ...(args["allow-writable-plan"] === true ? { allowWritablePlan: true as const } : {}),
    ...(args.shell === undefined ? {} : { shell: args.shell }),
    ...(string === undefined ? {} : { script: string }),
    command: words,
  };
  return { ok: true, options };
}

/** What the sandbox runs for these options: the argv, and the command as reports show it (ignoreViolations matches it). */
export type CommandToRun =
  | {
      readonly ok: true;
      readonly argv: readonly string[];
      readonly shown: readonly string[];
      readonly shell: ChosenShell;
    }
  | { readonly ok: false; readonly message: string };

export function commandToRun(o: Pick<RunOptions, "shell" | "script" | "command">, fs?: ToolFs): CommandToRun {
  const chosen = chooseShell(o.shell, fs);
  if (!chosen.ok) return chosen;
  const { shell } = chosen;
  return o.script !== undefined
    ? {
        ok: true,
        argv: shellArgv(shell, { kind: "string", script: o.script }),
        shown: [shell.path, "-c", o.script],
        shell,
      }
    : { ok: true, argv: shellArgv(shell, { kind: "argv", argv: o.command }), shown: o.command, shell };
}
