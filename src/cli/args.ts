/** Argument definitions shared by the policy commands, and a strict check citty does not do. */
import type { ArgsDef } from "citty";
import type { Target } from "../compiler/index.js";

export const policyArgs = {
  file: { type: "positional", required: false, description: "settings file (same as --settings)" },
  settings: { type: "string", description: "settings file (default: ~/.srt-settings.json if it exists, else built-in defaults)" },
  target: { type: "string", description: "linux or macos (default: this machine's)" },
  json: { type: "boolean", description: "machine-readable output" },
} as const satisfies ArgsDef;

/** citty ignores unknown flags; a typo like `--setings F` must not silently use other settings. */
export function unknownFlags(rawArgs: readonly string[], defs: ArgsDef): string[] {
  const known = new Set<string>(["help", "h"]);
  for (const [name, def] of Object.entries(defs)) {
    known.add(name);
    const aliases = "alias" in def ? def.alias : undefined;
    for (const a of Array.isArray(aliases) ? aliases : aliases ? [aliases] : []) known.add(a);
    if (def.type === "boolean") known.add(`no-${name}`);
  }
  const bad: string[] = [];
  for (const arg of rawArgs) {
    if (arg === "--") break;
    const m = /^--?([^=]+)/.exec(arg);
    if (m && arg !== "-" && !known.has(m[1]!)) bad.push(arg);
  }
  return bad;
}

const hostTarget = (): Target => (process.platform === "darwin" ? "macos" : "linux");

/** The target and settings file a policy command works on, or the usage error that stops it. */
export function policyChoice(args: { file?: string | undefined; settings?: string | undefined; target?: string | undefined }): { ok: true; target: Target; settings: string | undefined } | { ok: false; message: string } {
  const target = args.target === undefined ? hostTarget() : args.target === "linux" || args.target === "macos" ? args.target : undefined;
  if (target === undefined) return { ok: false, message: `unknown target "${args.target}" (linux or macos)` };
  if (args.file !== undefined && args.settings !== undefined) return { ok: false, message: "give the settings file either as an argument or with --settings, not both" };
  return { ok: true, target, settings: args.settings ?? args.file };
}
