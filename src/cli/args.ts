/**
 * How srt reads a command line: one parser for every command (DESIGN §6).
 *
 * A command is a citty argument definition (options, positionals, descriptions for --help) and a
 * run function; citty's parser turns the words into typed values and citty renders --help. Before
 * citty sees the words, every one is checked here, because citty is lenient where srt must not
 * be: it ignores unknown options (a typo like `--setings F` would silently use other settings),
 * reads a missing value as "", drops extra words, and reads options anywhere on the line.
 *
 * - An unknown option (with a did-you-mean), a missing value, a value on a switch, an option given
 *   twice, a missing or an extra argument: a usage error, exit 2.
 * - `--help`/`-h` among srt's options shows the command's help, whatever else is wrong.
 * - A command that runs a command (`srt [options] cmd…`, `srt exec plan [options] cmd…`): srt's
 *   options end at `--` or at the first word after the command's own arguments, and nothing
 *   after it is ever read as an srt option. This is the one place that rule lives.
 */
import { parseArgs, renderUsage, type ArgDef, type ArgsDef, type ParsedArgs } from "citty";
import type { Target } from "../compiler/index.js";
import { closest } from "../compiler/suggest.js";
import { exitStatus, type CliIo } from "./io.js";

export interface Command<T extends ArgsDef = ArgsDef> {
  readonly meta: { readonly name: string; readonly description: string };
  readonly args: T;
  /** Set when the words after the command's own arguments are a command to run (their --help line). */
  readonly runs?: string;
  /**
   * String options that may be given more than once (`--allow-domain a --allow-domain b`): citty
   * keeps only the last, so their values reach it joined by NUL, which no argv word can contain
   * (listOption splits them again).
   */
  readonly repeatable?: readonly string[];
  /** Options srt knows but this command refuses, each with why (say, --settings for a plan). */
  readonly refuses?: Readonly<Record<string, string>>;
  /** Replaces the --help text citty renders (the run mode shows srt's overview). */
  readonly usage?: string;
  readonly run: (context: {
    readonly args: ParsedArgs<T>;
    readonly command: readonly string[];
  }) => number | Promise<number>;
}

/** Like citty's defineCommand: keeps the argument definition's literal type for `run`. */
export const defineCommand = <const T extends ArgsDef>(command: Command<T>): Command<T> => command;

export type CommandLine =
  | { readonly kind: "ok"; readonly argv: readonly string[]; readonly command: readonly string[] }
  | { readonly kind: "help" }
  /** seeHelp: whether --help would show the way (a refused option's message says why itself). */
  | { readonly kind: "error"; readonly message: string; readonly seeHelp: boolean };

/** An option as it may be spelled on the command line, and what it means. */
interface Spelling {
  readonly name: string;
  readonly def: ArgDef;
  readonly negated: boolean;
}

const spell = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);
const isOption = (word: string): boolean => word.startsWith("-") && word !== "-";

function spellings(args: ArgsDef): Map<string, Spelling> {
  const known = new Map<string, Spelling>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const aliases = "alias" in def ? def.alias : undefined;
    for (const n of [name, ...(Array.isArray(aliases) ? aliases : aliases === undefined ? [] : [aliases])])
      known.set(spell(n), { name, def, negated: false });
    if (def.type === "boolean" && name.length > 1) known.set(`--no-${name}`, { name, def, negated: true });
  }
  return known;
}

/**
 * Checks a command line against the command's definition and rewrites srt's part of it for
 * citty: options as `--name=value`, then `--`, then the positionals (so no value is ever read as
 * an option), with the command to run, if any, kept apart.
 */
export function readCommandLine(
  words: readonly string[],
  cmd: Pick<Command, "args" | "runs" | "refuses" | "repeatable">,
): CommandLine {
  const known = spellings(cmd.args);
  const positionals = Object.entries(cmd.args).filter(([, d]) => d.type === "positional");
  const options: string[] = [];
  const given: string[] = [];
  const seen = new Set<string>();
  const lists = new Map<string, string[]>();
  let help = false;
  let error: string | undefined;
  let refused: string | undefined;
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i]!;
    if (word === "--") {
      i++;
      break;
    }
    if (!isOption(word)) {
      // Here a command that runs a command stops reading: the rest is the command's.
      if (cmd.runs !== undefined && given.length >= positionals.length) break;
      given.push(word);
      continue;
    }
    const eq = word.startsWith("--") ? word.indexOf("=") : -1;
    const spelled = eq > 0 ? word.slice(0, eq) : word;
    const option = known.get(spelled);
    if (spelled === "--help" || spelled === "-h") help = true;
    else if (option === undefined && cmd.refuses?.[spelled] !== undefined) refused ??= cmd.refuses[spelled];
    else if (option === undefined) error ??= unknownOption(spelled, known, cmd.runs !== undefined);
    else if (option.def.type === "boolean") {
      if (eq > 0) error ??= `${spelled} takes no value`;
      else options.push(option.negated ? `--no-${option.name}` : `--${option.name}`);
    } else {
      const value = eq > 0 ? word.slice(eq + 1) : words[++i];
      if (value === undefined) error ??= `${spelled} needs a value`;
      else if (cmd.repeatable?.includes(option.name)) {
        if (value.includes("\0")) error ??= `${spelled} takes no NUL`;
        else lists.set(option.name, [...(lists.get(option.name) ?? []), value]);
      } else if (seen.has(option.name)) error ??= `${spelled} is given twice`;
      else if (option.def.type === "enum" && !(option.def.options ?? []).includes(value))
        error ??= `${spelled} is one of ${(option.def.options ?? []).join(", ")}, not ${JSON.stringify(value)}`;
      else options.push(`--${option.name}=${value}`);
      seen.add(option.name);
    }
  }
  for (const [name, values] of lists) options.push(`--${name}=${values.join("\0")}`);
  const rest = words.slice(i);
  // After `--`, a command that runs a command still takes its own arguments first (exec's plan).
  const command = cmd.runs === undefined ? [] : rest.splice(Math.max(0, positionals.length - given.length));
  given.push(...rest);
  if (help) return { kind: "help" };
  if (refused !== undefined) return { kind: "error", message: refused, seeHelp: false };
  const usage = (message: string): CommandLine => ({ kind: "error", message, seeHelp: true });
  if (error !== undefined) return usage(error);
  if (given.length > positionals.length)
    return usage(`unexpected argument ${JSON.stringify(given[positionals.length])}`);
  const missing = positionals.slice(given.length).find(([, d]) => d.required !== false && d.default === undefined);
  if (missing !== undefined) return usage(`missing ${missing[0].toUpperCase()}`);
  const unset = Object.entries(cmd.args).find(
    ([name, d]) => d.type !== "positional" && d.required === true && d.default === undefined && !seen.has(name),
  );
  if (unset !== undefined) return usage(`${spell(unset[0])} is required`);
  return { kind: "ok", argv: [...options, "--", ...given], command };
}

