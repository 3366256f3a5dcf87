/**
 * srt's subcommands by name (main.ts maps each to its module; any other first word starts the run
 * mode). Its own module so that the entry (load-cli.ts) can tell the commands apart without loading
 * the CLI: each keeps its own code cache.
 */
export const commandNames = ["check", "explain", "compile", "exec", "doctor", "schema", "init", "proxy"] as const;

export type CommandName = (typeof commandNames)[number];