function unknownOption(spelled: string, known: ReadonlyMap<string, Spelling>, runs: boolean): string {
  const typed = spelled.replace(/^--?/, "");
  const names = new Map([...known.keys(), "--help"].map((s) => [s.replace(/^--?/, ""), s]));
  // One letter is too little to guess from: only a case slip (-D for -d) is suggested.
  const candidates = [...names.keys()].filter((n) =>
    typed.length === 1 ? n.toLowerCase() === typed.toLowerCase() : n.length > 1,
  );
  const guess = closest(typed, candidates);
  if (guess !== undefined) return `unknown option ${spelled}; did you mean ${names.get(guess)}?`;
  return runs
    ? `unknown option ${spelled}; srt's options come before the command: put -- before a command that starts with -`
    : `unknown option ${spelled}`;
}

/** A command's words as citty parses them once readCommandLine accepted them. */
export function parseCommandLine<T extends ArgsDef>(
  cmd: Command<T>,
  words: readonly string[],
):
  | Exclude<CommandLine, { kind: "ok" }>
  | { readonly kind: "ok"; readonly args: ParsedArgs<T>; readonly command: readonly string[] } {
  const line = readCommandLine(words, cmd);
  return line.kind === "ok"
    ? { kind: "ok", args: parseArgs<T>([...line.argv], cmd.args), command: line.command }
    : line;
}

/** Runs a command on its words: its help, a usage error (exit 2), or its run. */
export async function runCommandLine<T extends ArgsDef>(
  cmd: Command<T>,
  words: readonly string[],
  io: CliIo,
  invokedAs: string,
): Promise<number> {
  const line = parseCommandLine(cmd, words);
  if (line.kind === "help") {
    io.out(cmd.usage ?? (await helpText(cmd, invokedAs, io.color)));
    return exitStatus.ok;
  }
  if (line.kind === "error") {
    io.err(`${invokedAs}: ${line.message}${line.seeHelp ? ` (see ${invokedAs} --help)` : ""}\n`);
    return exitStatus.usage;
  }
  return cmd.run(line);
}

async function helpText(
  cmd: Pick<Command, "meta" | "args" | "runs">,
  invokedAs: string,
  color: boolean,
): Promise<string> {
  const words = cmd.runs === undefined ? {} : { command: { type: "positional", description: cmd.runs } as const };
  const text = await renderUsage({ meta: { ...cmd.meta, name: invokedAs }, args: { ...cmd.args, ...words } });
  // citty colours its usage text whatever the output is; no escapes unless colour is wanted.
  return (color ? text : text.replace(/\x1b\[[0-9;]*m/g, "")) + "\n";
}

/** Argument definitions shared by the policy commands. */
export const policyArgs = {
  file: { type: "positional", required: false, description: "settings file (same as --settings)" },
  settings: {
    type: "string",
    alias: "s",
    description: "settings file (default: ~/.srt-settings.json if it exists, else built-in defaults)",
  },
  target: {
    type: "string",
    description: "linux or macos (default: this machine's); compile and explain also take k8s",
  },
  json: { type: "boolean", description: "machine-readable output" },
} as const satisfies ArgsDef;

const hostTarget = (): Target => (process.platform === "darwin" ? "macos" : "linux");

/** The target and settings file a policy command works on, or the usage error that stops it. */
export function policyChoice(args: {
  file?: string | undefined;
  settings?: string | undefined;
  target?: string | undefined;
}): { ok: true; target: Target; settings: string | undefined } | { ok: false; message: string } {
  const target =
    args.target === undefined
      ? hostTarget()
      : args.target === "linux" || args.target === "macos"
        ? args.target
        : undefined;
  if (target === undefined) return { ok: false, message: `unknown target "${args.target}" (linux or macos)` };
  if (args.file !== undefined && args.settings !== undefined)
    return { ok: false, message: "give the settings file either as an argument or with --settings, not both" };
  return { ok: true, target, settings: args.settings ?? args.file };
}

/** A repeatable option's values (see Command.repeatable), in the order given. */
export const listOption = (value: string | undefined): string[] => (value === undefined ? [] : value.split("\0"));
